"""What the sandbox was told to do to an address, and the fate of each send that follows.

A rule names one email address or phone number and a kind of failure; `times`
limits it to the next N sends (then sends succeed), and `code` picks another
Twilio error code for a phone. Phones keep Twilio's own split: a 21xxx code
refuses the API call at once (HTTP 400), a 30xxx code is accepted and fails
later in a status callback. Numbers that texted STOP are refused with 21610
until they text START, as Twilio does; emails that bounced, reported spam or
unsubscribed are dropped afterwards, as SendGrid's suppression lists do.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from enum import StrEnum


class RuleKind(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    BLOCK = "block"
    SPAM_REPORT = "spam_report"
    LANDLINE = "landline"
    STOP_REPLY = "stop_reply"
    TRANSIENT = "transient"
    UNDELIVERABLE = "undeliverable"


EMAIL_KINDS = frozenset(RuleKind) - {RuleKind.LANDLINE}
# A spam report is an email mechanism; a carrier filtering SMS content is
# `undeliverable` with code 30007.
PHONE_KINDS = frozenset(RuleKind) - {RuleKind.SPAM_REPORT}


class RuleError(ValueError):
    """A rule the sandbox cannot apply; the message says why."""


def is_email(address: str) -> bool:
    return "@" in address


def normalise_address(address: str) -> str:
    address = address.strip()
    return address.lower() if is_email(address) else address


@dataclass(frozen=True, slots=True)
class Rule:
    address: str
    kind: RuleKind
    times: int | None = None  # None: every send from now on
    code: int | None = None

    def to_json(self) -> dict:
        return {**asdict(self), "kind": str(self.kind)}


def make_rule(address: str, kind: str, times: int | None = None, code: int | None = None) -> Rule:
    if not isinstance(address, str) or not address.strip():
        raise RuleError("address is required")
    try:
        rule_kind = RuleKind(kind)
    except ValueError:
        raise RuleError(f"kind must be one of {', '.join(RuleKind)}") from None
    address = normalise_address(address)
    allowed = EMAIL_KINDS if is_email(address) else PHONE_KINDS
    if rule_kind not in allowed:
        raise RuleError(f"{rule_kind} does not apply to {'an email address' if is_email(address) else 'a phone'}")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise RuleError("times must be a positive whole number")
    if code is not None:
        if is_email(address):
            raise RuleError("code applies to phone numbers only")
        if not isinstance(code, int) or not (21000 <= code < 22000 or 30000 <= code < 31000):
            raise RuleError("code must be a Twilio 21xxx (refused at once) or 30xxx (failed later) code")
    return Rule(address, rule_kind, times, code)


@dataclass(frozen=True, slots=True)
class TwilioFate:
    """refusal_code set: the API answers 400 with it. Otherwise the final callback status."""

    refusal_code: int | None = None
    final_status: str = "delivered"
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class EmailFate:
    """The event that ends this recipient's story, after `processed` (none when dropped)."""

    event: str = "delivered"  # delivered, bounce, deferred, spamreport, unsubscribe, dropped
    bounce_type: str | None = None
    status: str | None = None
    reason: str | None = None
    bounce_classification: str | None = None


DELIVERED_SMS = TwilioFate()
COMPLETED_CALL = TwilioFate(final_status="completed")
DELIVERED_EMAIL = EmailFate()


def _twilio_code_fate(code: int, failed_status: str) -> TwilioFate:
    if code < 30000:
        return TwilioFate(refusal_code=code)
    return TwilioFate(final_status=failed_status, error_code=code)


SMS_DEFAULT_CODES = {
    RuleKind.HARD_BOUNCE: 21211,
    RuleKind.LANDLINE: 30006,
    RuleKind.BLOCK: 30004,
    RuleKind.TRANSIENT: 30003,
    RuleKind.UNDELIVERABLE: 30005,
}

CALL_FATES = {
    RuleKind.HARD_BOUNCE: TwilioFate(refusal_code=21211),
    RuleKind.BLOCK: TwilioFate(final_status="failed"),
    RuleKind.TRANSIENT: TwilioFate(final_status="no-answer"),
    RuleKind.UNDELIVERABLE: TwilioFate(final_status="failed"),
    # A landline answers calls, and Twilio's STOP filtering covers messaging only.
    RuleKind.LANDLINE: COMPLETED_CALL,
    RuleKind.STOP_REPLY: COMPLETED_CALL,
}

EMAIL_FATES = {
    RuleKind.HARD_BOUNCE: EmailFate("bounce", "bounce", "5.1.1",
                                    "550 5.1.1 The email account that you tried to reach does not exist.",
                                    "Invalid Address"),
    RuleKind.UNDELIVERABLE: EmailFate("bounce", "bounce", "5.1.10",
                                      "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
                                      "Invalid Address"),
    RuleKind.BLOCK: EmailFate("bounce", "blocked", "5.7.1",
                              "550 5.7.1 Message rejected due to the sending IP's reputation", "Reputation"),
    RuleKind.TRANSIENT: EmailFate("deferred", None, "4.2.2", "452 4.2.2 The email account is over quota"),
    RuleKind.SPAM_REPORT: EmailFate("spamreport"),
    RuleKind.STOP_REPLY: EmailFate("unsubscribe"),
}

# The suppression list an event puts an address on (as SendGrid's suppression API names it), and the drop
# reason SendGrid gives for later sends to it.
SUPPRESSION_AFTER = {
    "bounce": ("bounces", "Bounced Address"),
    "spamreport": ("spam_reports", "Spam Reporting Address"),
    "unsubscribe": ("global_unsubscribes", "Unsubscribed Address"),
}


class RuleBook:
    """Rules, opted-out numbers and suppressed emails; safe to share between request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, Rule] = {}
        self._opted_out: set[str] = set()
        self._suppressed: dict[str, dict[str, str]] = {}  # email -> {suppression list: drop reason}

    def add(self, rule: Rule) -> None:
        with self._lock:
            self._rules[rule.address] = rule
            if rule.kind is RuleKind.STOP_REPLY and not is_email(rule.address):
                self._opted_out.add(rule.address)

    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules.values())

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._opted_out.clear()
            self._suppressed.clear()

    def set_opted_out(self, number: str, opted_out: bool) -> None:
        with self._lock:
            if opted_out:
                self._opted_out.add(normalise_address(number))
            else:
                self._opted_out.discard(normalise_address(number))

    def is_opted_out(self, number: str) -> bool:
        with self._lock:
            return normalise_address(number) in self._opted_out

    def _take(self, address: str) -> Rule | None:
        """The rule for this send, counting it against `times`; caller holds the lock."""
        rule = self._rules.get(address)
        if rule is None or rule.times is None:
            return rule
        if rule.times == 1:
            del self._rules[address]
        else:
            self._rules[address] = replace(rule, times=rule.times - 1)
        return rule

    def sms_fate(self, to: str) -> TwilioFate:
        to = normalise_address(to)
        with self._lock:
            if to in self._opted_out:
                return TwilioFate(refusal_code=21610)
            rule = self._take(to)
        if rule is None or rule.kind is RuleKind.STOP_REPLY:
            return DELIVERED_SMS
        return _twilio_code_fate(rule.code or SMS_DEFAULT_CODES[rule.kind], "undelivered")

    def call_fate(self, to: str) -> TwilioFate:
        with self._lock:
            rule = self._take(normalise_address(to))
        if rule is None:
            return COMPLETED_CALL
        if rule.code is not None:
            return _twilio_code_fate(rule.code, "failed")
        return CALL_FATES[rule.kind]

    def email_fate(self, email: str) -> EmailFate:
        email = normalise_address(email)
        with self._lock:
            if lists := self._suppressed.get(email):
                return EmailFate("dropped", status="5.0.0", reason=next(iter(lists.values())))
            rule = self._take(email)
            fate = DELIVERED_EMAIL if rule is None else EMAIL_FATES[rule.kind]
            suppression = SUPPRESSION_AFTER.get(fate.event) if fate.bounce_type != "blocked" else None
            if suppression:
                list_name, reason = suppression
                self._suppressed.setdefault(email, {})[list_name] = reason
        return fate

    def suppression_lists(self, email: str) -> list[str]:
        """The suppression lists that hold `email`, in the order it was put on them."""
        with self._lock:
            return list(self._suppressed.get(normalise_address(email), {}))

    def unsuppress(self, email: str, list_name: str) -> bool:
        """Takes `email` off one list, as SendGrid's DELETE does; False when it was not on it."""
        email = normalise_address(email)
        with self._lock:
            lists = self._suppressed.get(email, {})
            removed = lists.pop(list_name, None) is not None
            if not lists:
                self._suppressed.pop(email, None)
        return removed

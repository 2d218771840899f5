"""The one table that turns what Twilio and SendGrid say into our outcome classes.

DESIGN.md §3 "Bad credential": keep hard bounce, soft bounce, complaint and
opt-out apart, and map the providers' own codes to them in one table. Every
row lives in OUTCOME_TABLE below, keyed by (source, provider key); the small
functions after it only pick the row. Anything a row does not name is
treated as TRANSIENT: a code we do not understand must never mark a parent's
credential bad on its own; a repeated pattern of failures still does.

Also here: the plain values webhook parsers produce (DeliveryReport,
InboundSms) and the inbound SMS keyword rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from services.notify.domain.delivery import Outcome


class Source(StrEnum):
    TWILIO_ERROR = "twilio_error"  # Twilio error codes, synchronous (21xxx) or in callbacks (30xxx)
    TWILIO_MESSAGE_STATUS = "twilio_message_status"
    TWILIO_CALL_STATUS = "twilio_call_status"
    SENDGRID_EVENT = "sendgrid_event"  # event name, or "bounce/<type>" for the two kinds of bounce
    SENDGRID_DROP_REASON = "sendgrid_drop_reason"
    SENDGRID_HTTP = "sendgrid_http"  # synchronous answers of POST /v3/mail/send


@dataclass(frozen=True, slots=True)
class Row:
    outcome: Outcome
    reason: str  # short, for profiles: "landline or unreachable carrier"


ACCEPTED, DELIVERED = Outcome.ACCEPTED, Outcome.DELIVERED
HARD, SOFT, COMPLAINT, OPT_OUT, TRANSIENT = (
    Outcome.HARD_BOUNCE, Outcome.SOFT_BOUNCE, Outcome.COMPLAINT, Outcome.OPT_OUT, Outcome.TRANSIENT)

OUTCOME_TABLE: dict[tuple[Source, str], Row] = {
    # --- Twilio error codes (https://www.twilio.com/docs/api/errors) ---
    (Source.TWILIO_ERROR, "21211"): Row(HARD, "invalid phone number"),
    (Source.TWILIO_ERROR, "21214"): Row(HARD, "phone number cannot be reached"),
    (Source.TWILIO_ERROR, "21217"): Row(HARD, "phone number does not appear to be valid"),
    (Source.TWILIO_ERROR, "21401"): Row(HARD, "invalid phone number"),
    (Source.TWILIO_ERROR, "21407"): Row(HARD, "number type does not support SMS"),
    (Source.TWILIO_ERROR, "21612"): Row(HARD, "number not reachable by SMS"),
    (Source.TWILIO_ERROR, "21614"): Row(HARD, "not a mobile number (landline)"),
    (Source.TWILIO_ERROR, "21610"): Row(OPT_OUT, "recipient texted STOP"),
    (Source.TWILIO_ERROR, "30003"): Row(TRANSIENT, "handset unreachable"),
    (Source.TWILIO_ERROR, "30004"): Row(HARD, "message blocked by the recipient or carrier"),
    (Source.TWILIO_ERROR, "30005"): Row(HARD, "unknown or inactive number"),
    (Source.TWILIO_ERROR, "30006"): Row(HARD, "landline or unreachable carrier"),
    # 30007 "Message filtered": Twilio's docs say the *content* was judged spam by
    # Twilio or the carrier. Nobody complained and the number is fine, so it is not
    # a complaint; other content may pass. Soft bounce: retried, and a repeated
    # pattern turns the number bad (then email takes over).
    (Source.TWILIO_ERROR, "30007"): Row(SOFT, "message filtered by the carrier"),
    (Source.TWILIO_ERROR, "30008"): Row(TRANSIENT, "unknown carrier error"),
    (Source.TWILIO_ERROR, "30001"): Row(TRANSIENT, "provider queue overflow"),
    (Source.TWILIO_ERROR, "30017"): Row(TRANSIENT, "carrier network congestion"),
    (Source.TWILIO_ERROR, "30022"): Row(TRANSIENT, "sending rate limit exceeded"),
    (Source.TWILIO_ERROR, "20429"): Row(TRANSIENT, "provider rate limit"),
    # Our account's problems, never the recipient's: retry, an operator fixes them.
    (Source.TWILIO_ERROR, "20003"): Row(TRANSIENT, "provider rejected our credentials"),
    (Source.TWILIO_ERROR, "21606"): Row(TRANSIENT, "our sending number cannot send SMS"),
    (Source.TWILIO_ERROR, "21408"): Row(TRANSIENT, "region not enabled on our account"),
    (Source.TWILIO_ERROR, "30002"): Row(TRANSIENT, "provider account suspended"),
    (Source.TWILIO_ERROR, "30034"): Row(TRANSIENT, "our sending number is not registered"),
    # --- Twilio message statuses ---
    (Source.TWILIO_MESSAGE_STATUS, "accepted"): Row(ACCEPTED, "accepted by the provider"),
    (Source.TWILIO_MESSAGE_STATUS, "scheduled"): Row(ACCEPTED, "scheduled by the provider"),
    (Source.TWILIO_MESSAGE_STATUS, "queued"): Row(ACCEPTED, "queued by the provider"),
    (Source.TWILIO_MESSAGE_STATUS, "sending"): Row(ACCEPTED, "being sent"),
    (Source.TWILIO_MESSAGE_STATUS, "sent"): Row(ACCEPTED, "handed to the carrier"),
    (Source.TWILIO_MESSAGE_STATUS, "delivered"): Row(DELIVERED, "delivered to the handset"),
    (Source.TWILIO_MESSAGE_STATUS, "read"): Row(DELIVERED, "read"),
    # A failed status is classified by its ErrorCode (see _status_outcome); these rows
    # are for the rare callback without one.
    (Source.TWILIO_MESSAGE_STATUS, "undelivered"): Row(TRANSIENT, "not delivered, no reason given"),
    (Source.TWILIO_MESSAGE_STATUS, "failed"): Row(TRANSIENT, "failed, no reason given"),
    (Source.TWILIO_MESSAGE_STATUS, "canceled"): Row(TRANSIENT, "canceled before sending"),
    # --- Twilio call statuses (the StatusCallback's CallStatus) ---
    (Source.TWILIO_CALL_STATUS, "queued"): Row(ACCEPTED, "call queued"),
    (Source.TWILIO_CALL_STATUS, "initiated"): Row(ACCEPTED, "call initiated"),
    (Source.TWILIO_CALL_STATUS, "ringing"): Row(ACCEPTED, "ringing"),
    (Source.TWILIO_CALL_STATUS, "in-progress"): Row(ACCEPTED, "call in progress"),
    (Source.TWILIO_CALL_STATUS, "completed"): Row(DELIVERED, "call answered"),
    (Source.TWILIO_CALL_STATUS, "busy"): Row(TRANSIENT, "line busy"),
    (Source.TWILIO_CALL_STATUS, "no-answer"): Row(TRANSIENT, "no answer"),
    (Source.TWILIO_CALL_STATUS, "canceled"): Row(TRANSIENT, "call canceled"),
    # Twilio: "failed: the call could not be completed as dialed, most likely
    # because the phone number was non-existent" — unless an ErrorCode says otherwise.
    (Source.TWILIO_CALL_STATUS, "failed"): Row(HARD, "call could not be completed as dialed"),
    # --- SendGrid Event Webhook events ---
    (Source.SENDGRID_EVENT, "processed"): Row(ACCEPTED, "accepted by the provider"),
    (Source.SENDGRID_EVENT, "delivered"): Row(DELIVERED, "accepted by the receiving server"),
    (Source.SENDGRID_EVENT, "deferred"): Row(SOFT, "receiving server deferred the message"),
    (Source.SENDGRID_EVENT, "bounce/bounce"): Row(HARD, "address bounced"),
    # The product brief lists "blocked" among the permanent failures that make an
    # address bad, so a block is a hard bounce. SendGrid's bounce_classification
    # can say the block is about the *sender* (reputation, content, volume): those
    # say nothing about the family's address, so they are soft and only retried.
    (Source.SENDGRID_EVENT, "bounce/blocked"): Row(HARD, "message blocked by the receiving server"),
    (Source.SENDGRID_EVENT, "bounce/blocked/Reputation"): Row(SOFT, "blocked for the sender's reputation"),
    (Source.SENDGRID_EVENT, "bounce/blocked/Content"): Row(SOFT, "blocked for the message content"),
    (Source.SENDGRID_EVENT, "bounce/blocked/Frequency or Volume Too High"): Row(
        SOFT, "blocked for sending volume"),
    (Source.SENDGRID_EVENT, "bounce/blocked/Invalid Address"): Row(HARD, "invalid address"),
    (Source.SENDGRID_EVENT, "bounce/blocked/Mailbox Unavailable"): Row(HARD, "mailbox unavailable"),
    (Source.SENDGRID_EVENT, "dropped"): Row(HARD, "dropped by the provider"),
    (Source.SENDGRID_EVENT, "spamreport"): Row(COMPLAINT, "recipient reported spam"),
    (Source.SENDGRID_EVENT, "unsubscribe"): Row(OPT_OUT, "recipient unsubscribed"),
    (Source.SENDGRID_EVENT, "group_unsubscribe"): Row(OPT_OUT, "recipient unsubscribed from the group"),
    # --- SendGrid "dropped" reasons: the address's own history says which class ---
    (Source.SENDGRID_DROP_REASON, "Bounced Address"): Row(HARD, "address bounced before"),
    (Source.SENDGRID_DROP_REASON, "Invalid"): Row(HARD, "invalid address"),
    (Source.SENDGRID_DROP_REASON, "Spam Reporting Address"): Row(COMPLAINT, "recipient reported spam before"),
    (Source.SENDGRID_DROP_REASON, "Unsubscribed Address"): Row(OPT_OUT, "recipient unsubscribed before"),
    # Drops caused by our message or account, not the address.
    (Source.SENDGRID_DROP_REASON, "Spam Content"): Row(TRANSIENT, "content judged spam"),
    (Source.SENDGRID_DROP_REASON, "Invalid SMTPAPI header"): Row(TRANSIENT, "request malformed"),
    (Source.SENDGRID_DROP_REASON, "Recipient List over Package Quota"): Row(TRANSIENT, "account quota"),
    # --- SendGrid synchronous answers ---
    (Source.SENDGRID_HTTP, "invalid_address"): Row(HARD, "invalid address"),
    (Source.SENDGRID_HTTP, "401"): Row(TRANSIENT, "provider rejected our API key"),
    (Source.SENDGRID_HTTP, "403"): Row(TRANSIENT, "provider refused our account"),
    (Source.SENDGRID_HTTP, "413"): Row(TRANSIENT, "request too large"),
    (Source.SENDGRID_HTTP, "429"): Row(TRANSIENT, "provider rate limit"),
}

UNKNOWN = Row(TRANSIENT, "unrecognised provider answer")


def _row(source: Source, key: object) -> Row | None:
    return OUTCOME_TABLE.get((source, str(key)))


def twilio_error_outcome(code: int | str | None) -> Row:
    """A Twilio error code, from a refused API call or a callback's ErrorCode."""
    if code in (None, ""):
        return UNKNOWN
    return _row(Source.TWILIO_ERROR, code) or Row(TRANSIENT, f"provider error {code}")


def _status_outcome(source: Source, status: str, error_code: int | str | None) -> Row | None:
    row = _row(source, status.lower())
    if row is None:
        return None
    if row.outcome not in (ACCEPTED, DELIVERED) and error_code not in (None, "", "0", 0):
        # A failed message or call that carries an error code is classified by that code.
        return twilio_error_outcome(error_code)
    return row


def twilio_message_status_outcome(status: str, error_code: int | str | None = None) -> Row | None:
    """None for statuses we do not know (Twilio adds some now and then): ignore them."""
    return _status_outcome(Source.TWILIO_MESSAGE_STATUS, status, error_code)


def twilio_call_status_outcome(status: str, error_code: int | str | None = None) -> Row | None:
    return _status_outcome(Source.TWILIO_CALL_STATUS, status, error_code)


def sendgrid_event_outcome(event: str, *, bounce_type: str | None = None, reason: str | None = None,
                           bounce_classification: str | None = None) -> Row | None:
    """None for events that say nothing about delivery (open, click, group_resubscribe)."""
    if event == "bounce":
        kind = (bounce_type or "bounce").lower()
        if bounce_classification:
            specific = _row(Source.SENDGRID_EVENT, f"bounce/{kind}/{bounce_classification}")
            if specific is not None:
                return specific
        return _row(Source.SENDGRID_EVENT, f"bounce/{kind}") or _row(Source.SENDGRID_EVENT, "bounce/bounce")
    if event == "dropped" and reason:
        by_reason = _row(Source.SENDGRID_DROP_REASON, reason)
        if by_reason is not None:
            return by_reason
    return _row(Source.SENDGRID_EVENT, event)


def sendgrid_http_outcome(status_code: int) -> Row:
    """A refused mail send, for every message of the request (5xx and unknowns are transient)."""
    return _row(Source.SENDGRID_HTTP, status_code) or Row(TRANSIENT, f"provider answered HTTP {status_code}")


def sendgrid_invalid_address() -> Row:
    """A 400 naming one personalization's address: that recipient alone is a hard bounce."""
    return OUTCOME_TABLE[(Source.SENDGRID_HTTP, "invalid_address")]


# Twilio's default opt-out and opt-in keywords (Advanced Opt-Out, "STOP filtering"):
# the whole body, case-insensitive, is the keyword.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
InboundKeyword = Literal["opt_out", "opt_in"]


def inbound_keyword(body: str) -> InboundKeyword | None:
    """Twilio matches a keyword only when it is the whole message; stray punctuation is forgiven."""
    word = body.strip().strip(".!?,;:'\"").strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return "opt_out"
    if word in OPT_IN_KEYWORDS:
        return "opt_in"
    return None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a status webhook said about one delivery, already in our classes.

    delivery_id is known when the webhook carries it (our custom_args on SendGrid,
    the StatusCallback URL's query on Twilio); otherwise look the delivery up by
    provider_message_id.
    """

    provider_message_id: str
    delivery_id: str | None
    outcome: Outcome
    provider_code: str | None
    reason: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class InboundSms:
    from_: str
    to: str
    body: str
    keyword: InboundKeyword | None

"""The delivery decision table of DESIGN.md §3, one row at a time, over a recipient's *situation*.

A situation is everything the rows look at and nothing else: what is being
sent, who the recipient is (adult, enabled student, student not enabled),
whether they joined, their preference, and the state of each credential
(None when there is none). Names and addresses never change a decision, so
the planner evaluates `decide` once per situation and reuses the answer for
every recipient in it.

Readings of the table that are choices, kept here so they are made once:
- A3 wins over A7/M4 for a student who chose App only and joined: they get the
  app only, as any user with that preference. A7/M4 decide the students who
  could otherwise get an SMS: "never SMS".
- U1 is literal: a user who gets nothing outside the app is listed unreachable,
  App only users included, with a reason that tells "by choice"
  (app_only_preference) from "cannot be reached" (no_credential, ...).
- An email marked opted_out is treated like a bad one: nothing goes to a
  credential whose owner asked for nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from services.notify.domain.delivery import Channel, Communication, CredentialState, Preference
from services.notify.domain.preferences import effective_preference


class Reason(StrEnum):
    """Why a recipient is left out, why a channel was not planned, or why a recipient is unreachable."""

    # The recipient is not part of the communication at all (not unreachable).
    STUDENT_ACCOUNT_NOT_ENABLED = "student_account_not_enabled"
    ALREADY_JOINED = "already_joined"  # I3: invitations go only to users who have not joined
    # The rows do not allow the channel for this recipient.
    APP_ONLY_PREFERENCE = "app_only_preference"
    STUDENT_SMS_NOT_ALLOWED = "student_sms_not_allowed"  # A7, M4, A4 for students, I2
    # The credential cannot take it.
    NO_EMAIL = "no_email"
    EMAIL_BAD = "email_bad"
    EMAIL_OPTED_OUT = "email_opted_out"
    NO_MOBILE = "no_mobile"
    MOBILE_BAD = "mobile_bad"
    MOBILE_OPTED_OUT = "mobile_opted_out"
    # Allowed and good, but the row sends the other channel; kept for fallback (F1).
    FALLBACK_ONLY = "fallback_only"
    # U1 summaries when nothing goes out on a provider channel.
    NO_CREDENTIAL = "no_credential"
    NO_GOOD_CREDENTIAL = "no_good_credential"
    # F1 at delivery time: every planned channel failed and no alternative is left.
    DELIVERY_FAILED = "delivery_failed"
    # A moderator hid the conversation message before this delivery was handed to its provider: never sent.
    WITHDRAWN_BY_MODERATOR = "withdrawn_by_moderator"


class Mode(Enum):
    """The communication as the rows distinguish it."""

    ANNOUNCEMENT = "announcement"
    PRIORITY = "priority"
    PRIORITY_WITH_CALL = "priority_with_call"
    MESSAGE = "message"
    INVITATION = "invitation"


class Kind(Enum):
    ADULT = "adult"
    ENABLED_STUDENT = "enabled_student"
    STUDENT_NOT_ENABLED = "student_not_enabled"


class InvalidPlanRequest(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def mode_of(communication: Communication, *, priority: bool, with_call: bool) -> Mode:
    if with_call and not priority:
        raise InvalidPlanRequest("a voice call goes only with a priority announcement")
    if communication is Communication.VERIFICATION:
        raise InvalidPlanRequest("a verification code goes to the address it verifies: no row plans it")
    if priority and communication is not Communication.ANNOUNCEMENT:
        raise InvalidPlanRequest(f"only an announcement can be sent as priority, not a {communication.value}")
    if communication is Communication.ANNOUNCEMENT:
        if priority:
            return Mode.PRIORITY_WITH_CALL if with_call else Mode.PRIORITY
        return Mode.ANNOUNCEMENT
    return Mode.MESSAGE if communication is Communication.MESSAGE else Mode.INVITATION


@dataclass(frozen=True, slots=True)
class Situation:
    mode: Mode
    district_default: Preference
    kind: Kind
    joined: bool
    preference: Preference | None  # as chosen; None = never chose (see effective_preference)
    email: CredentialState | None  # None = no email on file
    mobile: CredentialState | None  # None = no mobile on file


@dataclass(frozen=True, slots=True)
class SkippedChannel:
    channel: Channel
    reason: Reason


@dataclass(frozen=True, slots=True)
class Decision:
    """What the rows say for one situation; shared by every recipient in it."""

    row: str | None  # the deciding row of the table, e.g. "A2"; None when the recipient is left out
    channels: tuple[Channel, ...]  # provider deliveries, one each
    app: bool
    replyable: bool  # replies to these deliveries land in the same conversation (M2)
    unreachable_reason: Reason | None  # U1
    skipped: tuple[SkippedChannel, ...]  # every provider channel in play that is not planned, with why
    excluded_reason: Reason | None  # not part of the communication at all
    allowed: frozenset[Channel]  # what the rows permit whatever the credentials' health: F1's limit


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    options: tuple[Channel, ...]  # in order of preference
    send_every_good_option: bool  # priority: all of them; otherwise the first good one
    not_allowed_because: Reason | None  # for channels in play that are not options


def decide(situation: Situation) -> Decision:
    if situation.kind is Kind.STUDENT_NOT_ENABLED:
        return _left_out(Reason.STUDENT_ACCOUNT_NOT_ENABLED, row="I3" if situation.mode is Mode.INVITATION else None)
    if situation.mode is Mode.INVITATION and situation.joined:
        return _left_out(Reason.ALREADY_JOINED, row="I3")
    row = _row_for(situation)
    good = {Channel.EMAIL: situation.email is CredentialState.GOOD,
            Channel.SMS: situation.mobile is CredentialState.GOOD,
            Channel.VOICE: situation.mobile is CredentialState.GOOD}
    good_options = tuple(channel for channel in row.options if good[channel])
    channels = good_options if row.send_every_good_option else good_options[:1]
    in_play = (Channel.EMAIL, Channel.SMS, Channel.VOICE) if situation.mode is Mode.PRIORITY_WITH_CALL \
        else (Channel.EMAIL, Channel.SMS)
    skipped = tuple(SkippedChannel(channel, _why_not(channel, row, situation, good))
                    for channel in in_play if channel not in channels)
    return Decision(
        row=row.name,
        channels=channels,
        app=situation.joined and situation.mode is not Mode.INVITATION,
        replyable=situation.mode is Mode.MESSAGE,
        unreachable_reason=None if channels else _unreachable_reason(row, situation, good),
        skipped=skipped,
        excluded_reason=None,
        allowed=frozenset(row.options),
    )


def _row_for(situation: Situation) -> _Row:
    mode, student = situation.mode, situation.kind is Kind.ENABLED_STUDENT
    if mode is Mode.INVITATION:
        if student:
            return _Row("I2", (Channel.EMAIL,), False, Reason.STUDENT_SMS_NOT_ALLOWED)
        return _Row("I1", (Channel.EMAIL, Channel.SMS), False, None)
    if mode is Mode.PRIORITY:
        return _Row("A5", (Channel.EMAIL, Channel.SMS), True, None)
    if mode is Mode.PRIORITY_WITH_CALL:
        return _Row("A6", (Channel.EMAIL, Channel.SMS, Channel.VOICE), True, None)

    message = mode is Mode.MESSAGE
    preference = effective_preference(situation.preference, situation.district_default, student=student)
    if preference is Preference.APP_ONLY:
        if situation.joined:
            return _Row("M3" if message else "A3", (), False, Reason.APP_ONLY_PREFERENCE)
        # Not joined, App only would reach nobody: A4 (and M3, "else as A4").
        name = "M3" if message else "A4"
        if student:
            return _Row(name, (Channel.EMAIL,), False, Reason.STUDENT_SMS_NOT_ALLOWED)
        return _Row(name, _by_preference(situation.district_default), False, None)
    if student and preference is not Preference.SMS_APP:
        return _Row("M4" if message else "A7", (Channel.EMAIL,), False, Reason.STUDENT_SMS_NOT_ALLOWED)
    if preference is Preference.SMS_APP:
        return _Row("M2" if message else "A2", _by_preference(preference), False, None)
    return _Row("M1" if message else "A1", _by_preference(preference), False, None)


def _by_preference(preference: Preference) -> tuple[Channel, ...]:
    if preference is Preference.SMS_APP:
        return (Channel.SMS, Channel.EMAIL)
    return (Channel.EMAIL, Channel.SMS)


def _why_not(channel: Channel, row: _Row, situation: Situation, good: dict[Channel, bool]) -> Reason:
    # The rule first: a student's mobile stays unused for non-priority mail whatever its health.
    if channel not in row.options:
        assert row.not_allowed_because is not None, f"row {row.name} leaves {channel} out without a reason"
        return row.not_allowed_because
    if good[channel]:
        return Reason.FALLBACK_ONLY
    if channel is Channel.EMAIL:
        return _EMAIL_PROBLEM[situation.email]
    return _MOBILE_PROBLEM[situation.mobile]


def _unreachable_reason(row: _Row, situation: Situation, good: dict[Channel, bool]) -> Reason:
    forbidden_but_good = [channel for channel in (Channel.EMAIL, Channel.SMS)
                          if good[channel] and channel not in row.options]
    if forbidden_but_good:
        assert row.not_allowed_because is not None
        return row.not_allowed_because
    if situation.email is None and situation.mobile is None:
        return Reason.NO_CREDENTIAL
    return Reason.NO_GOOD_CREDENTIAL


_EMAIL_PROBLEM = {None: Reason.NO_EMAIL, CredentialState.BAD: Reason.EMAIL_BAD,
                  CredentialState.OPTED_OUT: Reason.EMAIL_OPTED_OUT}
_MOBILE_PROBLEM = {None: Reason.NO_MOBILE, CredentialState.BAD: Reason.MOBILE_BAD,
                   CredentialState.OPTED_OUT: Reason.MOBILE_OPTED_OUT}


def _left_out(reason: Reason, *, row: str | None) -> Decision:
    return Decision(row=row, channels=(), app=False, replyable=False, unreachable_reason=None, skipped=(),
                    excluded_reason=reason, allowed=frozenset())

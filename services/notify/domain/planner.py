"""The delivery planner: who gets a communication on which channel, per the decision table of DESIGN.md §3.

Pure and fast. The rows live in `delivery_rules.decide`, which looks only at a
recipient's situation (kind, joined, preference, credential states), and there
are few situations: a request evaluates every one of them once, up front, and
planning a recipient is an index into that table plus the deliveries' addresses.

Credential health comes in with the recipient. A credential that failed and
has not been reset is passed as bad, which is all F1's "later communications
go straight to the alternative, until the reset" needs: the rows already pick
the alternative when the preferred credential is bad.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from services.notify.domain.delivery import (
    DEFAULT_DISTRICT_PREFERENCE,
    Channel,
    Communication,
    CredentialState,
    Preference,
)
from services.notify.domain.delivery_rules import (
    Decision,
    InvalidPlanRequest,
    Kind,
    Reason,
    Situation,
    SkippedChannel,
    decide,
    mode_of,
)
from services.notify.domain.preferences import InvalidPreference, parse_district_default

__all__ = [
    "Decision", "InvalidPlanRequest", "InvalidPreference", "PlanRecipient", "PlanRequest", "PlannedDelivery",
    "Reason", "RecipientPlan", "SkippedChannel", "plan", "plan_fallback", "plan_recipient", "shared_mobile_label",
]


@dataclass(frozen=True, slots=True)
class PlanRecipient:
    person_id: str
    given_name: str
    is_student: bool
    student_account_enabled: bool
    joined: bool
    preference: Preference | None  # None: never chose: the district default, or Email+app for a student
    email: str | None
    email_state: CredentialState
    mobile_phone: str | None
    mobile_state: CredentialState  # opted_out is the mobile's own state, apart from bad
    mobile_shared_with: int = 0  # how many OTHER users have this mobile (F2 labels their SMS and calls)


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    channel: Channel
    to: str
    label: str | None = None  # "For <first name>:" on SMS and calls to a shared mobile; the body starts with it


@dataclass(frozen=True, slots=True)
class RecipientPlan:
    """One recipient's part in a communication: each of `deliveries` is one provider job; the inbox is `app`.

    The rest comes from the decision shared by everyone in the same situation:
    the deciding row, why channels were skipped, and, when no provider delivery
    is planned for someone eligible, why they are unreachable (U1).
    """

    person_id: str
    deliveries: tuple[PlannedDelivery, ...]
    decision: Decision  # shared by every recipient in the same situation

    @property
    def app(self) -> bool:
        return self.decision.app

    @property
    def unreachable_reason(self) -> Reason | None:
        return self.decision.unreachable_reason

    @property
    def skipped(self) -> tuple[SkippedChannel, ...]:
        return self.decision.skipped

    @property
    def excluded_reason(self) -> Reason | None:
        return self.decision.excluded_reason

    @property
    def row(self) -> str | None:
        return self.decision.row

    @property
    def replyable(self) -> bool:
        return self.decision.replyable


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What is being sent, as the rows distinguish it; checked, and plain strings made members, when built."""

    communication: Communication
    priority: bool = False
    with_call: bool = False
    district_default: Preference = DEFAULT_DISTRICT_PREFERENCE

    def __post_init__(self) -> None:
        object.__setattr__(self, "communication", Communication(self.communication))
        object.__setattr__(self, "district_default", parse_district_default(self.district_default))
        mode_of(self.communication, priority=self.priority, with_call=self.with_call)


def plan_recipient(recipient: PlanRecipient, request: PlanRequest) -> RecipientPlan:
    return _plan(recipient, _decisions_for(request))


def plan(recipients: Iterable[PlanRecipient], request: PlanRequest) -> Iterator[RecipientPlan]:
    decisions = _decisions_for(request)
    for recipient in recipients:
        yield _plan(recipient, decisions)


def plan_fallback(recipient: PlanRecipient, request: PlanRequest, *, failed_channel: Channel,
                  already_sent: AbstractSet[Channel]) -> PlannedDelivery | None:
    """F1: where the same communication goes after `failed_channel` failed for good, if anywhere.

    `recipient` carries the credentials' states as they are now; `already_sent`
    are the channels this communication already used for this recipient (the
    failed one included). None means no alternative is left; if nothing else of
    this communication reached them, they are unreachable (Reason.DELIVERY_FAILED).
    """
    alternative = _ALTERNATIVE.get(failed_channel)  # a call never falls back
    if alternative is None or alternative in already_sent:
        return None
    if alternative not in _decisions_for(request)[_situation_index(recipient)].allowed:
        return None
    if alternative is Channel.EMAIL:
        if recipient.email is None or recipient.email_state != CredentialState.GOOD:
            return None
        return PlannedDelivery(Channel.EMAIL, recipient.email)
    if recipient.mobile_phone is None or recipient.mobile_state != CredentialState.GOOD:
        return None
    return PlannedDelivery(Channel.SMS, recipient.mobile_phone, _label(recipient))


def shared_mobile_label(given_name: str) -> str:
    return f"For {given_name}:"


_ALTERNATIVE = {Channel.EMAIL: Channel.SMS, Channel.SMS: Channel.EMAIL}

# The index of a situation is a mixed-radix number: kind (3) × joined (2) × preference (4) × email (4) × mobile (4).
_KINDS = (Kind.ADULT, Kind.ENABLED_STUDENT, Kind.STUDENT_NOT_ENABLED)
_PREFERENCES = (None, Preference.EMAIL_APP, Preference.SMS_APP, Preference.APP_ONLY)
_STATES = (None, CredentialState.GOOD, CredentialState.BAD, CredentialState.OPTED_OUT)
_MOBILE_STEP = 1
_EMAIL_STEP = len(_STATES) * _MOBILE_STEP
_PREFERENCE_STEP = len(_STATES) * _EMAIL_STEP
_JOINED_STEP = len(_PREFERENCES) * _PREFERENCE_STEP
_KIND_STEP = 2 * _JOINED_STEP
_PREFERENCE_OFFSET = {preference: n * _PREFERENCE_STEP for n, preference in enumerate(_PREFERENCES)}
_EMAIL_OFFSET = {state: n * _EMAIL_STEP for n, state in enumerate(_STATES) if state is not None}
_MOBILE_OFFSET = {state: n * _MOBILE_STEP for n, state in enumerate(_STATES) if state is not None}
_ENABLED_STUDENT_OFFSET = 1 * _KIND_STEP
_STUDENT_NOT_ENABLED_OFFSET = 2 * _KIND_STEP


def _situation_index(recipient: PlanRecipient) -> int:
    if recipient.is_student:
        index = _ENABLED_STUDENT_OFFSET if recipient.student_account_enabled else _STUDENT_NOT_ENABLED_OFFSET
    else:
        index = 0
    if recipient.joined:
        index += _JOINED_STEP
    index += _PREFERENCE_OFFSET[recipient.preference]
    if recipient.email is not None:
        index += _EMAIL_OFFSET[recipient.email_state]
    if recipient.mobile_phone is not None:
        index += _MOBILE_OFFSET[recipient.mobile_state]
    return index


def _plan(recipient: PlanRecipient, decisions: tuple[Decision, ...]) -> RecipientPlan:
    decision = decisions[_situation_index(recipient)]
    channels = decision.channels
    if not channels:
        return RecipientPlan(recipient.person_id, (), decision)
    label = _label(recipient)
    return RecipientPlan(recipient.person_id, tuple([
        PlannedDelivery(channel, recipient.email) if channel is Channel.EMAIL
        else PlannedDelivery(channel, recipient.mobile_phone, label)
        for channel in channels
    ]), decision)


def _label(recipient: PlanRecipient) -> str | None:
    # F2: several users on one phone each get their own message, named so they can tell them apart.
    if recipient.mobile_shared_with and recipient.given_name:
        return shared_mobile_label(recipient.given_name)
    return None


# Every situation's decision for each kind of request, in `_situation_index` order; at most ten of them.
_DECISIONS: dict[PlanRequest, tuple[Decision, ...]] = {}


def _decisions_for(request: PlanRequest) -> tuple[Decision, ...]:
    decisions = _DECISIONS.get(request)
    if decisions is None:
        mode = mode_of(request.communication, priority=request.priority, with_call=request.with_call)
        decisions = _DECISIONS[request] = tuple(
            decide(Situation(mode, request.district_default, kind, joined, preference, email, mobile))
            for kind in _KINDS for joined in (False, True) for preference in _PREFERENCES
            for email in _STATES for mobile in _STATES
        )
    return decisions

"""Who an invitation reaches, and how: rows I1–I3 of the decision table, with U1, for one person at a time.

Pure. The rows themselves live in `delivery_rules` (the planner's, shared with
announcements); this module turns the planner's answer for an invitation into
what the inviter is told about each person:

- invited, by the one channel the rows chose (I1: email if good, else SMS if
  good; I2: an enabled student by email only);
- skipped, with the reason: joined (I3), not_enabled (I3, a student who is not
  a Student User), archived, not_found (notify has not heard of them), disabled
  (identity's answer), or no_usable_credential (U1), with the planner's reason
  as the detail (no_credential, no_good_credential, student_sms_not_allowed).

A person with no usable credential gets no token: a token nobody can receive
would only replace the one on a printed invitation. F1 needs nothing here: a
failed delivery falls back through the planner like any other communication's
(`planner.plan_fallback`), within the rows (never SMS for I2).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.planner import PlanRecipient, PlanRequest, Reason, plan_recipient

INVITATION = PlanRequest(Communication.INVITATION)


class SkipReason(StrEnum):
    JOINED = "joined"
    NOT_ENABLED = "not_enabled"
    ARCHIVED = "archived"
    NOT_FOUND = "not_found"
    DISABLED = "disabled"
    NO_USABLE_CREDENTIAL = "no_usable_credential"


# identity's join-token outcomes that are not "issued", as reasons to skip (the names are the same).
_TOKEN_REFUSALS = {reason.value: reason for reason in SkipReason if reason is not SkipReason.NO_USABLE_CREDENTIAL}
_EXCLUDED = {Reason.ALREADY_JOINED: SkipReason.JOINED, Reason.STUDENT_ACCOUNT_NOT_ENABLED: SkipReason.NOT_ENABLED}


@dataclass(frozen=True, slots=True)
class InvitationVerdict:
    person_id: str
    channel: Channel | None = None  # the provider channel of an invitation to send; None on paper or skipped
    address: str | None = None
    label: str | None = None  # F2's "For <name>:" on an SMS to a shared mobile
    reason: SkipReason | None = None  # None: invite
    detail: Reason | None = None  # the planner's U1 reason, for no_usable_credential

    @property
    def invited(self) -> bool:
        return self.reason is None


def decide_invitation(person_id: str, recipient: PlanRecipient | None, *, archived: bool = False) -> InvitationVerdict:
    """What an invitation by email or SMS does for one person. `recipient` is None when notify does not
    know the person, or knows them archived (`archived`)."""
    refused = _not_invitable(person_id, recipient, archived)
    if refused is not None:
        return refused
    planned = plan_recipient(recipient, INVITATION)
    if planned.excluded_reason is not None:
        return InvitationVerdict(person_id, reason=_EXCLUDED[planned.excluded_reason])
    if not planned.deliveries:
        return InvitationVerdict(person_id, reason=SkipReason.NO_USABLE_CREDENTIAL, detail=planned.unreachable_reason)
    delivery = planned.deliveries[0]  # the rows plan exactly one channel for an invitation
    return InvitationVerdict(person_id, delivery.channel, delivery.to, delivery.label)


def decide_printable_invitation(person_id: str, recipient: PlanRecipient | None, *,
                                archived: bool = False) -> InvitationVerdict:
    """Invite in another way: on paper, so credentials do not matter; everything else does (I3)."""
    refused = _not_invitable(person_id, recipient, archived)
    if refused is not None:
        return refused
    planned = plan_recipient(recipient, INVITATION)
    if planned.excluded_reason is not None:
        return InvitationVerdict(person_id, reason=_EXCLUDED[planned.excluded_reason])
    return InvitationVerdict(person_id)


def after_token(verdict: InvitationVerdict, token_outcome: str) -> InvitationVerdict:
    """The verdict once identity answered for the person's token: identity may know better (joined since,
    disabled), and then nobody is invited."""
    if not verdict.invited or token_outcome == "issued":
        return verdict
    return InvitationVerdict(verdict.person_id, reason=_TOKEN_REFUSALS[token_outcome])


def _not_invitable(person_id: str, recipient: PlanRecipient | None, archived: bool) -> InvitationVerdict | None:
    if archived:
        return InvitationVerdict(person_id, reason=SkipReason.ARCHIVED)
    if recipient is None:
        return InvitationVerdict(person_id, reason=SkipReason.NOT_FOUND)
    return None

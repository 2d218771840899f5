"""The planner's view of many people in one query: projection, chosen preference, credential health.

Shared by announcement planning (a page of a communication's recipients) and
the unreachable-contacts list (everyone of a school): both hand in a subquery
of person ids, and both turn the rows into PlanRecipients the same way, so
the planner decides for them on the same facts the workers later re-check.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Subquery, and_, false, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.notify.adapters.tables import credential_health, preferences, recipients
from services.notify.domain.delivery import CredentialKind, CredentialState, Preference
from services.notify.domain.planner import PlanRecipient
from services.notify.domain.recipients import is_student
from services.notify.domain.unreachable import Contact

_email_health = credential_health.alias("email_health")
_mobile_health = credential_health.alias("mobile_health")


@dataclass(frozen=True, slots=True)
class Member:
    """A person of the subquery as the planner sees them, with what lists and reports show of them."""

    contact: Contact
    recipient: PlanRecipient


def select_members(people: Subquery):
    """One row per person id of `people` (a subquery with a person_id column), in person id order.

    A person notify has not heard of yet comes back with a null `known_id`. `_recipient` unpacks
    these columns by position: change both together.
    """
    return (
        select(people.c.person_id.label("member_id"), recipients.c.person_id.label("known_id"),
               recipients.c.given_name, recipients.c.family_name, recipients.c.kinds,
               recipients.c.student_account_enabled, recipients.c.joined, recipients.c.archived,
               recipients.c.email, recipients.c.mobile_phone, preferences.c.preference,
               _email_health.c.state.label("email_state"), _mobile_health.c.state.label("mobile_state"))
        .select_from(people)
        .outerjoin(recipients, recipients.c.person_id == people.c.person_id)
        .outerjoin(preferences, preferences.c.person_id == people.c.person_id)
        .outerjoin(_email_health, and_(_email_health.c.kind == CredentialKind.EMAIL.value,
                                       _email_health.c.address == recipients.c.email))
        .outerjoin(_mobile_health, and_(_mobile_health.c.kind == CredentialKind.MOBILE_PHONE.value,
                                        _mobile_health.c.address == recipients.c.mobile_phone))
        .order_by(people.c.person_id)
    )


def plan_recipients(rows: Iterable[Row], shared_mobiles: Mapping[str, int]) -> list[PlanRecipient]:
    """The planner's view of the rows' people; people it must not see are left out (see `_recipient`)."""
    return [recipient for row in rows if (recipient := _recipient(row, shared_mobiles)) is not None]


def members(rows: Iterable[Row]) -> list[Member]:
    """The same, with what lists show of each person. F2 labels do not matter there: no shared counts."""
    found = []
    for row in rows:
        recipient = _recipient(row, {})
        if recipient is not None:
            found.append(Member(Contact(recipient.person_id, row.given_name, row.family_name, tuple(row.kinds or ())),
                                recipient))
    return found


def _recipient(row: Row, shared_mobiles: Mapping[str, int]) -> PlanRecipient | None:
    """None for people notify has not heard of yet, or archived since they were chosen.

    Hundreds of thousands of rows go through here for one announcement: the row is unpacked by
    position and values become enum members by dict lookups, several times faster than named access.
    """
    (_, known_id, given_name, _, kinds, student_account_enabled, joined, archived, email, mobile_phone,
     preference, email_state, mobile_state) = row
    if known_id is None or archived:
        return None
    return PlanRecipient(known_id, given_name or "", is_student(kinds), student_account_enabled, joined,
                         _PREFERENCE[preference], email, _STATE[email_state], mobile_phone, _STATE[mobile_state],
                         shared_mobiles.get(mobile_phone, 1) - 1 if mobile_phone else 0)


# No credential_health row means good; no preferences row means never chose.
_STATE = {None: CredentialState.GOOD, **{state.value: state for state in CredentialState}}
_PREFERENCE = {None: None, **{preference.value: preference for preference in Preference}}


def shared_mobiles(session: Session) -> dict[str, int]:
    """Every mobile that more than one current user has, with how many have it (F2 labels their SMS).

    Counted once for a whole communication: the mobiles shared are few, and one
    grouped scan costs less than a count for every page of recipients.
    """
    return dict(session.execute(
        select(recipients.c.mobile_phone, func.count())
        .where(recipients.c.mobile_phone.is_not(None), recipients.c.archived == false())
        .group_by(recipients.c.mobile_phone)
        .having(func.count() > 1)).all())

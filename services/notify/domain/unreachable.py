"""Unreachable contacts (DESIGN.md §3, U1): who would get nothing outside the app, and why.

Pure, and decided by the planner itself for a plain announcement: whoever it
plans no email, SMS or call for, among the people it does not leave out, is
unreachable with the planner's reason (no credential, only bad ones, the rows
forbid the good one, or App only by choice). Students whose account is not
enabled are not contacts at all and are not listed.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.notify.domain.delivery import Communication, Preference
from services.notify.domain.planner import PlanRecipient, PlanRequest, Reason, plan


@dataclass(frozen=True, slots=True)
class Contact:
    person_id: str
    given_name: str | None
    family_name: str | None
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnreachableContact:
    contact: Contact
    reason: Reason


def plain_announcement(district_default: Preference) -> PlanRequest:
    return PlanRequest(Communication.ANNOUNCEMENT, district_default=district_default)


def unreachable_contacts(members: Iterable[tuple[Contact, PlanRecipient]],
                         request: PlanRequest) -> list[UnreachableContact]:
    """The unreachable among `members`, by family name, then given name."""
    members = list(members)
    decided = plan((recipient for _, recipient in members), request)
    found = [UnreachableContact(contact, plan_of.unreachable_reason)
             for (contact, _), plan_of in zip(members, decided) if plan_of.unreachable_reason is not None]
    return sorted(found, key=lambda found: by_name(found.contact))


def by_name(contact: Contact) -> tuple[str, str, str]:
    return ((contact.family_name or "").casefold(), (contact.given_name or "").casefold(), contact.person_id)

"""Two OneRoster 1.1 users.csv rows that are one person: a staff row and a parent row sharing an email or mobile.

OneRoster 1.1 gives each user one role, so a teacher who is also a parent is
often exported twice, under two sourcedIds. The rule that reads such rows as
one person:

- Only a staff row (teacher, administrator, ...) and a guardian row (parent,
  guardian, relative) are ever one person. Two guardian rows never are: two
  parents often share a family email or phone, a shared credential, not one
  person. Two staff rows never are, and a student row never is (students
  often carry a parent's phone).
- First by email: an email held by exactly one staff row and exactly one
  guardian row makes them one person. An email held by more rows of those
  kinds is ambiguous, and makes nobody one person.
- Then by mobile (`sms`), among the rows the emails left unpaired, the same
  way, unless both rows have an email and the emails differ.
- So each row pairs with at most one other: staff A sharing an email with
  parent B, and B sharing a mobile with staff C, is A+B (email first) and C.

Which rows pair does not depend on their order in the file; which sourcedId
survives does: the earlier row's. The later one becomes an alias, and every
reference to it (enrollments, agentSourcedIds from either side) names the
surviving person.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple, Protocol

from .role_vocabulary import job_title_of
from .snapshot import GUARDIAN, STAFF, Person

EMAIL = "email"
MOBILE = "sms"

STAFF_ONLY = frozenset({STAFF})
GUARDIAN_ONLY = frozenset({GUARDIAN})


class UserRow(Protocol):
    """What the rule looks at in one row (a Person is one): its kinds and normalised credentials."""

    @property
    def source_id(self) -> str: ...

    @property
    def kinds(self) -> frozenset[str]: ...

    @property
    def email(self) -> str | None: ...

    @property
    def mobile_phone(self) -> str | None: ...


class SamePerson(NamedTuple):
    survivor: str  # the earlier row's sourcedId, kept
    alias: str  # the later row's, read as the survivor from now on
    column: str  # email or sms: what they share


def same_people(rows: Iterable[UserRow]) -> list[SamePerson]:
    """The pairs of rows (given in file order) that are one person, in the order of their later row."""
    rows = list(rows)
    staff = [(at, row) for at, row in enumerate(rows) if row.kinds == STAFF_ONLY]
    # A district has a few staff for every hundred guardians: only guardians sharing a staff value matter,
    # and every guardian holding such a value is among them, so each value's holders are all counted.
    emails = {row.email for _, row in staff} - {None}
    mobiles = {row.mobile_phone for _, row in staff} - {None}
    guardians = [(at, row) for at, row in enumerate(rows)
                 if row.kinds == GUARDIAN_ONLY and (row.email in emails or row.mobile_phone in mobiles)]
    found: list[tuple[int, SamePerson]] = []
    paired: set[int] = set()
    for column in (EMAIL, MOBILE):
        staff_holding, guardians_holding = _holders(staff, column, paired), _holders(guardians, column, paired)
        for value, held in guardians_holding.items():
            if len(held) != 1 or len(staff_holding.get(value, ())) != 1:
                continue
            (first_at, first), (second_at, second) = sorted((staff_holding[value][0], held[0]))
            if column == MOBILE and first.email and second.email and first.email != second.email:
                continue
            paired.update((first_at, second_at))
            found.append((second_at, SamePerson(first.source_id, second.source_id, column)))
    return [same for _, same in sorted(found)]


def _holders(rows: list[tuple[int, UserRow]], column: str, left_out: set[int]) -> dict[str, list[tuple[int, UserRow]]]:
    holding: dict[str, list[tuple[int, UserRow]]] = {}
    for at, row in rows:
        value = row.email if column == EMAIL else row.mobile_phone
        if value is not None and at not in left_out:
            holding.setdefault(value, []).append((at, row))
    return holding


def combined(first: Person, second: Person) -> Person:
    """One person from two rows: the first row's sourcedId, names and line; every role; what either row knows."""
    roles = tuple(dict.fromkeys(first.roles + second.roles))
    extras = first.extras + tuple(extra for extra in second.extras if extra[0] not in dict(first.extras))
    merged = first._replace(
        kinds=first.kinds | second.kinds,
        roles=roles,
        job_title=job_title_of(roles),
        middle_name=first.middle_name or second.middle_name,
        grade=first.grade or second.grade,
        identifier=first.identifier or second.identifier,
        username=first.username or second.username,
        org_source_ids=tuple(dict.fromkeys(first.org_source_ids + second.org_source_ids)),
        email=first.email or second.email,
        mobile_phone=first.mobile_phone or second.mobile_phone,
        home_phone=first.home_phone or second.home_phone,
        # Either role may sign in: disabling one row must not lock the person out of the other.
        enabled_user=first.enabled_user or second.enabled_user,
        date_last_modified=_latest(first.date_last_modified, second.date_last_modified),
        role_assignments=first.role_assignments + second.role_assignments,
        profiles=first.profiles + second.profiles,
        extras=extras,
        source_digest=None,  # two records: neither one's cells say what the person is
    )
    # A field one row had invalid and the other filled is no longer unknown.
    invalid = tuple(dict.fromkeys(field for field in first.invalid_fields + second.invalid_fields
                                  if getattr(merged, field) is None))
    return merged._replace(invalid_fields=invalid)


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    try:
        return max(first, second)
    except TypeError:  # one has a time zone and the other not: they cannot be ordered, keep the first row's
        return first

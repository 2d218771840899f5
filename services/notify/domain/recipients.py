"""The recipient projection: what notify knows about each person it may reach.

notify builds it only from other services' events. identity describes a
person's account (credentials, roles, status) and directory describes the
person (kinds, schools, archived, student account), and their events for one
person arrive in any order, or more than once. So every rule here converges:

- each fact sets only the fields its source owns;
- names and district, which both sources carry, come from directory once it
  has described the person, and from the account until then;
- `joined` and `student_account_enabled` only ever become true (nobody can
  un-join, and directory has no way to disable a student account), so they
  are combined with `or` and a late, stale page cannot turn them off.

Successive versions from the same source are applied in arrival order: the
events carry no version to order them by.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from shared.contracts.directory import STUDENT
from shared.contracts.identity import DEFAULT_LANGUAGE

# identity's account status after the user's first login.
ACTIVE_ACCOUNT = "active"


@dataclass(frozen=True, slots=True)
class Recipient:
    person_id: str
    district_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    mobile_phone: str | None = None
    account_status: str | None = None
    roles: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    school_ids: tuple[str, ...] = ()
    student_account_enabled: bool = False
    joined: bool = False
    archived: bool = False
    # Once directory has described the person its names and district win over the account's.
    in_directory: bool = False
    language: str = DEFAULT_LANGUAGE  # the account's, a BCP 47 tag: messages will be rendered in it


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What identity says about one account (identity.accounts_upserted)."""

    person_id: str
    district_id: str | None
    given_name: str
    family_name: str
    email: str | None
    mobile_phone: str | None
    status: str
    roles: tuple[str, ...]
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class DirectoryFacts:
    """What directory says about one person (directory.people_upserted)."""

    person_id: str
    district_id: str
    given_name: str
    family_name: str
    kinds: tuple[str, ...]
    school_ids: tuple[str, ...]
    student_account_enabled: bool
    archived: bool


@dataclass(frozen=True, slots=True)
class UserJoined:
    person_id: str


@dataclass(frozen=True, slots=True)
class StudentAccountEnabled:
    person_id: str


Fact = AccountFacts | DirectoryFacts | UserJoined | StudentAccountEnabled


def is_student(kinds: Iterable[str] | None) -> bool:
    """Whether the rules treat the person as a student: anyone directory lists as one, whatever else they are.

    The planner's rows and the preference answers both ask this, so a student who is also a guardian or
    staff has one default preference (Email+app) and one set of rows (A7, M4, I2, and nothing until enabled).
    """
    return STUDENT in (kinds or ())


def apply_fact(recipient: Recipient, fact: Fact) -> Recipient:
    if fact.person_id != recipient.person_id:
        raise ValueError(f"a fact about {fact.person_id} cannot change {recipient.person_id}")
    match fact:
        case AccountFacts():
            return _apply_account(recipient, fact)
        case DirectoryFacts():
            return _apply_directory(recipient, fact)
        case UserJoined():
            return replace(recipient, joined=True)
        case StudentAccountEnabled():
            return replace(recipient, student_account_enabled=True)
    raise TypeError(f"not a recipient fact: {fact!r}")


def apply_facts(current: Mapping[str, Recipient], facts: Iterable[Fact]) -> dict[str, Recipient]:
    """The projection after `facts`: every recipient in `current` plus one per newly named person."""
    projection = dict(current)
    for fact in facts:
        before = projection.get(fact.person_id) or Recipient(fact.person_id)
        projection[fact.person_id] = apply_fact(before, fact)
    return projection


def in_district_language(recipient: Recipient, defaults: Mapping[str, str]) -> Recipient:
    """Who has not joined has not chosen a language (joining is where one is chosen): they read their
    district's default (`defaults` by district, DEFAULT_LANGUAGE for a district that chose none)."""
    if recipient.joined:
        return recipient
    language = defaults.get(recipient.district_id or "", DEFAULT_LANGUAGE)
    # Most often it is the language already held: replace() would copy the recipient for nothing.
    return recipient if recipient.language == language else replace(recipient, language=language)


def changed(before: Mapping[str, Recipient], after: Mapping[str, Recipient]) -> list[Recipient]:
    """The recipients of `after` that differ from `before`: what needs writing, nothing on a redelivery."""
    return [recipient for person_id, recipient in after.items() if before.get(person_id) != recipient]


def _apply_account(recipient: Recipient, account: AccountFacts) -> Recipient:
    updated = replace(
        recipient,
        email=account.email,
        mobile_phone=account.mobile_phone,
        account_status=account.status,
        roles=_as_set(account.roles),
        joined=recipient.joined or account.status == ACTIVE_ACCOUNT,
        language=account.language,
    )
    if recipient.in_directory:
        return updated
    return replace(
        updated,
        given_name=account.given_name,
        family_name=account.family_name,
        district_id=account.district_id or recipient.district_id,
    )


def _apply_directory(recipient: Recipient, person: DirectoryFacts) -> Recipient:
    return replace(
        recipient,
        district_id=person.district_id,
        given_name=person.given_name,
        family_name=person.family_name,
        kinds=_as_set(person.kinds),
        school_ids=_as_set(person.school_ids),
        student_account_enabled=recipient.student_account_enabled or person.student_account_enabled,
        archived=person.archived,
        in_directory=True,
    )


def _as_set(values: Iterable[str]) -> tuple[str, ...]:
    # Sorted and unique, so a page listing the same roles in another order changes nothing.
    values = tuple(values)
    if len(values) < 2:  # most people have one kind, one school, one role
        return values
    return tuple(sorted(set(values)))

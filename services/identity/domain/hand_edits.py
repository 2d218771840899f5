"""Changes staff make to an account by hand, through directory: role grants and contact details.

Whether a change is allowed at all (a sync may manage the person) is directory's
decision; identity applies the rules of accounts and credentials, and keeps who
made each change (`AccountEdit`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from .accounts import Account, Profile, RoleGrant, canonical_roles, union_of_roles
from .credentials import (
    EMAIL,
    HOME_PHONE,
    MOBILE_PHONE,
    InvalidCredential,
    blank_to_none,
    normalise_email,
    normalise_phone,
)
from .documents import role_documents
from .joined_credentials import belongs_to_joined_account

CONTACT_FIELDS = (EMAIL, MOBILE_PHONE, HOME_PHONE)
# What an AccountEdit changed.
MANUAL_ROLES, CONTACT_DETAILS = "manual_roles", "contact_details"
# The field of a Conflict naming the account staff can link instead.
EXISTING_PERSON_ID = "existing_person_id"


@dataclass(frozen=True, slots=True)
class AccountEdit:
    """Who changed an account by hand, when, what, and from what (both sides JSON-simple)."""

    id: str
    person_id: str
    what: str
    previous: Mapping
    current: Mapping
    changed_by: str
    changed_at: datetime


def normalise_typed(values: Mapping[str, str | None], region: str) -> tuple[dict[str, str | None],
                                                                           dict[str, list[str]]]:
    """Contact fields as typed by hand, normalised (null or blank: none), and why each invalid one was refused."""
    normalised: dict[str, str | None] = {}
    invalid: dict[str, list[str]] = {}
    for name, raw in values.items():
        raw = blank_to_none(raw)
        try:
            normalised[name] = None if raw is None else _normalise(name, raw, region)
        except InvalidCredential as error:
            invalid[name] = [error.reason]
    return normalised, invalid


def _normalise(name: str, value: str, region: str) -> str:
    return normalise_email(value) if name == EMAIL else normalise_phone(value, region)


def edited_profile(profile: Profile, typed: Mapping[str, str | None]) -> Profile:
    """`profile` with the typed contact fields; fields not typed stay as they are."""
    return replace(profile, **{name: typed[name] for name in CONTACT_FIELDS if name in typed})


def contact_details(profile: Profile) -> dict[str, str | None]:
    return {name: getattr(profile, name) for name in CONTACT_FIELDS}


def manual_roles_with(account: Account, grants: Iterable[Mapping]) -> tuple[RoleGrant, ...]:
    """The account's hand-made grants once `grants` are added to them."""
    return union_of_roles(account.manual_roles, canonical_roles(grants))


def manual_roles_document(roles: tuple[RoleGrant, ...]) -> dict:
    return {"roles": role_documents(roles)}


def conflict_fields(taken: Mapping[str, str], typed: Mapping[str, str | None]) -> dict[str, list[str]]:
    """The fields of the Conflict refusing credentials that joined accounts hold (`taken`: field -> holder),
    with the holders' person ids, so staff can link the existing account instead."""
    fields = {kind: [belongs_to_joined_account(typed[kind])] for kind in taken}
    fields[EXISTING_PERSON_ID] = list(dict.fromkeys(taken.values()))
    return fields

"""A login credential of an account whose owner has joined is theirs: no other account is handed it.

Credentials may be shared (two parents, one phone) while nobody controls them.
Once an owner has signed in, their email or mobile phone goes to no other
account: a sync keeps the other account's stored value and reports the field,
a hand edit is refused, and staff link the existing account instead
(DESIGN.md, Accounts). An account always keeps a value it already holds.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from shared.contracts.identity import CREDENTIAL_OF_JOINED_ACCOUNT

from .accounts import Account, Problem, Profile
from .credentials import LOGIN_KINDS

# (kind, normalised value): ("email", "dana@example.org") or ("mobile_phone", "+14155552671").
Credential = tuple[str, str]
# For each credential, the person ids of the joined accounts that hold it.
JoinedHolders = Mapping[Credential, frozenset[str]]


def joined_holders(accounts: Iterable[Account], wanted: Collection[Credential]) -> dict[Credential, frozenset[str]]:
    """Which of `accounts` have joined and hold each of the `wanted` credentials."""
    holders: dict[Credential, set[str]] = {}
    for account in accounts:
        if not account.has_joined:
            continue
        for kind in LOGIN_KINDS:
            credential = (kind, getattr(account.profile, kind))
            if credential in wanted:
                holders.setdefault(credential, set()).add(account.person_id)
    return {credential: frozenset(people) for credential, people in holders.items()}


def new_credentials(stored: Profile | None, profile: Profile) -> set[Credential]:
    """The login credentials `profile` names that the account (`stored`, None when new) does not hold yet."""
    return {(kind, value) for kind in LOGIN_KINDS
            if (value := getattr(profile, kind)) is not None
            and (stored is None or value != getattr(stored, kind))}


def taken_by_joined(person_id: str, stored: Profile | None, profile: Profile,
                    holders: JoinedHolders) -> dict[str, str]:
    """For each login field of `profile` whose new value a joined account of another person holds,
    that person's id (the least, when several hold it)."""
    new = new_credentials(stored, profile)
    taken = {}
    for kind in LOGIN_KINDS:
        credential = (kind, getattr(profile, kind))
        others = holders.get(credential, frozenset()).difference((person_id,)) if credential in new else ()
        if others:
            taken[kind] = min(others)
    return taken


def belongs_to_joined_account(value: str) -> str:
    return f"{value} already belongs to another account that has joined"


def refused_on(field: str, reason: str) -> Problem:
    """The product's message, then why, so a caller can show it as it is (a rostering row finding)."""
    return Problem(field, f"{CREDENTIAL_OF_JOINED_ACCOUNT}: {reason}")

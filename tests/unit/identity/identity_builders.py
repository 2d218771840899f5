"""Builders for identity's unit tests: realistic defaults, any field overridable."""
from __future__ import annotations

from dataclasses import replace

from services.identity.domain.accounts import Account, Profile, RoleGrant


def make_account_input(**overrides) -> dict:
    """One row of upsert_accounts, as the contract schema loads it."""
    row = {
        "person_id": "person-guardian-1",
        "given_name": "Dana",
        "family_name": "Rivera",
        "email": "dana.rivera@example.org",
        "mobile_phone": "(415) 555-2671",
        "home_phone": None,
        "roles": [{"role": "guardian", "school_ids": []}],
        "managed_by_sync": True,
    }
    row.update(overrides)
    return row


def make_profile(**overrides) -> Profile:
    profile = Profile(
        district_id="district-1",
        given_name="Dana",
        family_name="Rivera",
        email="dana.rivera@example.org",
        mobile_phone="+14155552671",
        home_phone=None,
        roles=(RoleGrant("guardian"),),
        managed_by_sync=True,
    )
    return replace(profile, **overrides)


def make_account(*, profile: Profile | None = None, **overrides) -> Account:
    account = Account(person_id="person-guardian-1", profile=profile or make_profile())
    return replace(account, **overrides)


def make_principal(**overrides) -> dict:
    principal = {
        "person_id": "person-1",
        "district_id": "district-1",
        "display_name": "Dana Rivera",
        "status": "active",
        "roles": [],
        "permissions": [],
    }
    principal.update(overrides)
    return principal

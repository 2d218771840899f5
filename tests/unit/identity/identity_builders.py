"""Builders for identity's unit tests: realistic defaults, any field overridable."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timezone

from services.identity.domain.accounts import Account, Profile, RoleGrant
from services.identity.domain.joined_credentials import joined_holders
from services.identity.domain.upserts import UpsertPlan, credentials_to_check, draft_upserts, plan_upserts

# The handler tests' clock starts here.
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)


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


def plan_page(items: Iterable[Mapping], *, existing: Iterable[Account] = (), others: Iterable[Account] = (),
              region: str = "US", update_contact_details_of_joined: bool = True) -> UpsertPlan:
    """Both passes of upsert_accounts as its handler runs them, on a store holding `existing` (the page's
    own people) and `others` (accounts of people the page does not name)."""
    existing = list(existing)
    drafts = draft_upserts(items, district_id="district-1", region=region,
                           existing={account.person_id: account for account in existing},
                           update_contact_details_of_joined=update_contact_details_of_joined)
    wanted = credentials_to_check(drafts)
    return plan_upserts(drafts, joined_holders_in_store=joined_holders([*existing, *others], wanted))

"""Builders for notify tests: event payload rows as the contracts define them, and domain facts."""
from __future__ import annotations

from services.notify.domain.recipients import AccountFacts, DirectoryFacts


def make_account_change(**overrides) -> dict:
    """One row of identity.accounts_upserted."""
    change = {
        "person_id": "person-1",
        "district_id": "district-1",
        "given_name": "Dana",
        "family_name": "Reyes",
        "email": "dana.reyes@example.org",
        "mobile_phone": "+15555550101",
        "status": "invitee",
        "roles": [{"role": "guardian", "school_ids": []}],
    }
    return {**change, **overrides}


def make_person_change(**overrides) -> dict:
    """One row of directory.people_upserted."""
    change = {
        "person_id": "person-1",
        "district_id": "district-1",
        "given_name": "Dana",
        "family_name": "Reyes",
        "kinds": ["guardian"],
        "school_ids": ["school-1"],
        "student_account_enabled": False,
        "archived": False,
    }
    return {**change, **overrides}


def make_account_facts(**overrides) -> AccountFacts:
    facts = {
        "person_id": "person-1",
        "district_id": "district-1",
        "given_name": "Dana",
        "family_name": "Reyes",
        "email": "dana.reyes@example.org",
        "mobile_phone": "+15555550101",
        "status": "invitee",
        "roles": ("guardian",),
    }
    return AccountFacts(**{**facts, **overrides})


def make_directory_facts(**overrides) -> DirectoryFacts:
    facts = {
        "person_id": "person-1",
        "district_id": "district-1",
        "given_name": "Dana",
        "family_name": "Reyes",
        "kinds": ("guardian",),
        "school_ids": ("school-1",),
        "student_account_enabled": False,
        "archived": False,
    }
    return DirectoryFacts(**{**facts, **overrides})

"""Builders for the gateway's unit tests: contract-shaped dicts with overrides."""
from __future__ import annotations

from shared.contracts import identity


def make_principal(role: str = identity.TEACHER, *, permissions: tuple[str, ...] = (), **overrides) -> dict:
    principal = {
        "person_id": f"{role}-1",
        "district_id": "district-1",
        "display_name": f"A {role}",
        "status": "active",
        "roles": [{"role": role, "school_ids": [] if role in (identity.DISTRICT_ADMIN, identity.GUARDIAN,
                                                               identity.STUDENT) else ["school-1"]}],
        "permissions": list(permissions),
    }
    return {**principal, **overrides}


def make_person_profile(**overrides) -> dict:
    profile = {
        "id": "person-1", "given_name": "Dana", "family_name": "Reyes", "kinds": ["guardian"],
        "job_title": None, "schools": [{"id": "school-1", "name": "Lincoln Elementary"}],
        "linked_students": [{"id": "student-1", "given_name": "Ada", "family_name": "Reyes"}],
        "archived": False, "managed_by_sync": True,
    }
    return {**profile, **overrides}


def make_account(**overrides) -> dict:
    account = {
        "person_id": "person-1", "district_id": "district-1", "given_name": "Dana", "family_name": "Reyes",
        "email": "dana@example.org", "mobile_phone": "+15555550101", "home_phone": "+15555550199",
        "credentials": [{"kind": "email", "value": "dana@example.org", "shared": False},
                        {"kind": "mobile_phone", "value": "+15555550101", "shared": True}],
        "status": "active", "joined_at": "2025-09-01T08:00:00+00:00",
        "roles": [{"role": "guardian", "school_ids": []}], "permissions": [],
    }
    return {**account, **overrides}


def make_credential_health(**overrides) -> dict:
    health = {
        "person_id": "person-1", "kind": "email", "address": "dana@example.org", "state": "good", "reason": None,
        "last_status": "delivered", "updated_at": "2026-09-01T08:00:00+00:00",
    }
    return {**health, **overrides}

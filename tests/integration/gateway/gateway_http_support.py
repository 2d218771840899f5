"""For the gateway's HTTP tests: builders of identity's and directory's answers (with overrides), the
check of the one error shape, and a free port to bind the gateway to."""
from __future__ import annotations


import requests

from shared.contracts import identity
from shared.testing.ports import free_port  # noqa: F401  (the gateway tests import it from here)

DISTRICT_WIDE = (identity.DISTRICT_ADMIN, identity.GUARDIAN, identity.STUDENT)


def make_principal(role: str = identity.TEACHER, *, permissions: tuple[str, ...] = (), **overrides) -> dict:
    principal = {
        "person_id": f"{role}-1",
        "district_id": "district-1",
        "display_name": f"A {role}",
        "status": "active",
        "roles": [{"role": role, "school_ids": [] if role in DISTRICT_WIDE else ["school-1"]}],
        "permissions": list(permissions),
    }
    return {**principal, **overrides}


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


def make_person_profile(**overrides) -> dict:
    profile = {
        "id": "person-1", "given_name": "Dana", "family_name": "Reyes", "kinds": ["guardian"],
        "job_title": None, "schools": [{"id": "school-1", "name": "Lincoln Elementary"}],
        "linked_students": [{"id": "student-1", "given_name": "Ada", "family_name": "Reyes"}],
        "archived": False, "managed_by_sync": True,
    }
    return {**profile, **overrides}


def make_student_profile(**overrides) -> dict:
    profile = {
        "id": "student-1", "given_name": "Ada", "family_name": "Reyes", "grade": "03", "identifier": "S001",
        "schools": [{"id": "school-1", "name": "Lincoln Elementary"}],
        "classrooms": [{"id": "class-1", "title": "Math 3A", "school_id": "school-1", "class_code": "M3A"}],
        "guardians": [{"id": "person-1", "given_name": "Dana", "family_name": "Reyes"}],
        "student_account_status": "not_enabled", "archived": False,
    }
    return {**profile, **overrides}


def make_person_summary(**overrides) -> dict:
    summary = {
        "id": "student-1", "given_name": "Ada", "family_name": "Reyes", "kinds": ["student"], "grade": "03",
        "job_title": None, "school_ids": ["school-1"], "student_account_status": "not_enabled", "archived": False,
    }
    return {**summary, **overrides}


def make_people_page(*items: dict, **overrides) -> dict:
    page = {"items": list(items), "total": len(items), "page": 1, "per_page": 25}
    return {**page, **overrides}


def make_item_result(key: str, outcome: str = "enabled", **overrides) -> dict:
    result = {"key": key, "id": key if outcome != "not_found" else None, "outcome": outcome, "problems": []}
    return {**result, **overrides}


def make_credential_health(**overrides) -> dict:
    health = {
        "person_id": "person-1", "kind": "email", "address": "dana@example.org", "state": "good", "reason": None,
        "last_status": "delivered", "updated_at": "2026-09-01T08:00:00+00:00",
    }
    return {**health, **overrides}


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    """The one error shape; returns its `fields` for further checks."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["fields"]


def make_communication_history(*, with_deliveries: bool = True, scope: str = "everything") -> dict:
    """notify's first page of a person's history: one announcement, its email delivery when status is shown."""
    item = {"communication_id": "comm-1", "kind": "announcement", "conversation_id": None, "subject": "Field trip",
            "preview": "The bus leaves at 8.", "priority": False, "sender_id": "teacher-1",
            "sent_at": "2026-09-01T08:00:00+00:00"}
    if with_deliveries:
        item["deliveries"] = [{"channel": "email", "address": "dana@example.org", "status": "delivered",
                               "reason": None, "updated_at": "2026-09-01T08:01:00+00:00"}]
    return {"items": [item], "total": 1, "page": 1, "per_page": 20, "scope": scope}

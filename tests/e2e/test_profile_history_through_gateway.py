"""A user profile's communication history and delivery status through the gateway, with every process running:
a teacher without Engagement Visibility sees only the announcement they sent to a guardian of their class, and
the guardian's credentials without delivery status; once granted Engagement Visibility, every communication
of the guardian, each with its deliveries, and the status of each credential.

DESIGN.md "Directory" (who sees what on a user profile) and "Communication history and delivery status per user".
"""
from __future__ import annotations

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL
from shared.contracts import identity

from district_support import find_person_id, import_demo_district, person, sign_in, wait_for

pytestmark = pytest.mark.e2e

GUARDIAN = "lincoln-elem-student-2-guardian-1"
HOMEROOM_TEACHER = "lincoln-elem-teacher-1"  # teaches students 1 to 8


@pytest.fixture
def district(stack, tmp_path):
    return import_demo_district(stack, tmp_path / "district")


def announce(stack, token: str, person_id: str, subject: str) -> str:
    response = stack.api("POST", "/api/v1/announcements", token, json={
        "audience": {"person_ids": [person_id], "include_guardians": False}, "subject": subject,
        "body": f"{subject}: details inside."})
    assert response.status_code == 202, response.text
    return response.json()["communication_id"]


def profile(stack, token: str, person_id: str) -> dict:
    response = stack.api("GET", f"/api/v1/directory/people/{person_id}", token)
    assert response.status_code == 200, response.text
    return response.json()


def history_ids(found: dict) -> list[str]:
    return [item["communication_id"] for item in found["communication_history"]["items"]]


def with_email_deliveries(stack, token: str, person_id: str, expected: int) -> dict | None:
    """The profile once each of the `expected` communications shows its email delivery."""
    found = profile(stack, token, person_id)
    items = found["communication_history"]["items"]
    emailed = [item for item in items if any(d["channel"] == "email" for d in item.get("deliveries", ()))]
    return found if len(emailed) == expected else None


def test_engagement_visibility_decides_which_communications_a_teacher_sees_and_status_needs_an_extended_permission(
        stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian = person(district, GUARDIAN)
    guardian_id = find_person_id(stack, admin, guardian, "guardian")
    teacher_person = person(district, HOMEROOM_TEACHER)
    teacher = sign_in(stack, teacher_person.email)
    teacher_id = find_person_id(stack, admin, teacher_person, "staff")

    from_admin = announce(stack, admin, guardian_id, "Bus schedule")
    from_teacher = announce(stack, teacher, guardian_id, "Class picnic")

    # The administrator sees both, newest first, each with its delivery to the guardian's email.
    seen_by_admin = wait_for(lambda: with_email_deliveries(stack, admin, guardian_id, 2),
                             what="both announcements planned for the guardian")
    assert history_ids(seen_by_admin) == [from_teacher, from_admin]
    assert seen_by_admin["communication_history"]["scope"] == "everything"
    assert all("delivery_status" in credential for credential in seen_by_admin["credentials"])

    # A teacher without Engagement Visibility: only what they sent; credentials without delivery status.
    seen_by_teacher = profile(stack, teacher, guardian_id)
    assert history_ids(seen_by_teacher) == [from_teacher]
    assert seen_by_teacher["communication_history"]["scope"] == "took_part"
    assert all("deliveries" not in item for item in seen_by_teacher["communication_history"]["items"])
    assert guardian.email in [credential["value"] for credential in seen_by_teacher["credentials"]]
    assert all("delivery_status" not in credential for credential in seen_by_teacher["credentials"])

    # Granted Engagement Visibility: everything, with deliveries and each credential's status.
    granted = stack.api("PUT", f"/api/v1/staff/{teacher_id}/permissions", admin,
                        json={"permissions": [identity.ENGAGEMENT_VISIBILITY]})
    assert granted.status_code == 200, granted.text
    wait_for(lambda: stack.api("GET", "/api/v1/me", teacher).json()["principal"]["permissions"] == [
        identity.ENGAGEMENT_VISIBILITY], what="the teacher's permission in effect")
    seen_with_permission = wait_for(lambda: with_email_deliveries(stack, teacher, guardian_id, 2),
                                    what="the teacher's wider view")
    assert history_ids(seen_with_permission) == [from_teacher, from_admin]
    [email] = [c for c in seen_with_permission["credentials"] if c["kind"] == "email"]
    assert "delivery_status" in email
    deliveries = seen_with_permission["communication_history"]["items"][1]["deliveries"]
    assert guardian.email in [delivery["address"] for delivery in deliveries]

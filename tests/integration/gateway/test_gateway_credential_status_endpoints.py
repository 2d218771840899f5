"""POST /api/v1/people/{id}/credentials/{kind}/reset-status: Reset Status."""
import pytest

from shared.contracts import identity
from shared.contracts.errors import NotFound

from gateway_http_support import assert_error, make_person_profile, make_principal

RESET_EMAIL = "/api/v1/people/guardian-1/credentials/email/reset-status"


def make_reset(**overrides) -> dict:
    reset = {"person_id": "guardian-1", "kind": "email", "address": "dana@example.org", "previous_state": "bad",
             "previous_reason": "hard bounce: 550 5.1.1 no such mailbox", "state": "good", "reset_by": "staff-1",
             "reason": "the family fixed the mailbox", "reset_at": "2026-09-02T09:00:00+00:00"}
    return {**reset, **overrides}


@pytest.mark.parametrize("caller", [
    make_principal(identity.DISTRICT_ADMIN, person_id="staff-1"),
    make_principal(identity.SCHOOL_ADMIN, person_id="staff-1"),
    make_principal(identity.TEACHER, person_id="staff-1", permissions=(identity.ROSTERING_ADMINISTRATOR,)),
    make_principal(identity.TEACHER, person_id="staff-1", permissions=(identity.SCHOOL_WIDE_COMMUNICATIONS,)),
    make_principal(identity.TEACHER, person_id="staff-1", permissions=(identity.USERS_MANAGER,)),
], ids=["district-admin", "school-admin", "teacher-rostering-administrator", "teacher-school-wide-communications",
        "teacher-users-manager"])
def test_staff_allowed_reset_a_visible_persons_credential_and_are_recorded_with_the_reason(gateway, caller):
    gateway.directory.get_person_profile.return_value = make_person_profile(id="guardian-1")
    gateway.notify.reset_credential_status.return_value = make_reset()

    response = gateway.post(RESET_EMAIL, json={"reason": "the family fixed the mailbox"},
                            headers=gateway.sign_in(caller))

    assert response.status_code == 200
    assert response.json() == make_reset()
    gateway.directory.get_person_profile.assert_called_once_with({"viewer": caller, "person_id": "guardian-1"})
    gateway.notify.reset_credential_status.assert_called_once_with(
        {"person_id": "guardian-1", "kind": "email", "reset_by": "staff-1", "reason": "the family fixed the mailbox"})


def test_a_mobile_phone_is_reset_without_a_reason(gateway):
    gateway.notify.reset_credential_status.return_value = make_reset(kind="mobile_phone", address="+15555550101",
                                                                     reason=None)

    response = gateway.post("/api/v1/people/guardian-1/credentials/mobile_phone/reset-status",
                            headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN, person_id="staff-1")))

    assert response.status_code == 200
    gateway.notify.reset_credential_status.assert_called_once_with(
        {"person_id": "guardian-1", "kind": "mobile_phone", "reset_by": "staff-1", "reason": None})


@pytest.mark.parametrize("caller", [
    make_principal(identity.TEACHER),
    make_principal(identity.TEACHER, permissions=(identity.ENGAGEMENT_VISIBILITY, identity.FAMILY_ACCESS,
                                                  identity.PERMISSIONS_ADMIN, identity.CONTENT_MODERATOR)),
    make_principal(identity.GUARDIAN, person_id="guardian-1"),
    make_principal(identity.STUDENT),
], ids=["teacher", "teacher-other-permissions", "guardian-themselves", "student"])
def test_without_the_permission_reset_status_is_denied_and_nothing_changes(gateway, caller):
    response = gateway.post(RESET_EMAIL, json={}, headers=gateway.sign_in(caller))

    assert_error(response, 403, "permission_denied")
    gateway.directory.get_person_profile.assert_not_called()
    gateway.notify.reset_credential_status.assert_not_called()


def test_a_person_the_caller_cannot_see_is_not_found_and_not_reset(gateway):
    gateway.directory.get_person_profile.side_effect = NotFound("No such person.")

    response = gateway.post(RESET_EMAIL, json={}, headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert_error(response, 404, "not_found")
    gateway.notify.reset_credential_status.assert_not_called()


def test_a_credential_kind_other_than_email_or_mobile_phone_is_refused_naming_kind(gateway):
    response = gateway.post("/api/v1/people/guardian-1/credentials/home_phone/reset-status", json={},
                            headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {"kind": ["Must be one of: email, mobile_phone."]}
    gateway.notify.reset_credential_status.assert_not_called()


def test_a_reason_over_500_characters_is_refused_naming_reason(gateway):
    response = gateway.post(RESET_EMAIL, json={"reason": "x" * 501},
                            headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert list(assert_error(response, 400, "invalid_request")) == ["reason"]


def test_the_body_cannot_name_who_reset_the_status(gateway):
    response = gateway.post(RESET_EMAIL, json={"reset_by": "someone-else"},
                            headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {"reset_by": ["Unknown field."]}

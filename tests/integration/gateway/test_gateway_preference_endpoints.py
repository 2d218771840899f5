"""GET/PUT /api/v1/people/{id}/preference and GET/PUT /api/v1/district/settings."""
import pytest

from shared.contracts import identity
from shared.contracts.errors import NotFound

from gateway_http_support import assert_error, make_person_profile, make_principal

OTHERS_PREFERENCE = "/api/v1/people/guardian-2/preference"
SETTINGS = "/api/v1/district/settings"


def make_preference(person_id: str = "guardian-2", preference: str = "sms_app", **overrides) -> dict:
    return {"person_id": person_id, "preference": preference, "chosen": True,
            "chosen_at": "2026-09-01T08:00:00+00:00", **overrides}


def make_district_settings(**overrides) -> dict:
    return {"district_id": "district-1", "default_preference": "email_app", "updated_at": None,
            "updated_by": None, **overrides}


@pytest.mark.parametrize("role", [identity.GUARDIAN, identity.STUDENT, identity.TEACHER])
def test_anyone_reads_their_own_preference_without_directory_being_asked(gateway, role):
    caller = make_principal(role, person_id="me-1")
    gateway.notify.get_preferences.return_value = {"preferences": [make_preference("me-1", "email_app",
                                                                                   chosen=False)]}

    response = gateway.get("/api/v1/people/me-1/preference", headers=gateway.sign_in(caller))

    assert response.status_code == 200
    assert response.json() == make_preference("me-1", "email_app", chosen=False)
    gateway.notify.get_preferences.assert_called_once_with({"person_ids": ["me-1"]})
    gateway.directory.get_person_profile.assert_not_called()


def test_a_guardian_changes_their_own_preference_as_themselves(gateway):
    guardian = make_principal(identity.GUARDIAN, person_id="guardian-1")
    gateway.notify.set_preference.return_value = make_preference("guardian-1", "app_only")

    response = gateway.put("/api/v1/people/guardian-1/preference", json={"preference": "app_only"},
                           headers=gateway.sign_in(guardian))

    assert response.status_code == 200
    assert response.json()["preference"] == "app_only"
    gateway.notify.set_preference.assert_called_once_with(
        {"person_id": "guardian-1", "preference": "app_only", "changed_by": "guardian-1"})


@pytest.mark.parametrize("caller", [
    make_principal(identity.DISTRICT_ADMIN, person_id="staff-1"),
    make_principal(identity.SCHOOL_ADMIN, person_id="staff-1"),
    make_principal(identity.TEACHER, person_id="staff-1", permissions=(identity.USERS_MANAGER,)),
], ids=["district-admin", "school-admin", "teacher-users-manager"])
def test_staff_allowed_to_manage_preferences_change_a_visible_persons_preference(gateway, caller):
    gateway.directory.get_person_profile.return_value = make_person_profile(id="guardian-2")
    gateway.notify.set_preference.return_value = make_preference()

    response = gateway.put(OTHERS_PREFERENCE, json={"preference": "sms_app"}, headers=gateway.sign_in(caller))

    assert response.status_code == 200
    assert response.json() == make_preference()
    gateway.directory.get_person_profile.assert_called_once_with({"viewer": caller, "person_id": "guardian-2"})
    gateway.notify.set_preference.assert_called_once_with(
        {"person_id": "guardian-2", "preference": "sms_app", "changed_by": "staff-1"})


def test_staff_allowed_to_manage_preferences_read_a_visible_persons_preference(gateway):
    admin = make_principal(identity.SCHOOL_ADMIN)
    gateway.notify.get_preferences.return_value = {"preferences": [make_preference()]}

    response = gateway.get(OTHERS_PREFERENCE, headers=gateway.sign_in(admin))

    assert response.status_code == 200
    gateway.directory.get_person_profile.assert_called_once_with({"viewer": admin, "person_id": "guardian-2"})


@pytest.mark.parametrize("caller", [
    make_principal(identity.TEACHER),
    make_principal(identity.TEACHER, permissions=(identity.SCHOOL_WIDE_COMMUNICATIONS,)),
    make_principal(identity.GUARDIAN),
    make_principal(identity.STUDENT),
], ids=["teacher", "teacher-school-wide-communications", "guardian", "student"])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_without_the_permission_someone_elses_preference_is_denied(gateway, caller, method):
    response = gateway.request(method, OTHERS_PREFERENCE, json={"preference": "sms_app"},
                               headers=gateway.sign_in(caller))

    assert_error(response, 403, "permission_denied")
    gateway.directory.get_person_profile.assert_not_called()
    assert gateway.notify.method_calls == []


def test_a_person_the_caller_cannot_see_is_not_found_and_keeps_their_preference(gateway):
    gateway.directory.get_person_profile.side_effect = NotFound("No such person.")

    response = gateway.put(OTHERS_PREFERENCE, json={"preference": "sms_app"},
                           headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert_error(response, 404, "not_found")
    gateway.notify.set_preference.assert_not_called()


def test_an_unknown_preference_is_refused_naming_the_field_and_the_choices(gateway):
    response = gateway.put("/api/v1/people/guardian-1/preference", json={"preference": "carrier_pigeon"},
                           headers=gateway.sign_in(make_principal(identity.GUARDIAN, person_id="guardian-1")))

    assert assert_error(response, 400, "invalid_request") == {
        "preference": ["Must be one of: email_app, sms_app, app_only."]}
    gateway.notify.set_preference.assert_not_called()


def test_the_body_cannot_name_who_made_the_change(gateway):
    response = gateway.put("/api/v1/people/guardian-1/preference",
                           json={"preference": "sms_app", "changed_by": "someone-else"},
                           headers=gateway.sign_in(make_principal(identity.GUARDIAN, person_id="guardian-1")))

    assert assert_error(response, 400, "invalid_request") == {"changed_by": ["Unknown field."]}


@pytest.mark.parametrize("role", [identity.GUARDIAN, identity.TEACHER, identity.DISTRICT_ADMIN])
def test_anyone_signed_in_reads_their_districts_settings(gateway, role):
    gateway.notify.get_district_settings.return_value = make_district_settings(district_id="district-7")

    response = gateway.get(SETTINGS, headers=gateway.sign_in(make_principal(role, district_id="district-7")))

    assert response.status_code == 200
    assert response.json()["default_preference"] == "email_app"
    gateway.notify.get_district_settings.assert_called_once_with({"district_id": "district-7"})


def test_a_caller_of_no_district_has_no_district_settings(gateway):
    response = gateway.get(SETTINGS, headers=gateway.sign_in(make_principal(identity.TEACHER, district_id=None)))

    assert_error(response, 404, "not_found")
    gateway.notify.get_district_settings.assert_not_called()


def test_a_district_administrator_sets_the_default_for_their_district_as_themselves(gateway):
    admin = make_principal(identity.DISTRICT_ADMIN, person_id="admin-1", district_id="district-7")
    changed = make_district_settings(district_id="district-7", default_preference="sms_app",
                                     updated_at="2026-09-01T08:00:00+00:00", updated_by="admin-1")
    gateway.notify.set_district_default.return_value = changed

    response = gateway.put(SETTINGS, json={"default_preference": "sms_app"}, headers=gateway.sign_in(admin))

    assert response.status_code == 200
    assert response.json() == changed
    gateway.notify.set_district_default.assert_called_once_with(
        {"district_id": "district-7", "default_preference": "sms_app", "changed_by": "admin-1"})


@pytest.mark.parametrize("caller", [
    make_principal(identity.SCHOOL_ADMIN),
    make_principal(identity.TEACHER, permissions=(identity.SCHOOL_WIDE_COMMUNICATIONS, identity.USERS_MANAGER)),
    make_principal(identity.GUARDIAN),
], ids=["school-admin", "teacher-with-permissions", "guardian"])
def test_only_a_district_administrator_sets_the_district_default(gateway, caller):
    response = gateway.put(SETTINGS, json={"default_preference": "sms_app"}, headers=gateway.sign_in(caller))

    assert_error(response, 403, "permission_denied")
    gateway.notify.set_district_default.assert_not_called()


def test_app_only_cannot_be_the_district_default_and_the_field_says_so(gateway):
    response = gateway.put(SETTINGS, json={"default_preference": "app_only"},
                           headers=gateway.sign_in(make_principal(identity.DISTRICT_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {
        "default_preference": ["Must be one of: email_app, sms_app."]}

"""Directory search, student and user profiles, enabling student accounts, schools."""
import pytest

from shared.contracts import identity
from shared.contracts.errors import NotFound

from gateway_http_support import (
    assert_error, make_account, make_communication_history, make_credential_health, make_item_result,
    make_people_page, make_person_profile, make_person_summary, make_principal, make_student_profile,
)

SEARCH = "/api/v1/directory/people"
ENABLE = "/api/v1/directory/students/enable-accounts"


@pytest.mark.parametrize("role", [identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN, identity.TEACHER])
def test_staff_search_the_directory_as_themselves_with_their_filters(gateway, role):
    viewer = make_principal(role)
    page = make_people_page(make_person_summary())
    gateway.directory.search_people.return_value = page

    response = gateway.get(SEARCH, params={"query": "rey", "kind": "student", "student_account_status": "invited",
                                           "include_archived": "true", "page": "2", "per_page": "10",
                                           "school_id": "", "classroom_id": "class-1"},
                           headers=gateway.sign_in(viewer))

    assert response.status_code == 200
    assert response.json() == {**page, "next": None}
    gateway.directory.search_people.assert_called_once_with({
        "viewer": viewer, "query": "rey", "kind": "student", "school_id": None, "classroom_id": "class-1",
        "student_account_status": "invited", "include_archived": True, "page": 2, "per_page": 10})


@pytest.mark.parametrize("role", [identity.GUARDIAN, identity.STUDENT])
def test_families_may_not_search_the_directory(gateway, role):
    response = gateway.get(SEARCH, headers=gateway.sign_in(make_principal(role)))

    assert_error(response, 403, "permission_denied")
    gateway.directory.search_people.assert_not_called()


def test_an_unknown_kind_is_refused_naming_kind(gateway):
    response = gateway.get(SEARCH, params={"kind": "alien"}, headers=gateway.sign_in(make_principal()))

    assert assert_error(response, 400, "invalid_request") == {"kind": ["Must be one of: student, staff, guardian."]}
    gateway.directory.search_people.assert_not_called()


def test_each_invalid_filter_is_named_with_its_reason(gateway):
    response = gateway.get(SEARCH, params={"per_page": "1000", "page": "x", "student_account_status": "gone"},
                           headers=gateway.sign_in(make_principal()))

    fields = assert_error(response, 400, "invalid_request")
    assert set(fields) == {"per_page", "page", "student_account_status"}
    assert all(reasons for reasons in fields.values())


def test_a_student_profile_is_asked_for_as_the_viewer(gateway):
    guardian = make_principal(identity.GUARDIAN)
    gateway.directory.get_student_profile.return_value = make_student_profile()

    response = gateway.get("/api/v1/directory/students/student-1", headers=gateway.sign_in(guardian))

    assert response.status_code == 200
    assert response.json() == make_student_profile()
    gateway.directory.get_student_profile.assert_called_once_with({"viewer": guardian, "person_id": "student-1"})


def test_a_student_out_of_the_viewers_scope_is_not_found(gateway):
    gateway.directory.get_student_profile.side_effect = NotFound("No such student.")

    response = gateway.get("/api/v1/directory/students/student-9",
                           headers=gateway.sign_in(make_principal(identity.GUARDIAN)))

    assert_error(response, 404, "not_found")


def test_engagement_visibility_sees_a_guardians_profile_with_delivery_status_history_home_phone_and_status(
        gateway):
    gateway.directory.get_person_profile.return_value = make_person_profile(id="person-1")
    gateway.identity.get_accounts.return_value = {"accounts": [make_account(person_id="person-1")]}
    bounced = make_credential_health(kind="email", address="dana@example.org", state="bad",
                                     reason="hard bounce: 550 5.1.1 no such mailbox", last_status="failed")
    gateway.notify.get_credential_health.return_value = {"credentials": [bounced, make_credential_health(
        kind="mobile_phone", address="+15555550101")]}
    gateway.notify.get_communication_history.return_value = make_communication_history()
    viewer = make_principal(permissions=(identity.ENGAGEMENT_VISIBILITY,))

    response = gateway.get("/api/v1/directory/people/person-1", headers=gateway.sign_in(viewer))

    assert response.status_code == 200
    profile = response.json()
    assert profile["account_status"] == "active"
    assert profile["home_phone"] == "+15555550199"
    credentials = {credential["kind"]: credential for credential in profile["credentials"]}
    assert credentials["email"]["delivery_status"] == {
        "state": "bad", "reason": "hard bounce: 550 5.1.1 no such mailbox", "last_status": "failed",
        "updated_at": bounced["updated_at"]}
    assert credentials["mobile_phone"]["shared"] is True
    assert credentials["mobile_phone"]["delivery_status"]["state"] == "good"
    assert profile["linked_students"] == make_person_profile()["linked_students"]
    gateway.notify.get_credential_health.assert_called_once_with({"person_ids": ["person-1"]})
    assert profile["communication_history"] == make_communication_history()
    gateway.notify.get_communication_history.assert_called_once_with(
        {"viewer": viewer, "person_id": "person-1", "page": 1, "per_page": 20})


def test_a_teacher_without_an_extended_permission_sees_credentials_without_status_and_their_own_part(gateway):
    gateway.directory.get_person_profile.return_value = make_person_profile(id="person-1")
    gateway.identity.get_accounts.return_value = {"accounts": [make_account(person_id="person-1")]}
    history = make_communication_history(with_deliveries=False, scope="took_part")
    gateway.notify.get_communication_history.return_value = history

    response = gateway.get("/api/v1/directory/people/person-1", headers=gateway.sign_in(make_principal()))

    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["credentials"] == make_account()["credentials"]
    assert profile["communication_history"] == history
    gateway.notify.get_credential_health.assert_not_called()


def test_a_guardian_viewing_another_person_does_not_see_their_credentials(gateway):
    guardian = make_principal(identity.GUARDIAN, person_id="guardian-2")
    gateway.directory.get_person_profile.return_value = make_person_profile(id="person-1")
    gateway.identity.get_accounts.return_value = {"accounts": [make_account(person_id="person-1")]}

    response = gateway.get("/api/v1/directory/people/person-1", headers=gateway.sign_in(guardian))

    assert response.status_code == 200
    profile = response.json()
    assert "credentials" not in profile and "home_phone" not in profile and "communication_history" not in profile
    assert "dana@example.org" not in response.text and "+1555555" not in response.text
    assert profile["account_status"] == "active"
    gateway.notify.get_credential_health.assert_not_called()


def test_a_guardian_sees_their_own_credentials(gateway):
    guardian = make_principal(identity.GUARDIAN, person_id="person-1")
    gateway.directory.get_person_profile.return_value = make_person_profile(id="person-1")
    gateway.identity.get_accounts.return_value = {"accounts": [make_account(person_id="person-1")]}

    gateway.notify.get_credential_health.return_value = {"credentials": []}
    gateway.notify.get_communication_history.return_value = make_communication_history()

    response = gateway.get("/api/v1/directory/people/person-1", headers=gateway.sign_in(guardian))

    assert response.json()["credentials"] == [{**credential, "delivery_status": None}
                                              for credential in make_account()["credentials"]]


def test_a_person_out_of_the_viewers_scope_is_not_found_and_identity_is_not_asked(gateway):
    gateway.directory.get_person_profile.side_effect = NotFound("No such person.")

    response = gateway.get("/api/v1/directory/people/person-9",
                           headers=gateway.sign_in(make_principal(identity.GUARDIAN)))

    assert_error(response, 404, "not_found")
    gateway.identity.get_accounts.assert_not_called()


def test_a_teacher_without_users_manager_may_not_enable_student_accounts(gateway):
    response = gateway.post(ENABLE, json={"student_ids": ["s-1"]}, headers=gateway.sign_in(make_principal()))

    assert_error(response, 403, "permission_denied")
    gateway.directory.enable_student_accounts.assert_not_called()


@pytest.mark.parametrize("role", [identity.GUARDIAN, identity.STUDENT])
def test_families_may_not_enable_student_accounts(gateway, role):
    response = gateway.post(ENABLE, json={"student_ids": ["s-1"]}, headers=gateway.sign_in(make_principal(role)))

    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize("viewer", [
    make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER,)),
    make_principal(identity.TEACHER, permissions=(identity.ROSTERING_ADMINISTRATOR,)),
    make_principal(identity.SCHOOL_ADMIN),
    make_principal(identity.DISTRICT_ADMIN),
], ids=["teacher-users-manager", "teacher-rostering-administrator", "school-admin", "district-admin"])
def test_enabling_student_accounts_answers_each_result_and_a_summary(gateway, viewer):
    results = [make_item_result("s-1"), make_item_result("s-2", "already_enabled"),
               make_item_result("s-3", "not_found")]
    gateway.directory.enable_student_accounts.return_value = {"results": results}

    response = gateway.post(ENABLE, json={"student_ids": ["s-1", "s-2", "s-3"]}, headers=gateway.sign_in(viewer))

    assert response.status_code == 200
    assert response.json() == {"results": results,
                               "summary": {"enabled": 1, "already_enabled": 1, "not_found": 1}}
    gateway.directory.enable_student_accounts.assert_called_once_with(
        {"viewer": viewer, "student_ids": ["s-1", "s-2", "s-3"]})


def test_enabling_without_student_ids_names_the_field(gateway):
    response = gateway.post(ENABLE, json={"students": ["s-1"]}, headers=gateway.sign_in(make_principal(
        identity.SCHOOL_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {
        "student_ids": ["Missing data for required field."], "students": ["Unknown field."]}


def test_a_student_id_that_is_not_a_string_is_named_by_its_position(gateway):
    response = gateway.post(ENABLE, json={"student_ids": ["s-1", 7]},
                            headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {"student_ids.1": ["Not a valid string."]}


def test_schools_are_those_of_the_callers_district(gateway):
    schools = {"schools": [{"id": "school-1", "name": "Lincoln Elementary"}]}
    gateway.directory.get_schools.return_value = schools

    response = gateway.get("/api/v1/schools",
                           headers=gateway.sign_in(make_principal(identity.GUARDIAN, district_id="district-7")))

    assert response.status_code == 200
    assert response.json() == {"items": schools["schools"], "total": 1, "page": 1, "per_page": 100, "next": None}
    gateway.directory.get_schools.assert_called_once_with({"district_id": "district-7"})

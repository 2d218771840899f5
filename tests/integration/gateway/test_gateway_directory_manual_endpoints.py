"""The directory's manual actions over HTTP: the caller is the viewer (never the body), path ids reach the
directory, bad input is refused before it, and each directory refusal keeps its status and fields."""
import pytest

from shared.contracts import identity
from shared.contracts.errors import Conflict, Locked, NotFound

from gateway_http_support import assert_error, make_item_result, make_principal

DIRECTORY = "/api/v1/directory"
ADMIN = make_principal(identity.SCHOOL_ADMIN)


def test_enrolling_asks_directory_as_the_signed_in_administrator_whatever_the_body_says(gateway):
    gateway.directory.enroll_student.return_value = {"person_id": "p1", "school_id": "school-1",
                                                     "classroom_id": None, "outcome": "enrolled"}
    response = gateway.post(f"{DIRECTORY}/enrollments", headers=gateway.sign_in(ADMIN),
                            json={"school_id": "school-1", "person_id": "p1"})

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "enrolled"
    gateway.directory.enroll_student.assert_called_once_with({
        "viewer": ADMIN, "school_id": "school-1", "classroom_id": None, "person_id": "p1", "student": None,
        "region": "US"})


def test_a_viewer_in_the_body_is_refused_as_an_unknown_field(gateway):
    response = gateway.post(f"{DIRECTORY}/enrollments", headers=gateway.sign_in(ADMIN),
                            json={"school_id": "school-1", "person_id": "p1", "viewer": ADMIN})

    assert assert_error(response, 400, "invalid_request") == {"viewer": ["Unknown field."]}
    gateway.directory.enroll_student.assert_not_called()


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/enrollments", {"school_id": "school-1"}, "_schema"),
    ("/enrollments", {"school_id": "school-1", "person_id": "p1", "student": {"given_name": "A",
                                                                               "family_name": "B"}}, "_schema"),
    ("/students/s1/guardians", {"guardian": {"given_name": "A", "family_name": "B"}}, "guardian._schema"),
    ("/students/remove-guardians", {"student_ids": ["s"] * 5001}, "student_ids"),
    ("/people/archive", {"person_ids": ["p1"], "matching": {}}, "_schema"),
    ("/people/archive", {"matching": {"kind": "teacher"}}, "matching.kind"),
    ("/staff", {"school_ids": [], "staff": {"given_name": "A", "family_name": "B"}}, "school_ids"),
])
def test_malformed_requests_are_refused_naming_the_field_before_directory_is_asked(gateway, path, body, field):
    response = gateway.post(DIRECTORY + path, headers=gateway.sign_in(ADMIN), json=body)

    assert field in assert_error(response, 400, "invalid_request")
    assert not gateway.directory.method_calls


def test_a_guardian_edit_names_the_student_and_guardian_of_the_path(gateway):
    gateway.directory.update_guardian.return_value = {
        "guardian_id": "g1", "student_id": "s1", "given_name": "Ray", "family_name": "Lo", "email": None,
        "mobile_phone": None, "relationship": "uncle", "outcome": "updated"}
    response = gateway.request("PATCH", f"{DIRECTORY}/students/s1/guardians/g1", headers=gateway.sign_in(ADMIN),
                               json={"relationship": "uncle"})

    assert response.status_code == 200, response.text
    gateway.directory.update_guardian.assert_called_once_with({
        "viewer": ADMIN, "student_id": "s1", "guardian_id": "g1", "relationship": "uncle", "region": "US"})


def test_a_credential_of_a_joined_account_answers_409_with_the_existing_person(gateway):
    gateway.directory.add_guardian.side_effect = Conflict(
        identity.CREDENTIAL_OF_JOINED_ACCOUNT,
        fields={"guardian.email": ["dana@example.org already belongs to another account that has joined"],
                "existing_person_id": ["p-dana"]})
    response = gateway.post(f"{DIRECTORY}/students/s1/guardians", headers=gateway.sign_in(ADMIN), json={
        "guardian": {"given_name": "D", "family_name": "R", "email": "dana@example.org", "mobile_phone": "4155550100"}})

    fields = assert_error(response, 409, "conflict")
    assert response.json()["error"]["message"] == "This email and phone can't be used at the same time"
    assert fields["existing_person_id"] == ["p-dana"]


def test_what_a_sync_owns_answers_423_and_an_id_out_of_reach_404(gateway):
    gateway.directory.remove_guardian.side_effect = Locked(
        "guardian_id: guardians are managed by the district's Clever sync", fields={"guardian_id": ["Clever"]})
    gateway.directory.set_job_title.side_effect = NotFound("no such person", fields={"person_id": ["no person"]})

    assert_error(gateway.request("DELETE", f"{DIRECTORY}/students/s1/guardians/g1", headers=gateway.sign_in(ADMIN)),
                 423, "locked")
    assert_error(gateway.put(f"{DIRECTORY}/staff/p9/job-title", headers=gateway.sign_in(ADMIN),
                             json={"job_title": "Coach"}), 404, "not_found")


def test_remove_guardians_answers_per_student_with_a_summary(gateway):
    gateway.directory.remove_guardians.return_value = {"results": [
        make_item_result("s1", "done"), make_item_result("s2", "not_found")]}
    response = gateway.post(f"{DIRECTORY}/students/remove-guardians", headers=gateway.sign_in(ADMIN),
                            json={"student_ids": ["s1", "s2"]})

    assert response.status_code == 200, response.text
    assert response.json()["summary"] == {"done": 1, "not_found": 1}


def test_archiving_a_search_hands_directory_the_filters_as_the_selection(gateway):
    job = {"job_id": "j1", "action": "archive_people", "state": "queued", "total": 2000, "processed": 0,
           "summary": {}, "results": [], "message": None, "created_at": "2026-12-04T08:00:00+00:00",
           "finished_at": None}
    gateway.directory.archive_people.return_value = job
    gateway.directory.get_job.return_value = job
    response = gateway.post(f"{DIRECTORY}/people/archive", headers=gateway.sign_in(ADMIN),
                            json={"matching": {"kind": "student", "query": "lo"}})

    assert response.status_code == 200, response.text
    [call] = gateway.directory.archive_people.call_args_list
    assert call.args[0]["viewer"] == ADMIN
    assert call.args[0]["selection"]["matching"]["kind"] == "student"
    assert gateway.get(f"{DIRECTORY}/jobs/j1", headers=gateway.sign_in(ADMIN)).json()["total"] == 2000
    gateway.directory.get_job.assert_called_once_with({"viewer": ADMIN, "job_id": "j1"})


@pytest.mark.parametrize(("principal", "method", "path", "body"), [
    (make_principal(identity.TEACHER), "POST", "/staff", {"school_ids": ["school-1"], "person_id": "p1"}),
    (make_principal(identity.TEACHER, permissions=(identity.FAMILY_ACCESS,)), "POST", "/students/s1/guardians",
     {"person_id": "p1"}),
    (make_principal(identity.GUARDIAN), "POST", "/people/archive", {"person_ids": ["p1"]}),
    (ADMIN, "GET", "/audit-log", None),
])
def test_callers_without_the_permission_are_refused_before_directory_is_asked(gateway, principal, method, path,
                                                                               body):
    response = gateway.request(method, DIRECTORY + path, headers=gateway.sign_in(principal), json=body)

    assert_error(response, 403, "permission_denied")
    assert not gateway.directory.method_calls


def test_a_district_administrator_reads_the_audit_log_page_by_page(gateway):
    admin = make_principal(identity.DISTRICT_ADMIN)
    gateway.directory.get_audit_log.return_value = {"items": [], "total": 21, "page": 2, "per_page": 10}
    response = gateway.get(f"{DIRECTORY}/audit-log", headers=gateway.sign_in(admin),
                           params={"subject_id": "p1", "per_page": "10", "page": "2"})

    assert response.status_code == 200, response.text
    assert response.json()["next"] == f"{DIRECTORY}/audit-log?subject_id=p1&per_page=10&page=3"
    gateway.directory.get_audit_log.assert_called_once_with({
        "viewer": admin, "subject_id": "p1", "actor_id": None, "page": 2, "per_page": 10})

"""POST /api/v1/announcements, GET /api/v1/announcements/{id}/report, GET /api/v1/schools/{id}/unreachable-contacts."""
import pytest

from shared.contracts import identity
from shared.contracts.errors import NotFound

from gateway_http_support import assert_error, make_principal

ANNOUNCEMENTS = "/api/v1/announcements"
REPORT = "/api/v1/announcements/comm-1/report"
UNREACHABLE = "/api/v1/schools/school-1/unreachable-contacts"

SCHOOL = {"school_id": "school-1"}
CLASSROOM = {"classroom_id": "class-1"}
SELECTION = {"person_ids": ["guardian-1", "student-1"]}
# What directory.Audience fills in for what the body leaves out.
AUDIENCE_DEFAULTS = {"school_id": None, "classroom_id": None, "person_ids": None, "include_students": True,
                     "include_guardians": True, "include_staff": False}

ANNOUNCEMENT = {"communication_id": "comm-1", "state": "planning", "created_at": "2026-09-01T08:00:00+00:00",
                "refused": [{"key": "student-9", "id": None, "outcome": "not_found", "problems": []}]}
REPORT_ANSWER = {
    "communication_id": "comm-1", "subject": "Snow day", "priority": False, "state": "completed",
    "sender_id": "teacher-1", "created_at": "2026-09-01T08:00:00+00:00",
    "counts": {"email": {"failed": 1}, "sms": {"delivered": 1}}, "unreachable": 0,
    "lines": [{"person_id": "guardian-1", "given_name": "Dana", "family_name": "Reyes", "channel": "sms",
               "address": "+15555550101", "status": "delivered", "reason": None, "fallback_of": "delivery-1",
               "updated_at": "2026-09-01T08:01:00+00:00"}],
    "total": 1, "page": 1, "per_page": 100,
}
UNREACHABLE_ANSWER = {"school_id": "school-1", "total": 1, "page": 1, "per_page": 100, "contacts": [
    {"person_id": "guardian-3", "given_name": "Sam", "family_name": "Ito", "kinds": ["guardian"],
     "reason": "no good email or mobile phone"}]}


def announcement(audience: dict, **fields) -> dict:
    return {"audience": audience, "subject": "Snow day", "body": "School is closed tomorrow.", **fields}


@pytest.mark.parametrize(("caller", "audience"), [
    (make_principal(identity.DISTRICT_ADMIN), SCHOOL),
    (make_principal(identity.SCHOOL_ADMIN), SCHOOL),
    (make_principal(identity.TEACHER, permissions=(identity.SCHOOL_WIDE_COMMUNICATIONS,)), SCHOOL),
    (make_principal(identity.TEACHER), CLASSROOM),
    (make_principal(identity.SCHOOL_ADMIN), CLASSROOM),
    (make_principal(identity.TEACHER), SELECTION),
    (make_principal(identity.DISTRICT_ADMIN), SELECTION),
], ids=["district-admin-school", "school-admin-school", "teacher-school-wide-school", "teacher-classroom",
        "school-admin-classroom", "teacher-selection", "district-admin-selection"])
def test_staff_send_an_announcement_to_an_audience_they_may_and_it_is_accepted(gateway, caller, audience):
    gateway.notify.send_announcement.return_value = ANNOUNCEMENT

    response = gateway.post(ANNOUNCEMENTS, json=announcement(audience, priority=True),
                            headers=gateway.sign_in(caller))

    assert response.status_code == 202
    assert response.json() == ANNOUNCEMENT
    assert response.headers["Location"] == "/api/v1/announcements/comm-1/report"
    gateway.notify.send_announcement.assert_called_once_with({
        "sender": caller, "audience": {**AUDIENCE_DEFAULTS, **audience}, "subject": "Snow day",
        "body": "School is closed tomorrow.", "priority": True, "with_call": False})


@pytest.mark.parametrize(("caller", "audience", "action"), [
    (make_principal(identity.TEACHER), SCHOOL, "notify.announce_school"),
    (make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER, identity.ROSTERING_ADMINISTRATOR)),
     SCHOOL, "notify.announce_school"),
    (make_principal(identity.GUARDIAN), CLASSROOM, "notify.announce_classroom"),
    (make_principal(identity.STUDENT), SELECTION, "notify.announce_selected"),
    (make_principal(identity.GUARDIAN, permissions=(identity.SCHOOL_WIDE_COMMUNICATIONS,)), SCHOOL,
     "notify.announce_school"),
], ids=["teacher-school", "teacher-other-permissions-school", "guardian-classroom", "student-selection",
        "guardian-with-permission-school"])
def test_an_announcement_to_an_audience_the_caller_may_not_address_is_denied_naming_the_action(
        gateway, caller, audience, action):
    response = gateway.post(ANNOUNCEMENTS, json=announcement(audience), headers=gateway.sign_in(caller))

    assert_error(response, 403, "permission_denied")
    assert action in response.json()["error"]["message"]
    gateway.notify.send_announcement.assert_not_called()


def test_an_audience_with_two_targets_is_refused_naming_the_audience(gateway):
    response = gateway.post(ANNOUNCEMENTS, json=announcement({**SCHOOL, **CLASSROOM}),
                            headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {
        "audience._schema": ["give exactly one of district, school_id, classroom_id or person_ids"]}
    gateway.notify.send_announcement.assert_not_called()


def test_a_missing_subject_and_an_empty_body_are_each_named(gateway):
    response = gateway.post(ANNOUNCEMENTS, json={"audience": CLASSROOM, "body": ""},
                            headers=gateway.sign_in(make_principal(identity.TEACHER)))

    fields = assert_error(response, 400, "invalid_request")
    assert set(fields) == {"subject", "body"}
    assert fields["subject"] == ["Missing data for required field."]


def test_a_call_without_priority_is_refused_naming_with_call(gateway):
    response = gateway.post(ANNOUNCEMENTS, json=announcement(SCHOOL, with_call=True),
                            headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {
        "with_call": ["a voice call can be added only to a priority announcement"]}


def test_the_body_cannot_name_the_sender(gateway):
    response = gateway.post(ANNOUNCEMENTS, json=announcement(CLASSROOM, sender=make_principal(identity.DISTRICT_ADMIN)),
                            headers=gateway.sign_in(make_principal(identity.TEACHER)))

    assert assert_error(response, 400, "invalid_request") == {"sender": ["Unknown field."]}
    gateway.notify.send_announcement.assert_not_called()


def test_staff_selecting_too_many_people_are_told_the_limit(gateway):
    response = gateway.post(ANNOUNCEMENTS, json=announcement({"person_ids": [f"p-{n}" for n in range(5001)]}),
                            headers=gateway.sign_in(make_principal(identity.TEACHER)))

    assert list(assert_error(response, 400, "invalid_request")) == ["audience.person_ids"]


@pytest.mark.parametrize("caller", [
    make_principal(identity.TEACHER), make_principal(identity.SCHOOL_ADMIN), make_principal(identity.DISTRICT_ADMIN),
], ids=["teacher", "school-admin", "district-admin"])
def test_staff_ask_for_a_delivery_report_as_themselves_with_filters(gateway, caller):
    gateway.notify.get_delivery_report.return_value = REPORT_ANSWER

    response = gateway.get(REPORT, params={"status": "failed", "page": "2", "per_page": "50"},
                           headers=gateway.sign_in(caller))

    assert response.status_code == 200
    report = {name: value for name, value in REPORT_ANSWER.items() if name != "lines"}
    assert response.json() == {**report, "items": REPORT_ANSWER["lines"], "next": None}
    gateway.notify.get_delivery_report.assert_called_once_with(
        {"viewer": caller, "communication_id": "comm-1", "status": "failed", "page": 2, "per_page": 50})


def test_a_delivery_report_without_filters_asks_for_the_first_page_of_every_status(gateway):
    teacher = make_principal(identity.TEACHER)
    gateway.notify.get_delivery_report.return_value = REPORT_ANSWER

    gateway.get(REPORT, headers=gateway.sign_in(teacher))

    gateway.notify.get_delivery_report.assert_called_once_with(
        {"viewer": teacher, "communication_id": "comm-1", "status": None, "page": 1, "per_page": 100})


@pytest.mark.parametrize("role", [identity.GUARDIAN, identity.STUDENT])
def test_families_may_not_see_delivery_reports(gateway, role):
    response = gateway.get(REPORT, headers=gateway.sign_in(make_principal(role)))

    assert_error(response, 403, "permission_denied")
    gateway.notify.get_delivery_report.assert_not_called()


def test_a_report_notify_does_not_show_the_viewer_is_not_found(gateway):
    gateway.notify.get_delivery_report.side_effect = NotFound("No such announcement among yours.")

    response = gateway.get(REPORT, headers=gateway.sign_in(make_principal(identity.TEACHER)))

    assert_error(response, 404, "not_found")


def test_invalid_report_filters_are_each_named(gateway):
    response = gateway.get(REPORT, params={"status": "lost", "per_page": "5000"},
                           headers=gateway.sign_in(make_principal(identity.TEACHER)))

    assert set(assert_error(response, 400, "invalid_request")) == {"status", "per_page"}
    gateway.notify.get_delivery_report.assert_not_called()


@pytest.mark.parametrize("caller", [
    make_principal(identity.SCHOOL_ADMIN),
    make_principal(identity.TEACHER, permissions=(identity.SCHOOL_WIDE_COMMUNICATIONS,)),
    make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER,)),
    make_principal(identity.TEACHER, permissions=(identity.ROSTERING_ADMINISTRATOR,)),
], ids=["school-admin", "teacher-school-wide-communications", "teacher-users-manager",
        "teacher-rostering-administrator"])
def test_staff_allowed_list_the_unreachable_contacts_of_their_school(gateway, caller):
    gateway.notify.list_unreachable_contacts.return_value = UNREACHABLE_ANSWER

    response = gateway.get(UNREACHABLE, params={"page": "1", "per_page": "100"}, headers=gateway.sign_in(caller))

    assert response.status_code == 200
    assert response.json() == {"school_id": "school-1", "items": UNREACHABLE_ANSWER["contacts"], "total": 1,
                               "page": 1, "per_page": 100, "next": None}
    gateway.notify.list_unreachable_contacts.assert_called_once_with(
        {"viewer": caller, "school_id": "school-1", "page": 1, "per_page": 100})


def test_a_district_administrator_lists_unreachable_contacts_of_any_school_of_the_district(gateway):
    admin = make_principal(identity.DISTRICT_ADMIN)
    gateway.directory.get_schools.return_value = {"schools": [{"id": "school-1", "name": "Lincoln Elementary"}]}
    gateway.notify.list_unreachable_contacts.return_value = UNREACHABLE_ANSWER

    response = gateway.get(UNREACHABLE, headers=gateway.sign_in(admin))

    assert response.status_code == 200
    gateway.directory.get_schools.assert_called_once_with({"district_id": "district-1"})


@pytest.mark.parametrize("caller", [
    make_principal(identity.TEACHER),
    make_principal(identity.TEACHER, permissions=(identity.ENGAGEMENT_VISIBILITY,)),
    make_principal(identity.GUARDIAN),
], ids=["teacher", "teacher-engagement-visibility", "guardian"])
def test_without_the_permission_unreachable_contacts_are_denied(gateway, caller):
    response = gateway.get(UNREACHABLE, headers=gateway.sign_in(caller))

    assert_error(response, 403, "permission_denied")
    gateway.notify.list_unreachable_contacts.assert_not_called()


def test_another_schools_unreachable_contacts_are_not_found(gateway):
    response = gateway.get("/api/v1/schools/school-2/unreachable-contacts",
                           headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN)))

    assert_error(response, 404, "not_found")
    gateway.notify.list_unreachable_contacts.assert_not_called()

from unittest.mock import Mock

import pytest

from services.gateway import communication_handlers as handlers
from services.gateway.api import ApiCall, Backends
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotFound, PermissionDenied

from gateway_builders import make_principal

SCHOOL_AUDIENCE = {"school_id": "school-1", "classroom_id": None, "person_ids": None, "include_students": True,
                   "include_guardians": True, "include_staff": False}


def make_backends() -> Backends:
    return Backends(identity=Mock(name="identity"), directory=Mock(name="directory"), notify=Mock(name="notify"))


def test_your_own_preference_is_read_without_asking_directory():
    backends, guardian = make_backends(), make_principal(identity.GUARDIAN, person_id="g-1")
    mine = {"person_id": "g-1", "preference": "sms_app", "chosen": True, "chosen_at": None}
    backends.notify.get_preferences.return_value = {"preferences": [mine]}

    assert handlers.show_preference(ApiCall(guardian, path={"id": "g-1"}), backends) == mine

    backends.notify.get_preferences.assert_called_once_with({"person_ids": ["g-1"]})
    backends.directory.get_person_profile.assert_not_called()


def test_someone_elses_preference_needs_the_permission_before_anyone_is_asked():
    backends, guardian = make_backends(), make_principal(identity.GUARDIAN, person_id="g-1")

    with pytest.raises(PermissionDenied, match="notify.manage_others_preferences"):
        handlers.set_preference(ApiCall(guardian, path={"id": "g-2"}, body={"preference": "app_only"}), backends)

    backends.directory.get_person_profile.assert_not_called()
    backends.notify.set_preference.assert_not_called()


def test_a_users_manager_sets_a_visible_persons_preference_as_themselves():
    backends = make_backends()
    manager = make_principal(identity.TEACHER, person_id="t-1", permissions=(identity.USERS_MANAGER,))

    handlers.set_preference(ApiCall(manager, path={"id": "g-2"}, body={"preference": "app_only"}), backends)

    backends.directory.get_person_profile.assert_called_once_with({"viewer": manager, "person_id": "g-2"})
    backends.notify.set_preference.assert_called_once_with(
        {"person_id": "g-2", "preference": "app_only", "changed_by": "t-1"})


def test_a_person_notify_does_not_answer_for_is_not_found():
    backends, guardian = make_backends(), make_principal(identity.GUARDIAN, person_id="g-1")
    backends.notify.get_preferences.return_value = {"preferences": []}

    with pytest.raises(NotFound):
        handlers.show_preference(ApiCall(guardian, path={"id": "g-1"}), backends)


def test_the_district_default_is_set_for_the_callers_district_by_the_caller():
    backends, admin = make_backends(), make_principal(identity.DISTRICT_ADMIN, person_id="a-1", district_id="d-7")

    handlers.set_district_default(ApiCall(admin, body={"default_preference": "sms_app"}), backends)

    backends.notify.set_district_default.assert_called_once_with(
        {"district_id": "d-7", "default_preference": "sms_app", "changed_by": "a-1"})


def test_district_settings_are_read_for_the_callers_district():
    backends = make_backends()

    handlers.show_district_settings(ApiCall(make_principal(identity.GUARDIAN, district_id="d-7")), backends)

    backends.notify.get_district_settings.assert_called_once_with({"district_id": "d-7"})


def test_an_announcement_is_sent_with_the_caller_as_sender():
    backends, admin = make_backends(), make_principal(identity.SCHOOL_ADMIN)
    body = {"audience": SCHOOL_AUDIENCE, "subject": "Snow day", "body": "School is closed.", "priority": True,
            "with_call": False}

    handlers.send_announcement(ApiCall(admin, body=body), backends)

    backends.notify.send_announcement.assert_called_once_with({**body, "sender": admin})


def test_a_teacher_without_school_wide_communications_may_not_announce_to_a_school():
    backends = make_backends()
    body = {"audience": SCHOOL_AUDIENCE, "subject": "s", "body": "b", "priority": False, "with_call": False}

    with pytest.raises(PermissionDenied, match="notify.announce_school"):
        handlers.send_announcement(ApiCall(make_principal(identity.TEACHER), body=body), backends)

    backends.notify.send_announcement.assert_not_called()


def test_a_delivery_report_is_asked_for_as_the_viewer_with_the_filters_and_its_lines_are_the_items():
    backends, teacher = make_backends(), make_principal(identity.TEACHER)
    backends.notify.get_delivery_report.return_value = {"communication_id": "c-1", "lines": [{"person_id": "p"}],
                                                        "total": 51, "page": 2, "per_page": 50}

    report = handlers.show_delivery_report(ApiCall(teacher, path={"id": "c-1"}, query={"page": 2, "per_page": 50,
                                                                               "status": "failed"}), backends)

    backends.notify.get_delivery_report.assert_called_once_with(
        {"viewer": teacher, "communication_id": "c-1", "page": 2, "per_page": 50, "status": "failed"})
    assert report == {"communication_id": "c-1", "items": [{"person_id": "p"}], "total": 51, "page": 2,
                      "per_page": 50}


def test_a_district_administrator_lists_unreachable_contacts_of_a_school_of_their_district():
    backends, admin = make_backends(), make_principal(identity.DISTRICT_ADMIN, district_id="d-7")
    backends.directory.get_schools.return_value = {"schools": [{"id": "school-2", "name": "Roosevelt"}]}
    backends.notify.list_unreachable_contacts.return_value = {"school_id": "school-2", "contacts": [], "total": 0,
                                                              "page": 1, "per_page": 100}

    listed = handlers.list_unreachable_contacts(ApiCall(admin, path={"id": "school-2"}, query={"page": 1, "per_page": 100}),
                                       backends)

    backends.directory.get_schools.assert_called_once_with({"district_id": "d-7"})
    backends.notify.list_unreachable_contacts.assert_called_once_with(
        {"viewer": admin, "school_id": "school-2", "page": 1, "per_page": 100})
    assert listed == {"school_id": "school-2", "items": [], "total": 0, "page": 1, "per_page": 100}


def test_a_school_outside_the_callers_grants_is_not_found_and_notify_is_not_asked():
    backends = make_backends()
    principal = make_principal(identity.SCHOOL_ADMIN)  # of school-1

    with pytest.raises(NotFound):
        handlers.list_unreachable_contacts(ApiCall(principal, path={"id": "school-2"}, query={}), backends)

    backends.directory.get_schools.assert_not_called()
    backends.notify.list_unreachable_contacts.assert_not_called()


def test_reset_status_checks_the_person_is_visible_then_records_the_caller_and_reason():
    backends = make_backends()
    teacher = make_principal(identity.TEACHER, person_id="t-1", permissions=(identity.ROSTERING_ADMINISTRATOR,))

    handlers.reset_credential_status(
        ApiCall(teacher, path={"id": "g-1", "kind": "email"}, body={"reason": "mailbox fixed"}), backends)

    backends.directory.get_person_profile.assert_called_once_with({"viewer": teacher, "person_id": "g-1"})
    backends.notify.reset_credential_status.assert_called_once_with(
        {"person_id": "g-1", "kind": "email", "reset_by": "t-1", "reason": "mailbox fixed"})


def test_reset_status_of_an_unknown_credential_kind_is_refused_before_anyone_is_asked():
    backends = make_backends()

    with pytest.raises(InvalidRequest):
        handlers.reset_credential_status(
            ApiCall(make_principal(identity.SCHOOL_ADMIN), path={"id": "g-1", "kind": "home_phone"}, body={}),
            backends)

    backends.directory.get_person_profile.assert_not_called()
    backends.notify.reset_credential_status.assert_not_called()

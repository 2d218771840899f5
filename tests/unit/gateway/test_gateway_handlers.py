from unittest.mock import Mock

import pytest

from services.gateway import handlers
from services.gateway.api import ApiCall, Backends
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotFound, PermissionDenied
from shared.contracts.permissions import (
    ACTIONS, ARCHIVE, ENABLE_STUDENT_ACCOUNTS, INVITE_SCHOOL, MANAGE_OTHERS_PREFERENCES, RESET_CREDENTIAL_STATUS,
    VIEW_DELIVERY_STATUS, VIEW_PROFILES, VIEW_UNREACHABLE_CONTACTS,
)

from gateway_builders import make_account, make_credential_health, make_person_profile, make_principal


def make_backends() -> Backends:
    return Backends(identity=Mock(name="identity"), directory=Mock(name="directory"), notify=Mock(name="notify"))


def test_search_passes_the_filters_and_the_caller_as_viewer():
    backends, teacher = make_backends(), make_principal(identity.TEACHER)
    backends.directory.search_people.return_value = {"items": [], "total": 0, "page": 1, "per_page": 25}

    handlers.search_people(ApiCall(teacher, query={"kind": "student", "page": 1}), backends)

    backends.directory.search_people.assert_called_once_with({"kind": "student", "page": 1, "viewer": teacher})


def test_me_is_the_principal_with_their_account_or_none():
    backends, guardian = make_backends(), make_principal(identity.GUARDIAN, person_id="person-1")
    backends.identity.get_accounts.return_value = {"accounts": [make_account()]}
    assert handlers.show_me(ApiCall(guardian), backends) == {
        "principal": guardian, "account": make_account(), "effective_permissions": [VIEW_PROFILES]}

    backends.identity.get_accounts.return_value = {"accounts": []}
    assert handlers.show_me(ApiCall(guardian), backends)["account"] is None


def test_a_guardian_sees_another_persons_profile_without_contact_details():
    backends, guardian = make_backends(), make_principal(identity.GUARDIAN, person_id="g-9")
    backends.directory.get_person_profile.return_value = make_person_profile(id="person-1")
    backends.identity.get_accounts.return_value = {"accounts": [make_account(person_id="person-1")]}

    profile = handlers.show_user_profile(ApiCall(guardian, path={"id": "person-1"}), backends)

    assert "credentials" not in profile and profile["account_status"] == "active"
    backends.directory.get_person_profile.assert_called_once_with({"viewer": guardian, "person_id": "person-1"})
    backends.identity.get_accounts.assert_called_once_with({"person_ids": ["person-1"]})
    backends.notify.get_credential_health.assert_not_called()
    backends.notify.get_communication_history.assert_not_called()


def test_staff_with_an_extended_permission_see_each_credential_of_a_profile_with_its_delivery_status():
    backends, teacher = make_backends(), make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER,))
    backends.directory.get_person_profile.return_value = make_person_profile(id="person-1")
    backends.identity.get_accounts.return_value = {"accounts": [make_account(person_id="person-1")]}
    backends.notify.get_credential_health.return_value = {"credentials": [
        make_credential_health(kind="email", address="dana@example.org", state="bad", reason="hard bounce")]}

    profile = handlers.show_user_profile(ApiCall(teacher, path={"id": "person-1"}), backends)

    email = next(credential for credential in profile["credentials"] if credential["kind"] == "email")
    assert email["delivery_status"]["state"] == "bad" and email["delivery_status"]["reason"] == "hard bounce"
    backends.notify.get_credential_health.assert_called_once_with({"person_ids": ["person-1"]})


def test_staff_without_one_see_credentials_without_status_and_the_history_notify_answers_for_them():
    backends, teacher = make_backends(), make_principal(identity.TEACHER)
    backends.directory.get_person_profile.return_value = make_person_profile(id="person-1")
    backends.identity.get_accounts.return_value = {"accounts": [make_account(person_id="person-1")]}
    history = {"items": [], "total": 0, "page": 1, "per_page": 20, "scope": "took_part"}
    backends.notify.get_communication_history.return_value = history

    profile = handlers.show_user_profile(ApiCall(teacher, path={"id": "person-1"}), backends)

    assert profile["credentials"] and all("delivery_status" not in c for c in profile["credentials"])
    assert profile["communication_history"] == history
    backends.notify.get_credential_health.assert_not_called()
    backends.notify.get_communication_history.assert_called_once_with(
        {"viewer": teacher, "person_id": "person-1", "page": 1, "per_page": handlers.PROFILE_HISTORY_SHOWN})


def test_a_person_without_credentials_costs_no_question_to_notify():
    backends, teacher = make_backends(), make_principal(identity.TEACHER)
    backends.directory.get_person_profile.return_value = make_person_profile(id="person-1")
    backends.identity.get_accounts.return_value = {"accounts": []}

    profile = handlers.show_user_profile(ApiCall(teacher, path={"id": "person-1"}), backends)

    assert profile["credentials"] == []
    backends.notify.get_credential_health.assert_not_called()


def test_enabling_accounts_answers_each_result_and_a_summary():
    backends, admin = make_backends(), make_principal(identity.SCHOOL_ADMIN)
    results = [{"key": "s-1", "id": "s-1", "outcome": "enabled", "problems": []},
               {"key": "s-2", "id": None, "outcome": "not_found", "problems": []}]
    backends.directory.enable_student_accounts.return_value = {"results": results}

    answer = handlers.enable_student_accounts(ApiCall(admin, body={"student_ids": ["s-1", "s-2"]}), backends)

    assert answer == {"results": results, "summary": {"enabled": 1, "not_found": 1}}
    backends.directory.enable_student_accounts.assert_called_once_with(
        {"viewer": admin, "student_ids": ["s-1", "s-2"]})


def test_me_answers_what_the_role_grants_so_a_district_administrator_sees_more_than_nothing():
    backends, admin = make_backends(), make_principal(identity.DISTRICT_ADMIN)
    backends.identity.get_accounts.return_value = {"accounts": []}

    me = handlers.show_me(ApiCall(admin), backends)

    assert admin["permissions"] == [] and set(me["effective_permissions"]) == set(ACTIONS)


def test_me_answers_what_a_custom_permission_adds_to_a_teacher():
    backends = make_backends()
    backends.identity.get_accounts.return_value = {"accounts": []}
    plain = handlers.show_me(ApiCall(make_principal(identity.TEACHER)), backends)["effective_permissions"]

    moderator = handlers.show_me(ApiCall(make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER,))),
                                 backends)["effective_permissions"]

    assert set(moderator) - set(plain) == {ENABLE_STUDENT_ACCOUNTS, MANAGE_OTHERS_PREFERENCES, ARCHIVE,
                                           RESET_CREDENTIAL_STATUS, VIEW_UNREACHABLE_CONTACTS, INVITE_SCHOOL,
                                           VIEW_DELIVERY_STATUS}


def staff_account(person_id: str, **overrides) -> dict:
    return make_account(person_id=person_id, roles=[{"role": identity.TEACHER, "school_ids": ["school-1"]}],
                        **overrides)


def test_setting_permissions_records_the_caller_as_the_one_who_changed_them():
    backends, admin = make_backends(), make_principal(identity.DISTRICT_ADMIN, person_id="admin-1")
    backends.directory.get_person_profile.return_value = make_person_profile(id="staff-1", kinds=["staff"])
    backends.identity.get_accounts.return_value = {"accounts": [staff_account("staff-1")]}

    handlers.set_staff_permissions(
        ApiCall(admin, path={"id": "staff-1"}, body={"permissions": [identity.USERS_MANAGER]}), backends)

    backends.identity.set_staff_permissions.assert_called_once_with(
        {"person_id": "staff-1", "permissions": [identity.USERS_MANAGER], "changed_by": "admin-1"})


def test_nobody_sets_their_own_permissions_and_the_refusal_says_why():
    backends = make_backends()
    granter = make_principal(identity.TEACHER, person_id="t-1", permissions=(identity.PERMISSIONS_ADMIN,))
    backends.directory.get_person_profile.return_value = make_person_profile(id="t-1", kinds=["staff"])
    backends.identity.get_accounts.return_value = {"accounts": [staff_account(
        "t-1", permissions=[identity.PERMISSIONS_ADMIN])]}

    with pytest.raises(PermissionDenied) as refused:
        handlers.set_staff_permissions(ApiCall(granter, path={"id": "t-1"}, body={"permissions": list(
            identity.STAFF_PERMISSIONS)}), backends)

    assert "their own permissions" in refused.value.message
    backends.identity.set_staff_permissions.assert_not_called()


def test_a_permissions_admin_may_not_make_another_permissions_admin():
    backends = make_backends()
    granter = make_principal(identity.TEACHER, person_id="t-1", permissions=(identity.PERMISSIONS_ADMIN,))
    backends.directory.get_person_profile.return_value = make_person_profile(id="t-2", kinds=["staff"])
    backends.identity.get_accounts.return_value = {"accounts": [staff_account("t-2")]}

    with pytest.raises(PermissionDenied) as refused:
        handlers.set_staff_permissions(ApiCall(granter, path={"id": "t-2"}, body={"permissions": [
            identity.PERMISSIONS_ADMIN]}), backends)

    assert refused.value.fields == {"permissions": [
        "you may not grant or remove permissions_admin: ask a district administrator"]}
    backends.identity.set_staff_permissions.assert_not_called()


def test_permissions_are_never_set_for_someone_who_is_not_staff():
    backends, admin = make_backends(), make_principal(identity.DISTRICT_ADMIN)
    backends.directory.get_person_profile.return_value = make_person_profile(kinds=["guardian"])

    with pytest.raises(InvalidRequest):
        handlers.set_staff_permissions(ApiCall(admin, path={"id": "person-1"}, body={"permissions": []}), backends)

    backends.identity.set_staff_permissions.assert_not_called()


def test_schools_are_those_of_the_callers_district_page_by_page():
    backends = make_backends()
    backends.directory.get_schools.return_value = {"schools": [{"id": f"s-{n}", "name": f"S{n}"} for n in range(5)]}

    listed = handlers.list_schools(ApiCall(make_principal(district_id="district-7"),
                                           query={"page": 2, "per_page": 2}), backends)

    backends.directory.get_schools.assert_called_once_with({"district_id": "district-7"})
    assert listed == {"items": [{"id": "s-2", "name": "S2"}, {"id": "s-3", "name": "S3"}], "total": 5, "page": 2,
                      "per_page": 2}


def test_a_caller_without_a_district_sees_no_schools_rather_than_every_districts():
    backends = make_backends()

    assert handlers.list_schools(ApiCall(make_principal(district_id=None), query={"page": 1, "per_page": 100}),
                                 backends) == {"items": [], "total": 0, "page": 1, "per_page": 100}
    backends.directory.get_schools.assert_not_called()


def test_permissions_of_a_staff_member_without_an_account_are_not_found_and_nothing_is_set():
    backends, admin = make_backends(), make_principal(identity.DISTRICT_ADMIN, person_id="admin-1")
    backends.directory.get_person_profile.return_value = make_person_profile(id="staff-1", kinds=["staff"])
    backends.identity.get_accounts.return_value = {"accounts": []}

    with pytest.raises(NotFound):
        handlers.set_staff_permissions(ApiCall(admin, path={"id": "staff-1"}, body={"permissions": []}), backends)

    backends.identity.set_staff_permissions.assert_not_called()

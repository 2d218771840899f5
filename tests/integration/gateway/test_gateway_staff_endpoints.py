"""PUT /api/v1/staff/{id}/permissions."""
import pytest

from shared.contracts import identity
from shared.contracts.errors import NotFound

from gateway_http_support import assert_error, make_account, make_person_profile, make_principal

PERMISSIONS = "/api/v1/staff/staff-1/permissions"


def given_a_visible_staff_member(gateway) -> dict:
    gateway.directory.get_person_profile.return_value = make_person_profile(id="staff-1", kinds=["staff"])
    account = make_account(person_id="staff-1", permissions=[identity.USERS_MANAGER],
                           roles=[{"role": identity.TEACHER, "school_ids": ["school-1"]}])
    gateway.identity.get_accounts.return_value = {"accounts": [make_account(
        person_id="staff-1", permissions=[], roles=[{"role": identity.TEACHER, "school_ids": ["school-1"]}])]}
    gateway.identity.set_staff_permissions.return_value = account
    return account


@pytest.mark.parametrize("caller", [
    make_principal(identity.DISTRICT_ADMIN, person_id="admin-1"),
    make_principal(identity.SCHOOL_ADMIN, person_id="admin-1"),
    make_principal(identity.TEACHER, person_id="admin-1", permissions=(identity.PERMISSIONS_ADMIN,)),
], ids=["district-admin", "school-admin", "teacher-permissions-admin"])
def test_a_permissions_admin_sets_a_visible_staff_members_permissions_as_themselves(gateway, caller):
    account = given_a_visible_staff_member(gateway)

    response = gateway.put(PERMISSIONS, json={"permissions": [identity.USERS_MANAGER]},
                           headers=gateway.sign_in(caller))

    assert response.status_code == 200
    assert response.json() == account
    gateway.directory.get_person_profile.assert_called_once_with({"viewer": caller, "person_id": "staff-1"})
    gateway.identity.set_staff_permissions.assert_called_once_with(
        {"person_id": "staff-1", "permissions": [identity.USERS_MANAGER], "changed_by": "admin-1"})


@pytest.mark.parametrize("caller", [
    make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER,)),
    make_principal(identity.GUARDIAN, permissions=(identity.PERMISSIONS_ADMIN,)),
    make_principal(identity.GUARDIAN),
], ids=["teacher-users-manager", "guardian-with-a-stale-permissions-admin", "guardian"])
def test_without_permissions_admin_setting_permissions_is_denied(gateway, caller):
    given_a_visible_staff_member(gateway)

    response = gateway.put(PERMISSIONS, json={"permissions": []}, headers=gateway.sign_in(caller))

    assert_error(response, 403, "permission_denied")
    gateway.directory.get_person_profile.assert_not_called()
    gateway.identity.set_staff_permissions.assert_not_called()


def test_a_staff_member_the_caller_cannot_see_is_not_found_and_unchanged(gateway):
    gateway.directory.get_person_profile.side_effect = NotFound("No such person.")

    response = gateway.put(PERMISSIONS, json={"permissions": []},
                           headers=gateway.sign_in(make_principal(identity.DISTRICT_ADMIN)))

    assert_error(response, 404, "not_found")
    gateway.identity.set_staff_permissions.assert_not_called()


def test_permissions_for_someone_who_is_not_staff_are_refused_naming_the_id(gateway):
    gateway.directory.get_person_profile.return_value = make_person_profile(id="staff-1", kinds=["guardian"])

    response = gateway.put(PERMISSIONS, json={"permissions": []},
                           headers=gateway.sign_in(make_principal(identity.DISTRICT_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {"id": ["Not a staff member."]}
    gateway.identity.set_staff_permissions.assert_not_called()


def test_an_unknown_permission_is_refused_naming_its_position(gateway):
    response = gateway.put(PERMISSIONS, json={"permissions": [identity.USERS_MANAGER, "superuser"]},
                           headers=gateway.sign_in(make_principal(identity.DISTRICT_ADMIN)))

    fields = assert_error(response, 400, "invalid_request")
    assert list(fields) == ["permissions.1"] and fields["permissions.1"][0].startswith("Must be one of:")


def test_the_body_cannot_name_who_made_the_change(gateway):
    response = gateway.put(PERMISSIONS, json={"permissions": [], "changed_by": "someone-else"},
                           headers=gateway.sign_in(make_principal(identity.DISTRICT_ADMIN)))

    assert assert_error(response, 400, "invalid_request") == {"changed_by": ["Unknown field."]}


def test_reading_permissions_with_get_is_method_not_allowed(gateway):
    response = gateway.get(PERMISSIONS, headers=gateway.sign_in(make_principal(identity.DISTRICT_ADMIN)))

    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "PUT"


def test_nobody_sets_their_own_permissions_and_the_refusal_names_the_reason(gateway):
    given_a_visible_staff_member(gateway)
    caller = make_principal(identity.TEACHER, person_id="staff-1", permissions=(identity.PERMISSIONS_ADMIN,))

    response = gateway.put(PERMISSIONS, json={"permissions": list(identity.STAFF_PERMISSIONS)},
                           headers=gateway.sign_in(caller))

    assert assert_error(response, 403, "permission_denied") == {
        "permissions": ["nobody changes their own permissions: ask an administrator"]}
    gateway.identity.set_staff_permissions.assert_not_called()


def test_a_school_administrator_may_not_grant_rostering_administrator_which_reaches_the_district(gateway):
    given_a_visible_staff_member(gateway)

    response = gateway.put(PERMISSIONS, json={"permissions": [identity.ROSTERING_ADMINISTRATOR]},
                           headers=gateway.sign_in(make_principal(identity.SCHOOL_ADMIN, person_id="admin-1")))

    assert assert_error(response, 403, "permission_denied") == {"permissions": [
        "you may not grant or remove rostering_administrator: ask a district administrator"]}
    gateway.identity.set_staff_permissions.assert_not_called()

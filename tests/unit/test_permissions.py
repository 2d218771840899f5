import pytest

from shared.contracts.permissions import (
    ACTIONS,
    ANNOUNCE_TO_CLASSROOM,
    ANNOUNCE_TO_SCHOOL,
    ANNOUNCE_TO_SELECTED,
    ARCHIVE,
    ENABLE_STUDENT_ACCOUNTS,
    INVITE_PEOPLE,
    INVITE_SCHOOL,
    MANAGE_OTHERS_PREFERENCES,
    MANAGE_PEOPLE,
    MANAGE_SYNC_RUNS,
    MODERATE_CONTENT,
    READ_AUDIT_LOG,
    RESET_CREDENTIAL_STATUS,
    SEARCH_DIRECTORY,
    SET_DISTRICT_DEFAULT,
    SET_DISTRICT_LANGUAGES,
    SET_STAFF_PERMISSIONS,
    VIEW_ALL_COMMUNICATION_HISTORY,
    VIEW_CREDENTIALS_OF_OTHERS,
    VIEW_DELIVERY_REPORTS,
    VIEW_DELIVERY_STATUS,
    VIEW_PROFILES,
    VIEW_UNREACHABLE_CONTACTS,
    has_permission,
    has_role,
    may,
    schools_with_role,
)
from shared.contracts.identity import (
    CONTENT_MODERATOR,
    DISTRICT_ADMIN,
    GUARDIAN,
    PERMISSIONS_ADMIN,
    ROLES,
    ROSTERING_ADMINISTRATOR,
    SCHOOL_ADMIN,
    ENGAGEMENT_VISIBILITY,
    SCHOOL_WIDE_COMMUNICATIONS,
    STAFF_PERMISSIONS,
    STUDENT,
    TEACHER,
    USERS_MANAGER,
)
from shared.testing.principals import make_principal

# Written out by hand rather than derived from the rules, so a changed rule fails here.
ROLES_ALLOWED = {
    SEARCH_DIRECTORY: {DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER},
    VIEW_PROFILES: {DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER, GUARDIAN, STUDENT},
    ENABLE_STUDENT_ACCOUNTS: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    SET_STAFF_PERMISSIONS: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    VIEW_CREDENTIALS_OF_OTHERS: {DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER},
    ANNOUNCE_TO_SCHOOL: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    ANNOUNCE_TO_CLASSROOM: {DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER},
    ANNOUNCE_TO_SELECTED: {DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER},
    VIEW_DELIVERY_REPORTS: {DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER},
    VIEW_UNREACHABLE_CONTACTS: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    RESET_CREDENTIAL_STATUS: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    MANAGE_OTHERS_PREFERENCES: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    SET_DISTRICT_DEFAULT: {DISTRICT_ADMIN},
    SET_DISTRICT_LANGUAGES: {DISTRICT_ADMIN},
    MANAGE_PEOPLE: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    ARCHIVE: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    READ_AUDIT_LOG: {DISTRICT_ADMIN},
    MANAGE_SYNC_RUNS: {DISTRICT_ADMIN},
    MODERATE_CONTENT: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    INVITE_PEOPLE: {DISTRICT_ADMIN, SCHOOL_ADMIN, TEACHER},
    INVITE_SCHOOL: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    VIEW_ALL_COMMUNICATION_HISTORY: {DISTRICT_ADMIN, SCHOOL_ADMIN},
    VIEW_DELIVERY_STATUS: {DISTRICT_ADMIN, SCHOOL_ADMIN},
}
# What a teacher may do on top of the role, per custom permission.
TEACHER_PERMISSIONS_ALLOWED = {
    SEARCH_DIRECTORY: set(STAFF_PERMISSIONS),
    VIEW_PROFILES: set(STAFF_PERMISSIONS),
    ENABLE_STUDENT_ACCOUNTS: {USERS_MANAGER, ROSTERING_ADMINISTRATOR},
    SET_STAFF_PERMISSIONS: {PERMISSIONS_ADMIN},
    VIEW_CREDENTIALS_OF_OTHERS: set(STAFF_PERMISSIONS),
    ANNOUNCE_TO_SCHOOL: {SCHOOL_WIDE_COMMUNICATIONS},
    ANNOUNCE_TO_CLASSROOM: set(STAFF_PERMISSIONS),
    ANNOUNCE_TO_SELECTED: set(STAFF_PERMISSIONS),
    VIEW_DELIVERY_REPORTS: set(STAFF_PERMISSIONS),
    VIEW_UNREACHABLE_CONTACTS: {SCHOOL_WIDE_COMMUNICATIONS, USERS_MANAGER, ROSTERING_ADMINISTRATOR},
    RESET_CREDENTIAL_STATUS: {ROSTERING_ADMINISTRATOR, SCHOOL_WIDE_COMMUNICATIONS, USERS_MANAGER},
    MANAGE_OTHERS_PREFERENCES: {USERS_MANAGER},
    SET_DISTRICT_DEFAULT: set(),
    SET_DISTRICT_LANGUAGES: set(),
    MANAGE_PEOPLE: {ROSTERING_ADMINISTRATOR},
    ARCHIVE: {ROSTERING_ADMINISTRATOR, USERS_MANAGER},
    READ_AUDIT_LOG: set(),
    MANAGE_SYNC_RUNS: {ROSTERING_ADMINISTRATOR},
    MODERATE_CONTENT: {CONTENT_MODERATOR},
    INVITE_PEOPLE: set(STAFF_PERMISSIONS),
    INVITE_SCHOOL: {USERS_MANAGER, ROSTERING_ADMINISTRATOR},
    VIEW_ALL_COMMUNICATION_HISTORY: {ENGAGEMENT_VISIBILITY},
    VIEW_DELIVERY_STATUS: {USERS_MANAGER, ENGAGEMENT_VISIBILITY},
}
# A permission never makes someone staff: only the rules that name the permission alone open up.
GUARDIAN_PERMISSIONS_ALLOWED = {
    SEARCH_DIRECTORY: set(),
    VIEW_PROFILES: set(STAFF_PERMISSIONS),
    ENABLE_STUDENT_ACCOUNTS: set(),
    SET_STAFF_PERMISSIONS: set(),
    VIEW_CREDENTIALS_OF_OTHERS: set(),
    ANNOUNCE_TO_SCHOOL: set(),
    ANNOUNCE_TO_CLASSROOM: set(),
    ANNOUNCE_TO_SELECTED: set(),
    VIEW_DELIVERY_REPORTS: set(),
    VIEW_UNREACHABLE_CONTACTS: set(),
    RESET_CREDENTIAL_STATUS: set(),
    MANAGE_OTHERS_PREFERENCES: set(),
    SET_DISTRICT_DEFAULT: set(),
    SET_DISTRICT_LANGUAGES: set(),
    MANAGE_PEOPLE: set(),
    ARCHIVE: set(),
    READ_AUDIT_LOG: set(),
    MANAGE_SYNC_RUNS: set(),
    MODERATE_CONTENT: set(),
    INVITE_PEOPLE: set(),
    INVITE_SCHOOL: set(),
    VIEW_ALL_COMMUNICATION_HISTORY: set(),
    VIEW_DELIVERY_STATUS: set(),
}


def test_every_action_has_an_expectation_here():
    expectations = (ROLES_ALLOWED, TEACHER_PERMISSIONS_ALLOWED, GUARDIAN_PERMISSIONS_ALLOWED)
    assert all(set(expected) == set(ACTIONS) for expected in expectations)


@pytest.mark.parametrize("action", sorted(ROLES_ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_alone_may_do_exactly_its_actions(action, role):
    principal = make_principal(roles=[{"role": role, "school_ids": ["school-1"]}])

    assert may(principal, action) is (role in ROLES_ALLOWED[action])


@pytest.mark.parametrize("action", sorted(TEACHER_PERMISSIONS_ALLOWED))
@pytest.mark.parametrize("permission", STAFF_PERMISSIONS)
def test_a_teacher_with_one_permission_may_do_what_the_role_or_that_permission_opens(action, permission):
    principal = make_principal(roles=[{"role": TEACHER, "school_ids": ["school-1"]}], permissions=[permission])

    assert may(principal, action) is (permission in TEACHER_PERMISSIONS_ALLOWED[action])


@pytest.mark.parametrize("action", sorted(GUARDIAN_PERMISSIONS_ALLOWED))
@pytest.mark.parametrize("permission", STAFF_PERMISSIONS)
def test_a_permission_on_a_family_account_opens_only_rules_that_need_no_staff_role(action, permission):
    principal = make_principal(roles=[{"role": GUARDIAN, "school_ids": []}], permissions=[permission])

    assert may(principal, action) is (permission in GUARDIAN_PERMISSIONS_ALLOWED[action])


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_principal_without_roles_may_only_view_profiles(action):
    assert may(make_principal(roles=[]), action) is (action == VIEW_PROFILES)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_disabled_principal_may_do_nothing(action):
    principal = make_principal(status="disabled", roles=[{"role": DISTRICT_ADMIN, "school_ids": []}],
                               permissions=list(STAFF_PERMISSIONS))

    assert may(principal, action) is False


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError, match="directory.delete_everything"):
        may(make_principal(), "directory.delete_everything")


def test_has_role_looks_at_every_grant():
    principal = make_principal(roles=[{"role": GUARDIAN, "school_ids": []},
                                      {"role": TEACHER, "school_ids": ["s1"]}])

    assert has_role(principal, TEACHER)
    assert has_role(principal, GUARDIAN)
    assert not has_role(principal, SCHOOL_ADMIN)


def test_schools_with_role_are_the_schools_of_that_role_only():
    principal = make_principal(roles=[{"role": TEACHER, "school_ids": ["s1", "s2"]},
                                      {"role": SCHOOL_ADMIN, "school_ids": ["s3"]}])

    assert schools_with_role(principal, TEACHER) == {"s1", "s2"}
    assert schools_with_role(principal, SCHOOL_ADMIN) == {"s3"}
    assert schools_with_role(principal, DISTRICT_ADMIN) == frozenset()


def test_has_permission_is_true_only_for_held_permissions():
    principal = make_principal(roles=[{"role": TEACHER, "school_ids": []}], permissions=[USERS_MANAGER])

    assert has_permission(principal, USERS_MANAGER)
    assert not has_permission(principal, PERMISSIONS_ADMIN)

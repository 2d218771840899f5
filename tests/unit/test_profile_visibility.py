"""Who sees which communications and which delivery statuses on a user profile: every role, alone and with
each custom permission, viewing someone else and viewing themselves, active and disabled."""
import pytest

from shared.contracts.identity import (
    DISTRICT_ADMIN, ENGAGEMENT_VISIBILITY, GUARDIAN, ROLES, SCHOOL_ADMIN, STAFF_PERMISSIONS, STUDENT, TEACHER,
    USERS_MANAGER,
)
from shared.contracts.permissions import (
    HISTORY_EVERYTHING, HISTORY_NOTHING, HISTORY_TOOK_PART, communication_history_scope, may_see_delivery_status,
)
from shared.testing.principals import make_principal

VIEWER_ID, OTHER_ID = "viewer-1", "person-2"
PERMISSION_SETS = [()] + [(permission,) for permission in STAFF_PERMISSIONS] + [tuple(STAFF_PERMISSIONS)]
ADMINISTRATORS = {DISTRICT_ADMIN, SCHOOL_ADMIN}
# Written out by hand rather than derived from the rules, so a changed rule fails here.
SEES_ALL_HISTORY_AS_TEACHER = {ENGAGEMENT_VISIBILITY}
SEES_STATUS_AS_TEACHER = {USERS_MANAGER, ENGAGEMENT_VISIBILITY}


def viewer(role: str, permissions: tuple[str, ...], **overrides) -> dict:
    return make_principal(person_id=VIEWER_ID, roles=[{"role": role, "school_ids": ["school-1"]}],
                          permissions=list(permissions), **overrides)


def expected_history(role: str, permissions: tuple[str, ...]) -> str:
    if role in ADMINISTRATORS or (role == TEACHER and SEES_ALL_HISTORY_AS_TEACHER & set(permissions)):
        return HISTORY_EVERYTHING
    return HISTORY_TOOK_PART if role == TEACHER else HISTORY_NOTHING


@pytest.mark.parametrize("permissions", PERMISSION_SETS)
@pytest.mark.parametrize("role", ROLES)
def test_the_history_of_someone_else_follows_the_role_and_engagement_visibility(role, permissions):
    assert communication_history_scope(viewer(role, permissions), OTHER_ID) == expected_history(role, permissions)


@pytest.mark.parametrize("permissions", PERMISSION_SETS)
@pytest.mark.parametrize("role", ROLES)
def test_delivery_status_of_someone_else_needs_an_extended_permission(role, permissions):
    expected = role in ADMINISTRATORS or (role == TEACHER and bool(SEES_STATUS_AS_TEACHER & set(permissions)))

    assert may_see_delivery_status(viewer(role, permissions), OTHER_ID) is expected


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_their_own_history_and_delivery_status(role):
    assert communication_history_scope(viewer(role, ()), VIEWER_ID) == HISTORY_EVERYTHING
    assert may_see_delivery_status(viewer(role, ()), VIEWER_ID) is True


@pytest.mark.parametrize("person_id", [VIEWER_ID, OTHER_ID])
@pytest.mark.parametrize("role", ROLES)
def test_a_disabled_viewer_sees_nothing_even_of_themselves(role, person_id):
    disabled = viewer(role, tuple(STAFF_PERMISSIONS), status="disabled")

    assert communication_history_scope(disabled, person_id) == HISTORY_NOTHING
    assert may_see_delivery_status(disabled, person_id) is False


def test_a_permission_on_a_family_account_opens_nothing_of_others():
    for role in (GUARDIAN, STUDENT):
        family = viewer(role, tuple(STAFF_PERMISSIONS))
        assert communication_history_scope(family, OTHER_ID) == HISTORY_NOTHING
        assert may_see_delivery_status(family, OTHER_ID) is False

"""Who may change whose custom permissions (shared.contracts.permissions.permission_change_refusal).

Worked examples first, each a sentence of the product's rule; then properties over every combination of
roles, schools, districts and permissions hypothesis can draw, so no pairing of granter and target slips
past the rule.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts import identity
from shared.contracts.permissions import (
    NOT_A_GRANTER,
    NOT_YOUR_OWN,
    OUTRANKS,
    OUTSIDE_DISTRICT,
    OUTSIDE_SCHOOLS,
    RANKS,
    effective_actions,
    grantable_permissions,
    has_role,
    may,
    permission_change_refusal,
    rank,
    staff_schools,
)
from shared.testing.principals import make_principal

SCHOOLS = ("s1", "s2", "s3")


def staff(role: str, *schools: str, person_id: str = "target", permissions=(), **overrides) -> dict:
    return make_principal(person_id=person_id, roles=[{"role": role, "school_ids": list(schools)}],
                          permissions=list(permissions), **overrides)


def granter(role: str, *schools: str, permissions=(), **overrides) -> dict:
    return staff(role, *schools, person_id="granter", permissions=permissions, **overrides)


PERMISSIONS_ADMIN_OF_S1 = granter(identity.TEACHER, "s1", permissions=[identity.PERMISSIONS_ADMIN])


@pytest.mark.parametrize("who", [
    granter(identity.DISTRICT_ADMIN), granter(identity.SCHOOL_ADMIN, "s1"), PERMISSIONS_ADMIN_OF_S1,
])
def test_nobody_changes_their_own_permissions_not_even_to_remove_one(who):
    assert permission_change_refusal(who, who, list(identity.STAFF_PERMISSIONS)) == NOT_YOUR_OWN
    assert permission_change_refusal(who, who, []) == NOT_YOUR_OWN


def test_a_district_administrator_grants_any_permission_to_staff_of_the_district():
    assert permission_change_refusal(granter(identity.DISTRICT_ADMIN), staff(identity.TEACHER, "s2"),
                                     list(identity.STAFF_PERMISSIONS)) is None
    assert permission_change_refusal(granter(identity.DISTRICT_ADMIN), staff(identity.SCHOOL_ADMIN, "s1"),
                                     [identity.PERMISSIONS_ADMIN, identity.ROSTERING_ADMINISTRATOR]) is None


def test_nobody_changes_permissions_of_staff_in_another_district():
    target = staff(identity.TEACHER, "s1", district_id="district-2")

    assert permission_change_refusal(granter(identity.DISTRICT_ADMIN), target,
                                     [identity.USERS_MANAGER]) == OUTSIDE_DISTRICT


def test_a_school_administrator_grants_permission_admin_within_their_school_but_not_rostering_administrator():
    principal = granter(identity.SCHOOL_ADMIN, "s1")

    assert permission_change_refusal(principal, staff(identity.TEACHER, "s1"),
                                     [identity.PERMISSIONS_ADMIN, identity.USERS_MANAGER]) is None
    assert "rostering_administrator" in permission_change_refusal(principal, staff(identity.TEACHER, "s1"),
                                                                  [identity.ROSTERING_ADMINISTRATOR])


def test_a_school_administrator_does_not_reach_staff_who_also_work_in_another_school():
    principal = granter(identity.SCHOOL_ADMIN, "s1")

    assert permission_change_refusal(principal, staff(identity.TEACHER, "s1", "s2"),
                                     [identity.USERS_MANAGER]) == OUTSIDE_SCHOOLS
    assert permission_change_refusal(principal, staff(identity.TEACHER), [identity.USERS_MANAGER]) == OUTSIDE_SCHOOLS


def test_a_school_administrator_does_not_change_a_district_administrators_permissions():
    assert permission_change_refusal(granter(identity.SCHOOL_ADMIN, "s1"), staff(identity.DISTRICT_ADMIN),
                                     [identity.USERS_MANAGER]) == OUTSIDE_SCHOOLS
    district_admin_teaching_at_s1 = make_principal(person_id="target", roles=[
        {"role": identity.DISTRICT_ADMIN, "school_ids": []}, {"role": identity.TEACHER, "school_ids": ["s1"]}])
    assert permission_change_refusal(granter(identity.SCHOOL_ADMIN, "s1"), district_admin_teaching_at_s1,
                                     [identity.USERS_MANAGER]) == OUTRANKS


def test_a_permissions_admin_grants_the_everyday_permissions_to_teachers_of_their_school():
    everyday = [identity.SCHOOL_WIDE_COMMUNICATIONS, identity.CONTENT_MODERATOR, identity.USERS_MANAGER,
                identity.ENGAGEMENT_VISIBILITY]

    assert permission_change_refusal(PERMISSIONS_ADMIN_OF_S1, staff(identity.TEACHER, "s1"), everyday) is None


def test_a_permissions_admin_neither_makes_nor_unmakes_permissions_admins_or_rostering_administrators():
    refusal = permission_change_refusal(PERMISSIONS_ADMIN_OF_S1, staff(identity.TEACHER, "s1"),
                                        [identity.PERMISSIONS_ADMIN, identity.ROSTERING_ADMINISTRATOR])
    assert refusal == ("you may not grant or remove permissions_admin, rostering_administrator: "
                       "ask a district administrator")
    peer = staff(identity.TEACHER, "s1", permissions=[identity.PERMISSIONS_ADMIN])
    assert "permissions_admin" in permission_change_refusal(PERMISSIONS_ADMIN_OF_S1, peer, [])
    # What they may not touch, they may leave as it is while changing the rest.
    assert permission_change_refusal(PERMISSIONS_ADMIN_OF_S1, peer,
                                     [identity.PERMISSIONS_ADMIN, identity.USERS_MANAGER]) is None


def test_a_permissions_admin_does_not_change_an_administrators_permissions():
    assert permission_change_refusal(PERMISSIONS_ADMIN_OF_S1, staff(identity.SCHOOL_ADMIN, "s1"),
                                     [identity.USERS_MANAGER]) == OUTRANKS


@pytest.mark.parametrize("who", [
    granter(identity.TEACHER, "s1"), granter(identity.TEACHER, "s1", permissions=[identity.USERS_MANAGER]),
    granter(identity.GUARDIAN),
    granter(identity.STUDENT, "s1"), granter(identity.GUARDIAN, permissions=[identity.PERMISSIONS_ADMIN]),
    granter(identity.DISTRICT_ADMIN, status="disabled"),
])
def test_anyone_else_changes_nobodys_permissions(who):
    assert permission_change_refusal(who, staff(identity.TEACHER, "s1"), [identity.USERS_MANAGER]) == NOT_A_GRANTER


# --- properties over every drawn granter and target ----------------------------------------------------

grants = st.builds(lambda role, schools: {"role": role, "school_ids": sorted(schools)},
                   st.sampled_from(identity.ROLES), st.sets(st.sampled_from(SCHOOLS)))
principals = st.builds(
    lambda person_id, district_id, roles, permissions, status: make_principal(
        person_id=person_id, district_id=district_id, roles=roles, permissions=sorted(permissions), status=status),
    st.sampled_from(("p1", "p2")), st.sampled_from(("district-1", "district-2", None)),
    st.lists(grants, max_size=3), st.sets(st.sampled_from(identity.STAFF_PERMISSIONS)),
    st.sampled_from(("active", "active", "invitee", "disabled")))
permission_sets = st.sets(st.sampled_from(identity.STAFF_PERMISSIONS))


@settings(max_examples=1500)
@given(principals, principals, permission_sets)
def test_an_allowed_change_stays_within_the_granters_own_reach(granter_, target, permissions):
    refusal = permission_change_refusal(granter_, target, permissions)
    if refusal is not None:
        return
    changed = set(permissions) ^ set(target["permissions"])
    assert granter_["person_id"] != target["person_id"]
    assert may(granter_, "identity.set_staff_permissions")
    assert granter_["district_id"] is not None and granter_["district_id"] == target["district_id"]
    assert rank(target) <= rank(granter_)
    assert changed <= grantable_permissions(granter_)
    if identity.ROSTERING_ADMINISTRATOR in changed:
        assert has_role(granter_, identity.DISTRICT_ADMIN)
    if identity.PERMISSIONS_ADMIN in changed:
        assert rank(granter_) >= RANKS[identity.SCHOOL_ADMIN]
    if not has_role(granter_, identity.DISTRICT_ADMIN):
        assert staff_schools(target) and staff_schools(target) <= staff_schools(granter_)


@settings(max_examples=500)
@given(principals, permission_sets)
def test_a_change_to_ones_own_permissions_is_always_refused_as_such(principal, permissions):
    assert permission_change_refusal(principal, principal, permissions) == NOT_YOUR_OWN


@settings(max_examples=500)
@given(principals, principals, permission_sets)
def test_an_administrator_below_the_district_never_opens_an_action_they_do_not_have_themselves(
        granter_, target, permissions):
    if rank(granter_) < RANKS[identity.SCHOOL_ADMIN] or permission_change_refusal(granter_, target, permissions):
        return
    before = set(effective_actions(target))
    after = set(effective_actions({**target, "permissions": sorted(permissions)}))

    assert all(may(granter_, action) for action in after - before)


@settings(max_examples=500)
@given(principals, permission_sets)
def test_a_district_administrator_may_change_any_other_staff_member_of_the_district(target, permissions):
    district_admin = granter(identity.DISTRICT_ADMIN, district_id=target["district_id"] or "district-1")
    if target["district_id"] is None or target["person_id"] == "granter":
        return

    assert permission_change_refusal(district_admin, target, permissions) is None


@settings(max_examples=500)
@given(st.sets(st.sampled_from(SCHOOLS), min_size=1), st.sets(st.sampled_from(SCHOOLS), min_size=1),
       permission_sets, permission_sets)
def test_a_permissions_admin_reaches_exactly_teachers_of_their_schools_and_the_everyday_permissions(
        own_schools, target_schools, held, wanted):
    permissions_admin = granter(identity.TEACHER, *sorted(own_schools), permissions=[identity.PERMISSIONS_ADMIN])
    target = staff(identity.TEACHER, *sorted(target_schools), permissions=sorted(held))
    changed = held ^ wanted
    allowed = target_schools <= own_schools and not changed & {identity.PERMISSIONS_ADMIN,
                                                               identity.ROSTERING_ADMINISTRATOR}

    assert (permission_change_refusal(permissions_admin, target, wanted) is None) is allowed

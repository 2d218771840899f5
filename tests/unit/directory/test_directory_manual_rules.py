"""The checks of a manual directory action: permission, reach (404 outside it), fit, and the sync's lock."""
from __future__ import annotations

import pytest

from services.directory.domain import manual as rules
from services.directory.domain.sync_lock import SyncOwnership, record_lock
from services.directory.domain.visibility import ClassroomFacts, SchoolFacts, ViewerFacts, scope_for
from shared.contracts.errors import InvalidRequest, Locked, NotFound, PermissionDenied

from directory_factories import DISTRICT, make_person, make_principal, role

NORTH_ADMIN = make_principal(roles=[role("school_admin", "north")])
DISTRICT_ADMIN = make_principal(roles=[role("district_admin")])


def scope_of(principal: dict):
    return scope_for(principal, ViewerFacts())


def make_managed(**overrides) -> rules.ManagedPerson:
    values = {"facts": make_person(id="s1", school_ids={"north"}), "given_name": "Ana", "family_name": "Lopez",
              "archived": False, "managed_by_sync": False, "joined": False}
    values.update(overrides)
    return rules.ManagedPerson(**values)


def make_classroom(school_id: str = "north", district_id: str = DISTRICT, archived: bool = False):
    return rules.ClassroomRecord(ClassroomFacts("c1", district_id, school_id), archived, managed_by_sync=False)


@pytest.mark.parametrize(("principal", "allowed"), [
    (NORTH_ADMIN, True),
    (make_principal(roles=[role("teacher", "north")]), False),
    (make_principal(roles=[role("teacher", "north")], permissions=["rostering_administrator"]), True),
    (make_principal(roles=[role("guardian")], permissions=["rostering_administrator"]), False),
])
def test_only_administrators_and_rostering_administrators_manage_people(principal, allowed):
    if allowed:
        rules.require_action(principal, "directory.manage_people")
    else:
        with pytest.raises(PermissionDenied, match="directory.manage_people"):
            rules.require_action(principal, "directory.manage_people")


@pytest.mark.parametrize(("school", "managed"), [
    (SchoolFacts("north", DISTRICT), True),
    (SchoolFacts("south", DISTRICT), False),
])
def test_a_school_administrator_manages_their_own_schools_only(school, managed):
    assert rules.manages_school(scope_of(NORTH_ADMIN), school) is managed


def test_a_district_administrator_manages_every_school_of_their_district_and_none_elsewhere():
    scope = scope_of(DISTRICT_ADMIN)

    assert rules.manages_school(scope, SchoolFacts("any", DISTRICT))
    assert not rules.manages_school(scope, SchoolFacts("any", "another-district"))


def test_an_unknown_or_out_of_reach_school_reads_as_not_found_naming_the_field():
    for school in (None, SchoolFacts("south", DISTRICT)):
        with pytest.raises(NotFound) as refused:
            rules.managed_school(scope_of(NORTH_ADMIN), school, "school_ids.1")
        assert set(refused.value.fields) == {"school_ids.1"}


def test_a_classroom_of_another_school_is_refused_as_not_fitting():
    with pytest.raises(InvalidRequest) as refused:
        rules.managed_classroom(scope_of(DISTRICT_ADMIN), make_classroom("south"), "classroom_id", school_id="north")
    assert refused.value.fields == {"classroom_id": ["is a classroom of another school than school_id"]}


def test_an_archived_classroom_takes_nobody_in_but_people_may_leave_it():
    archived = make_classroom(archived=True)
    with pytest.raises(InvalidRequest):
        rules.managed_classroom(scope_of(NORTH_ADMIN), archived, "classroom_id")
    assert rules.managed_classroom(scope_of(NORTH_ADMIN), archived, "classroom_id", taking_in=False) is archived


def test_a_classroom_of_another_district_is_not_found():
    with pytest.raises(NotFound):
        rules.managed_classroom(scope_of(DISTRICT_ADMIN), make_classroom(district_id="elsewhere"), "classroom_id")


def test_a_person_the_viewer_cannot_see_is_not_found():
    south_student = make_managed(facts=make_person(id="s9", school_ids={"south"}))
    with pytest.raises(NotFound):
        rules.managed_person(scope_of(NORTH_ADMIN), south_student, "person_id")
    assert rules.managed_person(scope_of(NORTH_ADMIN), make_managed(), "person_id").id == "s1"


def test_kind_archived_and_school_membership_are_each_refused_naming_the_field():
    guardian = make_managed(facts=make_person(kinds={"guardian"}))
    with pytest.raises(InvalidRequest, match="not a student"):
        rules.require_kind(guardian, "student", "student_id")
    with pytest.raises(InvalidRequest) as archived:
        rules.require_current(make_managed(archived=True), "person_id")
    assert archived.value.fields == {"person_id": ["is archived: unarchive them first"]}
    with pytest.raises(InvalidRequest) as elsewhere:
        rules.require_member_of(make_managed(), "south", "classroom_id")
    assert "add them to that school first" in elsewhere.value.fields["classroom_id"][0]


def test_a_sync_lock_is_refused_as_locked_naming_the_field_and_the_source():
    synced = make_managed(managed_by_sync=True)
    reason = record_lock(SyncOwnership(source="Clever"), managed_by_sync=True, kinds=synced.kinds)

    with pytest.raises(Locked) as locked:
        rules.require_unlocked(reason, "job_title")
    assert "Clever" in locked.value.message and locked.value.fields == {"job_title": [reason]}
    rules.require_unlocked(None, "job_title")

"""Who sees whom: every role against every kind of person, allowed and denied."""
from __future__ import annotations

import pytest
from directory_factories import DISTRICT, make_person, make_principal, make_viewer_facts, role

from services.directory.domain import visibility as v

# A small district: two schools, three classrooms, students, guardians, staff,
# and one student of another district.
NORTH, SOUTH, WEST = "north", "south", "west"
MATH_NORTH, ART_NORTH, BIO_SOUTH = "math-north", "art-north", "bio-south"

PEOPLE = {
    "ana": make_person(id="ana", kinds={"student"}, school_ids={NORTH}, classroom_ids={MATH_NORTH}),
    "ben": make_person(id="ben", kinds={"student"}, school_ids={NORTH}, classroom_ids={ART_NORTH}),
    "cal": make_person(id="cal", kinds={"student"}, school_ids={SOUTH}, classroom_ids={BIO_SOUTH}),
    "gina": make_person(id="gina", kinds={"guardian"}, children_school_ids={NORTH},
                        children_classroom_ids={MATH_NORTH}),
    "gus": make_person(id="gus", kinds={"guardian"}, children_school_ids={SOUTH},
                       children_classroom_ids={BIO_SOUTH}),
    "tess": make_person(id="tess", kinds={"staff"}, school_ids={NORTH}),
    "sam": make_person(id="sam", kinds={"staff"}, school_ids={SOUTH}),
    # Staff at the south school and a parent of ana.
    "dana": make_person(id="dana", kinds={"staff", "guardian"}, school_ids={SOUTH},
                        children_school_ids={NORTH}, children_classroom_ids={MATH_NORTH}),
    "zed": make_person(id="zed", district_id="d2", kinds={"student"}, school_ids={WEST}),
}

TEACHER_TESS = dict(person_id="tess", roles=[role("teacher", NORTH)])
TESS_TEACHES_MATH = make_viewer_facts(taught_classroom_ids={MATH_NORTH})

VIEWERS = {
    "district admin": (make_principal(roles=[role("district_admin")]), make_viewer_facts()),
    "school admin of north": (make_principal(roles=[role("school_admin", NORTH)]), make_viewer_facts()),
    "teacher": (make_principal(**TEACHER_TESS), TESS_TEACHES_MATH),
    "teacher with family access": (make_principal(**TEACHER_TESS, permissions=["family_access"]),
                                   TESS_TEACHES_MATH),
    "teacher with users manager": (make_principal(**TEACHER_TESS, permissions=["users_manager"]),
                                   TESS_TEACHES_MATH),
    "teacher with rostering administrator": (
        make_principal(**TEACHER_TESS, permissions=["rostering_administrator"]), TESS_TEACHES_MATH),
    "teacher with content moderator only": (
        make_principal(**TEACHER_TESS, permissions=["content_moderator", "engagement_visibility"]),
        TESS_TEACHES_MATH),
    "guardian": (make_principal(person_id="gina", roles=[role("guardian")]),
                 make_viewer_facts(linked_student_ids={"ana"}, linked_students_school_ids={NORTH},
                                   linked_students_classroom_ids={MATH_NORTH})),
    "student": (make_principal(person_id="ana", roles=[role("student")]),
                make_viewer_facts(own_school_ids={NORTH}, own_classroom_ids={MATH_NORTH})),
    "teacher who is also a guardian": (
        make_principal(person_id="dana", roles=[role("teacher", SOUTH), role("guardian")]),
        make_viewer_facts(linked_student_ids={"ana"}, linked_students_school_ids={NORTH},
                          linked_students_classroom_ids={MATH_NORTH})),
    "person with no roles": (make_principal(person_id="gus"), make_viewer_facts()),
}

SCHOOL_WIDE_TEACHER = {"tess", "ana", "ben", "gina", "dana"}
SEES = {
    "district admin": {"ana", "ben", "cal", "gina", "gus", "tess", "sam", "dana"},
    "school admin of north": {"ana", "ben", "gina", "dana", "tess"},
    "teacher": {"tess", "ana", "gina", "dana"},
    "teacher with family access": SCHOOL_WIDE_TEACHER,
    "teacher with users manager": SCHOOL_WIDE_TEACHER,
    "teacher with rostering administrator": SCHOOL_WIDE_TEACHER,
    "teacher with content moderator only": {"tess", "ana", "gina", "dana"},
    "guardian": {"gina", "ana"},
    "student": {"ana"},
    "teacher who is also a guardian": {"dana", "sam", "ana"},
    "person with no roles": {"gus"},
}


def scope_of(viewer_name: str) -> v.Scope:
    principal, facts = VIEWERS[viewer_name]
    return v.scope_for(principal, facts)


@pytest.mark.parametrize("viewer_name,person_id", [(viewer, person) for viewer in VIEWERS for person in PEOPLE])
def test_each_viewer_sees_exactly_the_people_of_their_scope(viewer_name, person_id):
    expected = person_id in SEES[viewer_name]
    assert v.can_see_person(scope_of(viewer_name), PEOPLE[person_id]) is expected


CLASSROOMS = {
    MATH_NORTH: v.ClassroomFacts(MATH_NORTH, DISTRICT, NORTH),
    ART_NORTH: v.ClassroomFacts(ART_NORTH, DISTRICT, NORTH),
    BIO_SOUTH: v.ClassroomFacts(BIO_SOUTH, DISTRICT, SOUTH),
    "geo-west": v.ClassroomFacts("geo-west", "d2", WEST),
}
SEES_CLASSROOMS = {
    "district admin": {MATH_NORTH, ART_NORTH, BIO_SOUTH},
    "school admin of north": {MATH_NORTH, ART_NORTH},
    "teacher": {MATH_NORTH},
    "teacher with family access": {MATH_NORTH, ART_NORTH},
    "teacher with users manager": {MATH_NORTH, ART_NORTH},
    "teacher with rostering administrator": {MATH_NORTH, ART_NORTH},
    "teacher with content moderator only": {MATH_NORTH},
    "guardian": {MATH_NORTH},
    "student": {MATH_NORTH},
    "teacher who is also a guardian": {MATH_NORTH},
    "person with no roles": set(),
}


@pytest.mark.parametrize("viewer_name,classroom_id",
                         [(viewer, room) for viewer in VIEWERS for room in CLASSROOMS])
def test_a_student_profile_shows_only_the_classrooms_the_viewer_may_see(viewer_name, classroom_id):
    expected = classroom_id in SEES_CLASSROOMS[viewer_name]
    assert v.can_see_classroom(scope_of(viewer_name), CLASSROOMS[classroom_id]) is expected


SCHOOLS = {school: v.SchoolFacts(school, "d2" if school == WEST else DISTRICT) for school in (NORTH, SOUTH, WEST)}
SEES_SCHOOLS = {
    "district admin": {NORTH, SOUTH},
    "school admin of north": {NORTH},
    "teacher": {NORTH},
    "teacher with family access": {NORTH},
    "teacher with users manager": {NORTH},
    "teacher with rostering administrator": {NORTH},
    "teacher with content moderator only": {NORTH},
    "guardian": {NORTH},
    "student": {NORTH},
    "teacher who is also a guardian": {NORTH, SOUTH},
    "person with no roles": set(),
}


@pytest.mark.parametrize("viewer_name,school_id", [(viewer, school) for viewer in VIEWERS for school in SCHOOLS])
def test_a_profile_shows_only_the_schools_the_viewer_may_see(viewer_name, school_id):
    expected = school_id in SEES_SCHOOLS[viewer_name]
    assert v.can_see_school(scope_of(viewer_name), SCHOOLS[school_id]) is expected


def test_a_district_admin_without_a_district_sees_only_themselves():
    scope = v.scope_for(make_principal(person_id="ana", district_id=None, roles=[role("district_admin")]),
                        make_viewer_facts())
    assert [pid for pid, person in PEOPLE.items() if v.can_see_person(scope, person)] == ["ana"]


def test_a_teacher_does_not_see_students_of_classrooms_taught_by_someone_else_in_another_school():
    scope = v.scope_for(make_principal(roles=[role("teacher", SOUTH)]), make_viewer_facts())
    assert not v.can_see_person(scope, PEOPLE["cal"])
    assert v.can_see_person(scope, PEOPLE["sam"])


def test_guardian_links_count_only_for_a_viewer_who_holds_the_guardian_role():
    facts = make_viewer_facts(linked_student_ids={"ana"}, linked_students_school_ids={NORTH},
                              linked_students_classroom_ids={MATH_NORTH})
    scope = v.scope_for(make_principal(person_id="gina", roles=[role("teacher", SOUTH)]), facts)
    assert not v.can_see_person(scope, PEOPLE["ana"])


def test_a_guardian_of_a_north_student_is_not_visible_to_a_south_school_admin():
    scope = v.scope_for(make_principal(roles=[role("school_admin", SOUTH)]), make_viewer_facts())
    assert not v.can_see_person(scope, PEOPLE["gina"])
    assert v.can_see_person(scope, PEOPLE["gus"])


def test_a_scope_lists_its_grants_so_sql_can_apply_the_same_rule():
    scope = scope_of("teacher")
    assert scope.people == (
        v.Individuals(frozenset({"tess"})),
        v.StaffOfSchools(frozenset({NORTH})),
        v.StudentsOfClassrooms(frozenset({MATH_NORTH})),
        v.GuardiansOfStudentsInClassrooms(frozenset({MATH_NORTH})),
    )

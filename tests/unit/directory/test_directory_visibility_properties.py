"""Property: in any district, a viewer sees a student exactly when a relationship puts them in scope.

The oracle below reads the raw relationships (enrollments, links, role
schools) and restates the product rule independently of the grants the
domain builds, so a wrong grant shows up as a counterexample.
"""
from __future__ import annotations

from dataclasses import dataclass

from directory_factories import DISTRICT, make_principal
from hypothesis import given, settings
from hypothesis import strategies as st

from services.directory.domain import visibility as v

SCHOOLS = ("s1", "s2", "s3")
CLASSROOMS = {"c1": "s1", "c2": "s1", "c3": "s2", "c4": "s3"}
STUDENTS = ("st1", "st2", "st3", "st4", "st5")
VIEWER = "viewer"
ROLES = ("district_admin", "school_admin", "teacher", "guardian", "student")
PERMISSIONS = ("family_access", "users_manager", "rostering_administrator", "content_moderator",
               "engagement_visibility", "permissions_admin", "school_wide_communications")


@dataclass(frozen=True)
class World:
    student_district: dict[str, str]
    student_schools: dict[str, frozenset[str]]
    student_classrooms: dict[str, frozenset[str]]
    viewer_roles: tuple[tuple[str, frozenset[str]], ...]
    viewer_permissions: frozenset[str]
    taught: frozenset[str]
    children: frozenset[str]


def subsets(items: tuple[str, ...]) -> st.SearchStrategy[frozenset[str]]:
    # One coin per item: cheaper to generate and to shrink than a set of sampled items.
    return st.tuples(*(st.booleans() for _ in items)).map(
        lambda coins: frozenset(item for item, chosen in zip(items, coins) if chosen))


@st.composite
def worlds(draw) -> World:
    return World(
        student_district={s: draw(st.sampled_from((DISTRICT, DISTRICT, "d2"))) for s in STUDENTS},
        student_schools={s: draw(subsets(SCHOOLS)) for s in STUDENTS},
        student_classrooms={s: draw(subsets(tuple(CLASSROOMS))) for s in STUDENTS},
        viewer_roles=tuple(draw(st.lists(st.tuples(st.sampled_from(ROLES), subsets(SCHOOLS)), max_size=3))),
        viewer_permissions=draw(subsets(PERMISSIONS)),
        taught=draw(subsets(tuple(CLASSROOMS))),
        children=draw(subsets(STUDENTS)),
    )


def principal_of(world: World) -> dict:
    return make_principal(person_id=VIEWER, roles=[{"role": name, "school_ids": sorted(schools)}
                                                    for name, schools in world.viewer_roles],
                          permissions=sorted(world.viewer_permissions))


def viewer_facts_of(world: World) -> v.ViewerFacts:
    return v.ViewerFacts(
        taught_classroom_ids=world.taught,
        linked_student_ids=world.children,
        linked_students_school_ids=frozenset().union(*(world.student_schools[s] for s in world.children)),
        linked_students_classroom_ids=frozenset().union(*(world.student_classrooms[s] for s in world.children)),
    )


def student_facts(world: World, student: str) -> v.PersonFacts:
    return v.PersonFacts(id=student, district_id=world.student_district[student], kinds=frozenset({"student"}),
                         school_ids=world.student_schools[student],
                         classroom_ids=world.student_classrooms[student])


def oracle_sees_student(world: World, student: str) -> bool:
    holds = {name for name, _ in world.viewer_roles}
    schools_as = lambda wanted: set().union(*(s for name, s in world.viewer_roles if name == wanted))  # noqa: E731
    school_wide_teacher = bool(world.viewer_permissions & {"family_access", "users_manager",
                                                           "rostering_administrator"})
    return any((
        "district_admin" in holds and world.student_district[student] == DISTRICT,
        bool(world.student_schools[student] & schools_as("school_admin")),
        school_wide_teacher and bool(world.student_schools[student] & schools_as("teacher")),
        "teacher" in holds and bool(world.student_classrooms[student] & world.taught),
        "guardian" in holds and student in world.children,
    ))


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_no_viewer_ever_sees_a_student_outside_their_scope_nor_misses_one_inside(world):
    scope = v.scope_for(principal_of(world), viewer_facts_of(world))
    for student in STUDENTS:
        assert v.can_see_person(scope, student_facts(world, student)) is oracle_sees_student(world, student)


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_a_viewer_holding_only_the_student_role_sees_no_other_student(world):
    only_student = World(**{**world.__dict__, "viewer_roles": (("student", frozenset()),)})
    scope = v.scope_for(principal_of(only_student), viewer_facts_of(only_student))
    assert not any(v.can_see_person(scope, student_facts(only_student, s)) for s in STUDENTS)


@settings(max_examples=100, deadline=None)
@given(worlds())
def test_every_classroom_a_viewer_sees_is_in_a_school_or_class_their_roles_reach(world):
    scope = v.scope_for(principal_of(world), viewer_facts_of(world))
    reachable_schools = set().union(*(schools for name, schools in world.viewer_roles
                                      if name in ("school_admin", "teacher")))
    holds = {name for name, _ in world.viewer_roles}
    children_classrooms = viewer_facts_of(world).linked_students_classroom_ids if "guardian" in holds else set()
    for classroom_id, school_id in CLASSROOMS.items():
        if v.can_see_classroom(scope, v.ClassroomFacts(classroom_id, DISTRICT, school_id)):
            assert ("district_admin" in holds or school_id in reachable_schools
                    or ("teacher" in holds and classroom_id in world.taught) or classroom_id in children_classrooms)

"""Snapshot builders for rostering unit tests: each one valid on its own, with overrides."""
from __future__ import annotations

from services.rostering.domain.snapshot import (
    GUARDIAN,
    STAFF,
    STUDENT,
    Class,
    Course,
    Enrollment,
    GuardianLink,
    Org,
    Person,
    RowProblem,
    Snapshot,
)


def make_org(**overrides) -> Org:
    fields = {"source_id": "school-1", "name": "Lincoln Elementary", "type": "school", "identifier": "LIN",
              "parent_source_id": "district-1"}
    return Org(**{**fields, **overrides})


def make_district(**overrides) -> Org:
    return make_org(**{"source_id": "district-1", "name": "Lincoln USD", "type": "district", "identifier": None,
                       "parent_source_id": None, **overrides})


def make_course(**overrides) -> Course:
    fields = {"source_id": "course-1", "title": "Grade 3 Math", "course_code": "MATH3",
              "org_source_id": "school-1", "grades": ("03",)}
    return Course(**{**fields, **overrides})


def make_class(**overrides) -> Class:
    fields = {"source_id": "class-1", "title": "Math 3A", "class_code": "M3A", "course_source_id": "course-1",
              "school_source_id": "school-1", "term_source_ids": ("term-1",), "grades": ("03",),
              "location": "Room 12"}
    return Class(**{**fields, **overrides})


def make_person(**overrides) -> Person:
    fields = {"source_id": "student-1", "given_name": "Ada", "family_name": "Lovelace", "middle_name": None,
              "kinds": frozenset({STUDENT}), "roles": ("student",), "job_title": None, "grade": "03",
              "identifier": "S001", "username": "ada", "org_source_ids": ("school-1",),
              "email": None, "mobile_phone": None, "home_phone": None, "enabled_user": True, "status": "active"}
    return Person(**{**fields, **overrides})


def make_student(**overrides) -> Person:
    return make_person(**overrides)


def make_staff(role: str = "teacher", **overrides) -> Person:
    return make_person(**{"source_id": "teacher-1", "given_name": "Grace", "family_name": "Hopper",
                          "kinds": frozenset({STAFF}), "roles": (role,), "job_title": role.title(),
                          "grade": None, "identifier": "T001", **overrides})


def make_guardian(**overrides) -> Person:
    return make_person(**{"source_id": "guardian-1", "given_name": "Anne", "family_name": "Lovelace",
                          "kinds": frozenset({GUARDIAN}), "roles": ("parent",), "grade": None,
                          "identifier": None, "org_source_ids": (), **overrides})


def make_enrollment(**overrides) -> Enrollment:
    fields = {"source_id": "enr-1", "class_source_id": "class-1", "school_source_id": "school-1",
              "person_source_id": "student-1", "role": "student", "primary": False}
    return Enrollment(**{**fields, **overrides})


def make_problem(**overrides) -> RowProblem:
    fields = {"file": "users.csv", "line": 3, "column": "email", "value": "ada@", "reason": "invalid email address"}
    return RowProblem(**{**fields, **overrides})


def make_snapshot(**overrides) -> Snapshot:
    """A district with one school, one class, a teacher, a student and the student's guardian."""
    fields = {
        "version": "1.1",
        "orgs": (make_district(), make_org()),
        "sessions": (),
        "courses": (make_course(),),
        "classes": (make_class(),),
        "people": (make_student(), make_staff(), make_guardian()),
        "enrollments": (make_enrollment(), make_enrollment(source_id="enr-2", person_source_id="teacher-1",
                                                           role="teacher")),
        "guardian_links": (GuardianLink("guardian-1", "student-1"),),
        "problems": (),
        "warnings": (),
    }
    return Snapshot(**{**fields, **overrides})

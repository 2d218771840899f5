"""An immutable picture of one roster export, as read from the source.

Snapshots are compared run against run to find what changed, so every
collection is a tuple and every record is a frozen dataclass: two reads of the
same package compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

STUDENT = "student"
STAFF = "staff"
GUARDIAN = "guardian"


@dataclass(frozen=True, slots=True)
class Org:
    source_id: str
    name: str | None
    type: str | None
    identifier: str | None
    parent_source_id: str | None


@dataclass(frozen=True, slots=True)
class AcademicSession:
    source_id: str
    title: str | None
    type: str | None
    start_date: date | None
    end_date: date | None
    parent_source_id: str | None
    school_year: str | None


@dataclass(frozen=True, slots=True)
class Course:
    source_id: str
    title: str | None
    course_code: str | None
    org_source_id: str | None
    grades: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Class:
    source_id: str
    title: str
    class_code: str | None
    course_source_id: str | None
    school_source_id: str
    term_source_ids: tuple[str, ...]
    grades: tuple[str, ...]
    location: str | None


@dataclass(frozen=True, slots=True)
class Person:
    source_id: str
    given_name: str
    family_name: str
    middle_name: str | None
    kinds: frozenset[str]
    roles: tuple[str, ...]
    job_title: str | None
    grade: str | None
    identifier: str | None
    username: str | None
    org_source_ids: tuple[str, ...]
    email: str | None
    mobile_phone: str | None
    home_phone: str | None
    enabled_user: bool
    status: str | None


@dataclass(frozen=True, slots=True)
class Enrollment:
    source_id: str
    class_source_id: str
    school_source_id: str | None
    person_source_id: str
    role: str | None
    primary: bool


@dataclass(frozen=True, slots=True)
class GuardianLink:
    guardian_source_id: str
    student_source_id: str


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One row-level finding, named well enough for an administrator to fix it."""

    file: str
    line: int
    column: str | None
    value: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: str
    orgs: tuple[Org, ...]
    sessions: tuple[AcademicSession, ...]
    courses: tuple[Course, ...]
    classes: tuple[Class, ...]
    people: tuple[Person, ...]
    enrollments: tuple[Enrollment, ...]
    guardian_links: tuple[GuardianLink, ...]
    problems: tuple[RowProblem, ...]
    warnings: tuple[RowProblem, ...]

    def counts(self) -> dict[str, int]:
        return {
            "orgs": len(self.orgs),
            "sessions": len(self.sessions),
            "courses": len(self.courses),
            "classes": len(self.classes),
            "people": len(self.people),
            "enrollments": len(self.enrollments),
            "guardian_links": len(self.guardian_links),
        }

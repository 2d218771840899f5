"""An immutable picture of one roster export, as read from the source.

Snapshots are compared run against run to find what changed, so every
collection is a tuple and every record immutable: two reads of the same
package compare equal. Records are frozen dataclasses, except the two a
district has hundreds of thousands of (Person, Enrollment): those are
NamedTuples, which are built three times faster.

Records the apply side maps (Org, Class, Person, Enrollment, GuardianLink)
end with the physical line they were read from (`line`, None when built
elsewhere), so a refusal on that side can still name file and line.

The live collections (orgs, people, ...) hold only rows whose status is
active. Rows a file marks for deletion are tombstones: the apply side
archives what they name, as it archives what a full (bulk) file no longer
lists; nothing is ever hard-deleted. `files` says, per file, whether it was a
full snapshot of its entity (bulk) or a list of changes (delta).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

STUDENT = "student"
STAFF = "staff"
GUARDIAN = "guardian"

BULK = "bulk"
DELTA = "delta"
ABSENT = "absent"

ACTIVE = "active"
TO_BE_DELETED = "tobedeleted"

# Extension columns (`metadata.*`, vendor `ext_*`) as (column, value) pairs, empty values left out.
Extras = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Org:
    source_id: str
    name: str | None
    type: str | None
    identifier: str | None
    parent_source_id: str | None
    status: str = ACTIVE
    date_last_modified: datetime | None = None
    extras: Extras = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class AcademicSession:
    source_id: str
    title: str | None
    type: str | None
    start_date: date | None
    end_date: date | None
    parent_source_id: str | None
    school_year: str | None
    status: str = ACTIVE
    date_last_modified: datetime | None = None
    extras: Extras = ()


@dataclass(frozen=True, slots=True)
class Course:
    source_id: str
    title: str | None
    course_code: str | None
    org_source_id: str | None
    grades: tuple[str, ...]
    school_year_source_id: str | None = None
    status: str = ACTIVE
    date_last_modified: datetime | None = None
    extras: Extras = ()


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
    status: str = ACTIVE
    date_last_modified: datetime | None = None
    extras: Extras = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """One role a person holds at one org (OneRoster 1.2 roles.csv, or the 1.1 `role` column)."""

    role: str
    org_source_id: str | None
    primary: bool
    source_id: str | None = None
    begin_date: date | None = None
    end_date: date | None = None
    user_profile_source_id: str | None = None


@dataclass(frozen=True, slots=True)
class UserProfile:
    """A 1.2 userProfiles.csv row: a system the person signs in to. Passwords are never kept."""

    source_id: str
    profile_type: str | None
    vendor_id: str | None
    application_id: str | None
    description: str | None
    credential_type: str | None
    username: str | None


# A Person or an Enrollment from a tuple of every field in order, `new_record(Person, fields)`: without the
# NamedTuple's own __new__, a Python call, which costs a district read (780,000 records) about 0.1 s. Nothing
# checks the count of fields there; the readers' tests compare whole records.
new_record = tuple.__new__


class Person(NamedTuple):
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
    date_last_modified: datetime | None = None
    role_assignments: tuple[RoleAssignment, ...] = ()
    profiles: tuple[UserProfile, ...] = ()
    extras: Extras = ()
    # Credential fields (email, mobile_phone, home_phone) whose source value was invalid and reported:
    # the source said something, so the apply side should keep what it has rather than clear it.
    invalid_fields: tuple[str, ...] = ()
    line: int | None = None
    # A digest of the user record's raw cells under its header (applied_rows.raw_cells_hasher), None for a person
    # built from more than one record or built elsewhere: what lets an unchanged record's rows go unbuilt.
    source_digest: bytes | None = None


class Enrollment(NamedTuple):
    source_id: str
    class_source_id: str
    school_source_id: str | None
    person_source_id: str
    role: str | None
    primary: bool
    begin_date: date | None = None
    end_date: date | None = None
    status: str = ACTIVE
    date_last_modified: datetime | None = None
    extras: Extras = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class GuardianLink:
    """A guardian and a student, with where in users.csv the claim that made the link was read.

    Several claims can make one link (the student names the guardian, the
    guardian names the student); the first one's line and column are kept,
    and a link is the pair whichever claim it was read from, so they are left
    out of equality.
    """

    guardian_source_id: str
    student_source_id: str
    line: int | None = field(default=None, compare=False)
    column: str | None = field(default=None, compare=False)
    relationship: str | None = field(default=None, compare=False)  # only a guardians.csv says it


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A row its file marks for deletion (tobedeleted, or the legacy inactive): archive what it names."""

    file: str
    line: int
    source_id: str
    status: str
    date_last_modified: datetime | None


@dataclass(frozen=True, slots=True)
class PackageFile:
    """One OneRoster file as read: its mode, how many records it held, and whether it was read at all.

    A file rejected as a whole (a required column missing) is not a full
    snapshot of anything, whatever its mode: nothing may be archived for it.
    """

    name: str
    mode: str
    rows: int
    read: bool = True


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One finding, named well enough for an administrator to fix it.

    `line` is the physical line where the record starts (the header is line 1), or a provider's record's position
    in its collection; `column` is None for problems about a file as a whole. `source_id` is the id of the
    source's record the finding is about (a ClassLink sourcedId, a Clever id), when a provider's record is named.
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str
    source_id: str | None = None

    def as_row(self) -> dict:
        """As a report carries it: `source_id` only when a source's record is named."""
        row = {"file": self.file, "line": self.line, "column": self.column, "value": self.value,
               "reason": self.reason}
        return {**row, "source_id": self.source_id} if self.source_id is not None else row


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
    files: tuple[PackageFile, ...] = ()
    tombstones: tuple[Tombstone, ...] = ()
    # (alias, surviving sourcedId): a users.csv row read as the same person as an earlier one
    # (same_person.py); references to the alias were resolved to the survivor.
    aliases: tuple[tuple[str, str], ...] = ()
    # (file, what a run's report calls it) for a source without files: a provider's users.csv is its /users.
    report_names: tuple[tuple[str, str], ...] = ()

    @property
    def full_snapshot_files(self) -> frozenset[str]:
        """Files whose entity is listed whole: what they no longer list is to be archived."""
        return frozenset(f.name for f in self.files if f.mode == BULK and f.read)

    def mode_of(self, file_name: str) -> str:
        return next((f.mode for f in self.files if f.name == file_name), ABSENT)

    def counts(self) -> dict[str, int]:
        def holding(kind: str) -> int:
            return sum(1 for person in self.people if kind in person.kinds)

        return {
            "orgs": len(self.orgs),
            "schools": sum(1 for org in self.orgs if (org.type or "").lower() == "school"),
            "students": holding(STUDENT),
            "staff": holding(STAFF),
            "guardians": holding(GUARDIAN),
            "classes": len(self.classes),
            "enrollments": len(self.enrollments),
            "guardian_links": len(self.guardian_links),
        }

"""The checks every manual directory action makes before it changes anything, in this order:

1. the viewer may take the action at all (shared.contracts.permissions);
2. every id names a record of the viewer's district that the viewer manages: people they can see, schools
   they administer (their own, or every school for a district administrator), classrooms of those schools.
   An id outside that reach answers "not found", whether it exists elsewhere or not, as profiles do;
3. the records fit together (a classroom of the school given, a guardian linked to a student, ...);
4. the district's sync does not own what would change (domain.sync_lock).

Each check raises the contract error the gateway maps to its HTTP status, naming the field and why.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.contracts.errors import InvalidRequest, Locked, NotFound, PermissionDenied
from shared.contracts.permissions import may

from services.directory.domain import visibility as v


@dataclass(frozen=True)
class ManagedPerson:
    """A person as a manual action needs them."""

    facts: v.PersonFacts
    given_name: str
    family_name: str
    archived: bool
    managed_by_sync: bool
    joined: bool
    job_title: str | None = None

    @property
    def id(self) -> str:
        return self.facts.id

    @property
    def kinds(self) -> frozenset[str]:
        return self.facts.kinds


@dataclass(frozen=True)
class ClassroomRecord:
    facts: v.ClassroomFacts
    archived: bool
    managed_by_sync: bool


@dataclass(frozen=True)
class EnrollmentRecord:
    id: str
    classroom_id: str
    person_id: str
    role: str
    archived: bool
    managed_by_sync: bool


@dataclass(frozen=True)
class LinkRecord:
    id: str
    guardian_id: str
    student_id: str
    relationship: str | None
    archived: bool
    managed_by_sync: bool


def require_action(viewer: Mapping, action: str) -> None:
    if not may(viewer, action):
        raise PermissionDenied(f"Your account does not have permission for this ({action}).")


def manages_school(scope: v.Scope, school: v.SchoolFacts) -> bool:
    """Schools whose people and classrooms the viewer runs: every school of a district administrator's
    district, else the schools they hold school-wide (school administrators, Rostering Administrators)."""
    return school.district_id == scope.whole_district_id or school.id in scope.classroom_school_ids


def managed_person(scope: v.Scope, person: ManagedPerson | None, field: str) -> ManagedPerson:
    if person is None or not v.can_see_person(scope, person.facts):
        raise NotFound("no such person", fields={field: ["no person with this id"]})
    return person


def managed_school(scope: v.Scope, school: v.SchoolFacts | None, field: str) -> v.SchoolFacts:
    if school is None or not manages_school(scope, school):
        raise NotFound("no such school", fields={field: ["no school with this id that you manage"]})
    return school


def managed_classroom(scope: v.Scope, classroom: ClassroomRecord | None, field: str, *,
                      school_id: str | None = None, taking_in: bool = True) -> ClassroomRecord:
    """The classroom, of `school_id` when given; an archived one takes nobody in (but people may leave it)."""
    if classroom is None or not manages_school(scope, v.SchoolFacts(classroom.facts.school_id,
                                                                    classroom.facts.district_id)):
        raise NotFound("no such classroom", fields={field: ["no classroom with this id that you manage"]})
    if school_id is not None and classroom.facts.school_id != school_id:
        raise InvalidRequest("the classroom belongs to another school",
                             fields={field: ["is a classroom of another school than school_id"]})
    if classroom.archived and taking_in:
        raise InvalidRequest("the classroom is archived", fields={field: ["is archived: unarchive it first"]})
    return classroom


def require_kind(person: ManagedPerson, kind: str, field: str) -> None:
    if kind not in person.kinds:
        raise InvalidRequest(f"the person is not a {kind}", fields={field: [f"is not a {kind}"]})


def require_current(person: ManagedPerson, field: str) -> None:
    if person.archived:
        raise InvalidRequest("the person is archived", fields={field: ["is archived: unarchive them first"]})


def require_unlocked(reason: str | None, field: str) -> None:
    """`reason`: what a sync_lock rule answered (None: not locked)."""
    if reason is not None:
        raise Locked(f"{field}: {reason}", fields={field: [reason]})


def require_member_of(person: ManagedPerson, school_id: str, field: str) -> None:
    """Staff teach in the schools they belong to: add them to the school first."""
    if school_id not in person.facts.school_ids:
        raise InvalidRequest("the person is not staff of the classroom's school", fields={
            field: ["is a classroom of a school the person does not belong to: add them to that school first"]})

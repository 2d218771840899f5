"""Who may see whom in the directory.

The rule lives here once. `scope_for(viewer, facts)` turns the identity
Principal of the viewer (roles with school ids, staff permissions) and a few
facts the directory knows about that viewer into a `Scope`: a list of grants
for people, and the schools and classrooms the viewer may see. The Python
predicates below evaluate a scope against plain data (profiles, bulk actions);
the SQL repository translates the same grants into WHERE conditions (search),
one translation per grant type, so both paths apply the same rule.

- district_admin: the whole district.
- school_admin: in each of their schools, the students, the staff, the
  guardians of those students, and every classroom.
- teacher: the staff of their schools, the students of the classrooms they
  teach and those students' guardians; with family_access, users_manager or
  rostering_administrator, every student and guardian of their schools (and
  so their classrooms) as well.
- guardian: themselves and their linked students, with those students'
  schools and classrooms.
- student: themselves only.
Everyone sees themselves.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.contracts import directory, identity
from shared.contracts.permissions import SCHOOL_WIDE_VIEW_PERMISSIONS

# Enrollment roles that make a classroom "one the teacher teaches".
TEACHING_ROLES = frozenset({"teacher", "aide"})
STUDENT_ENROLLMENT_ROLE = "student"


# --- grants: each admits a set of people ------------------------------------------------------

@dataclass(frozen=True)
class WholeDistrict:
    district_id: str


@dataclass(frozen=True)
class KindOfDistrict:
    """Everyone of the district holding one kind: how a district-wide audience asks for its people."""

    district_id: str
    kind: str


@dataclass(frozen=True)
class Individuals:
    person_ids: frozenset[str]


@dataclass(frozen=True)
class StudentsOfSchools:
    school_ids: frozenset[str]


@dataclass(frozen=True)
class StaffOfSchools:
    school_ids: frozenset[str]


@dataclass(frozen=True)
class GuardiansOfStudentsInSchools:
    school_ids: frozenset[str]


@dataclass(frozen=True)
class StudentsOfClassrooms:
    classroom_ids: frozenset[str]


@dataclass(frozen=True)
class GuardiansOfStudentsInClassrooms:
    classroom_ids: frozenset[str]


PersonGrant = (WholeDistrict | KindOfDistrict | Individuals | StudentsOfSchools | StaffOfSchools
               | GuardiansOfStudentsInSchools | StudentsOfClassrooms | GuardiansOfStudentsInClassrooms)


@dataclass(frozen=True)
class Scope:
    """Everything one viewer may see. An empty scope sees nobody."""

    people: tuple[PersonGrant, ...] = ()
    # When set, every school and classroom of this district.
    whole_district_id: str | None = None
    school_ids: frozenset[str] = frozenset()
    # Every classroom of these schools.
    classroom_school_ids: frozenset[str] = frozenset()
    classroom_ids: frozenset[str] = frozenset()


# --- plain data the rule is evaluated on ------------------------------------------------------

@dataclass(frozen=True)
class ViewerFacts:
    """What the directory knows about the viewer as a person (all empty when they are not in it)."""

    taught_classroom_ids: frozenset[str] = frozenset()
    linked_student_ids: frozenset[str] = frozenset()
    linked_students_school_ids: frozenset[str] = frozenset()
    linked_students_classroom_ids: frozenset[str] = frozenset()
    own_school_ids: frozenset[str] = frozenset()
    own_classroom_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PersonFacts:
    """What visibility depends on for one person of the directory."""

    id: str
    district_id: str
    kinds: frozenset[str]
    school_ids: frozenset[str] = frozenset()
    # Classrooms the person is enrolled in as a student.
    classroom_ids: frozenset[str] = frozenset()
    # Schools and classrooms of the students this person is a guardian of.
    children_school_ids: frozenset[str] = frozenset()
    children_classroom_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ClassroomFacts:
    id: str
    district_id: str
    school_id: str


@dataclass(frozen=True)
class SchoolFacts:
    id: str
    district_id: str


# --- the rule ---------------------------------------------------------------------------------

@dataclass
class _ScopeBuilder:
    people: list[PersonGrant] = field(default_factory=list)
    whole_district_id: str | None = None
    school_wide: set[str] = field(default_factory=set)
    staff_schools: set[str] = field(default_factory=set)
    taught: set[str] = field(default_factory=set)
    individuals: set[str] = field(default_factory=set)
    school_ids: set[str] = field(default_factory=set)
    classroom_ids: set[str] = field(default_factory=set)


def scope_for(viewer: Mapping, facts: ViewerFacts) -> Scope:
    """The scope of a viewer given as an identity Principal dict."""
    permissions = set(viewer.get("permissions") or ())
    district_id = viewer.get("district_id")
    built = _ScopeBuilder(individuals={viewer["person_id"]})
    for grant in viewer.get("roles") or ():
        role, schools = grant["role"], set(grant.get("school_ids") or ())
        if role == identity.DISTRICT_ADMIN and district_id:
            built.whole_district_id = district_id
        elif role == identity.SCHOOL_ADMIN:
            built.school_wide |= schools
        elif role == identity.TEACHER:
            built.staff_schools |= schools
            built.taught |= facts.taught_classroom_ids
            if permissions & SCHOOL_WIDE_VIEW_PERMISSIONS:
                built.school_wide |= schools
        elif role == identity.GUARDIAN:
            built.individuals |= facts.linked_student_ids
            built.school_ids |= facts.linked_students_school_ids
            built.classroom_ids |= facts.linked_students_classroom_ids
        elif role == identity.STUDENT:
            built.school_ids |= facts.own_school_ids
            built.classroom_ids |= facts.own_classroom_ids
    return _scope_of(built)


def _scope_of(built: _ScopeBuilder) -> Scope:
    people: list[PersonGrant] = []
    if built.whole_district_id:
        people.append(WholeDistrict(built.whole_district_id))
    people.append(Individuals(frozenset(built.individuals)))
    school_wide = frozenset(built.school_wide)
    staff_schools = frozenset(built.staff_schools | built.school_wide)
    taught = frozenset(built.taught)
    if school_wide:
        people += [StudentsOfSchools(school_wide), GuardiansOfStudentsInSchools(school_wide)]
    if staff_schools:
        people.append(StaffOfSchools(staff_schools))
    if taught:
        people += [StudentsOfClassrooms(taught), GuardiansOfStudentsInClassrooms(taught)]
    return Scope(
        people=tuple(people),
        whole_district_id=built.whole_district_id,
        school_ids=frozenset(built.school_ids) | staff_schools,
        classroom_school_ids=school_wide,
        classroom_ids=frozenset(built.classroom_ids) | taught,
    )


def admits(grant: PersonGrant, person: PersonFacts) -> bool:
    """Whether one grant lets its holder see `person`."""
    match grant:
        case WholeDistrict(district_id):
            return person.district_id == district_id
        case KindOfDistrict(district_id, kind):
            return person.district_id == district_id and kind in person.kinds
        case Individuals(person_ids):
            return person.id in person_ids
        case StudentsOfSchools(school_ids):
            return directory.STUDENT in person.kinds and bool(person.school_ids & school_ids)
        case StaffOfSchools(school_ids):
            return directory.STAFF in person.kinds and bool(person.school_ids & school_ids)
        case GuardiansOfStudentsInSchools(school_ids):
            return directory.GUARDIAN in person.kinds and bool(person.children_school_ids & school_ids)
        case StudentsOfClassrooms(classroom_ids):
            return directory.STUDENT in person.kinds and bool(person.classroom_ids & classroom_ids)
        case GuardiansOfStudentsInClassrooms(classroom_ids):
            return directory.GUARDIAN in person.kinds and bool(person.children_classroom_ids & classroom_ids)
    raise TypeError(f"unknown grant {grant!r}")


def can_see_person(scope: Scope, person: PersonFacts) -> bool:
    return any(admits(grant, person) for grant in scope.people)


def can_see_school(scope: Scope, school: SchoolFacts) -> bool:
    return school.district_id == scope.whole_district_id or school.id in scope.school_ids


def can_see_classroom(scope: Scope, classroom: ClassroomFacts) -> bool:
    return (classroom.district_id == scope.whole_district_id
            or classroom.school_id in scope.classroom_school_ids
            or classroom.id in scope.classroom_ids)


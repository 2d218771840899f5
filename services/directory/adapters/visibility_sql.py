"""The visibility grants of domain.visibility, translated into SQL conditions on `people`.

One translation per grant type, mirroring `visibility.admits` exactly, so a
search page is filtered in the database by the same rule the domain applies
to a profile.

Why one `people.id IN (a UNION of small selects)` rather than an OR of
conditions: an OR forces the planner to test every person of the district,
while a single IN becomes a semi-join that starts from the few thousand ids
a school or a class reaches and looks each up by primary key.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, union

from services.directory.adapters.tables import classrooms, enrollments, guardian_links, people, person_schools
from services.directory.domain import visibility as v
from services.directory.domain.people import KIND_FLAGS

# The person a grant admits, joined to check their kind inside the subquery.
grantee = people.alias("grantee")


def person_visible(scope: v.Scope) -> ColumnElement[bool]:
    return admitted_by(scope.people)


def admitted_by(grants: Iterable[v.PersonGrant]) -> ColumnElement[bool]:
    """People any of the grants admits: district-wide grants test the row itself, the others an id set."""
    grants = tuple(grants)
    conditions = [_district_condition(grant) for grant in grants if isinstance(grant, DISTRICT_GRANTS)]
    members = [grant_members(grant) for grant in grants if not isinstance(grant, DISTRICT_GRANTS)]
    if members:
        conditions.append(people.c.id.in_(union(*members) if len(members) > 1 else members[0]))
    return or_(*conditions) if conditions else false()


# Grants that admit by the person's own district (and kind): a condition on the row, never a subquery.
DISTRICT_GRANTS = (v.WholeDistrict, v.KindOfDistrict)


def _district_condition(grant: v.WholeDistrict | v.KindOfDistrict) -> ColumnElement[bool]:
    if isinstance(grant, v.WholeDistrict):
        return people.c.district_id == grant.district_id
    return and_(people.c.district_id == grant.district_id, people.c[KIND_FLAGS[grant.kind]])


def grant_members(grant: v.PersonGrant) -> Select:
    """The ids of the people one grant admits."""
    match grant:
        case v.Individuals(person_ids):
            return select(grantee.c.id).where(grantee.c.id.in_(sorted(person_ids)))
        case v.StudentsOfSchools(school_ids):
            return _with_kind(people_in_schools(school_ids), person_schools.c.person_id, grantee.c.is_student)
        case v.StaffOfSchools(school_ids):
            return _with_kind(people_in_schools(school_ids), person_schools.c.person_id, grantee.c.is_staff)
        case v.GuardiansOfStudentsInSchools(school_ids):
            return _with_kind(guardians_of_students_in_schools(school_ids), guardian_links.c.guardian_id,
                              grantee.c.is_guardian)
        case v.StudentsOfClassrooms(classroom_ids):
            return _with_kind(students_in_classrooms(classroom_ids), enrollments.c.person_id, grantee.c.is_student)
        case v.GuardiansOfStudentsInClassrooms(classroom_ids):
            return _with_kind(guardians_of_students_in_classrooms(classroom_ids), guardian_links.c.guardian_id,
                              grantee.c.is_guardian)
        case v.WholeDistrict(district_id):
            return select(grantee.c.id).where(grantee.c.district_id == district_id)
        case v.KindOfDistrict(district_id, kind):
            return select(grantee.c.id).where(grantee.c.district_id == district_id, grantee.c[KIND_FLAGS[kind]])
    raise TypeError(f"unknown grant {grant!r}")


def _with_kind(members: Select, member_id, kind_flag) -> Select:
    return members.join(grantee, grantee.c.id == member_id).where(kind_flag)


def people_in_schools(school_ids) -> Select:
    return select(person_schools.c.person_id).where(person_schools.c.school_id.in_(sorted(school_ids)))


def current_student_enrollment() -> ColumnElement[bool]:
    """An enrollment as a student, itself and its classroom not archived (the reach table's rule)."""
    return and_(enrollments.c.role == v.STUDENT_ENROLLMENT_ROLE, ~enrollments.c.archived,
                enrollments.c.classroom_id.in_(select(classrooms.c.id).where(~classrooms.c.archived)))


def students_in_classrooms(classroom_ids) -> Select:
    return select(enrollments.c.person_id).where(
        enrollments.c.classroom_id.in_(sorted(classroom_ids)), current_student_enrollment())


def guardians_of_students_in_schools(school_ids) -> Select:
    return (select(guardian_links.c.guardian_id)
            .join(person_schools, person_schools.c.person_id == guardian_links.c.student_id)
            .where(person_schools.c.school_id.in_(sorted(school_ids)), ~guardian_links.c.archived))


def guardians_of_students_in_classrooms(classroom_ids) -> Select:
    return (select(guardian_links.c.guardian_id)
            .join(enrollments, enrollments.c.person_id == guardian_links.c.student_id)
            .where(enrollments.c.classroom_id.in_(sorted(classroom_ids)), current_student_enrollment(),
                   ~guardian_links.c.archived))

"""A directory search as SQL: the viewer's scope and every filter become WHERE conditions,
so the database computes the page and the total, never the service."""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, or_, select, union

from services.directory.adapters import visibility_sql
from services.directory.adapters.tables import enrollments, people, person_schools
from services.directory.domain import visibility as v
from services.directory.domain.people import KIND_FLAGS, PeopleFilter

SUMMARY_COLUMNS = (
    people.c.id, people.c.district_id, people.c.given_name, people.c.family_name,
    people.c.is_student, people.c.is_staff, people.c.is_guardian, people.c.grade, people.c.job_title,
    people.c.archived, people.c.student_account_enabled, people.c.joined,
)
ORDER = (people.c.family_name_key, people.c.given_name_key, people.c.id)


def conditions(wanted: PeopleFilter, scope: v.Scope) -> list[ColumnElement[bool]]:
    where = [visibility_sql.person_visible(scope)]
    if not wanted.include_archived:
        where.append(~people.c.archived)
    for term in wanted.terms:
        where.append(or_(people.c.given_name_key.contains(term, autoescape=True),
                         people.c.family_name_key.contains(term, autoescape=True)))
    if wanted.kind:
        where.append(people.c[KIND_FLAGS[wanted.kind]])
    if wanted.school_id:
        where.append(in_school(wanted.school_id))
    if wanted.classroom_id:
        where.append(in_classroom(wanted.classroom_id))
    if wanted.students_only:
        where.append(people.c.is_student)
        where.append(people.c.student_account_enabled == wanted.account_enabled)
        if wanted.joined is not None:
            where.append(people.c.joined == wanted.joined)
    return where


def in_school(school_id: str) -> ColumnElement[bool]:
    """People of the school, and the guardians of its students."""
    members = select(person_schools.c.person_id).where(person_schools.c.school_id == school_id)
    guardians = visibility_sql.grant_members(v.GuardiansOfStudentsInSchools(frozenset({school_id})))
    return people.c.id.in_(union(members, guardians))


def in_classroom(classroom_id: str) -> ColumnElement[bool]:
    """Everyone enrolled in the classroom, and the guardians of its students."""
    members = select(enrollments.c.person_id).where(enrollments.c.classroom_id == classroom_id)
    guardians = visibility_sql.grant_members(v.GuardiansOfStudentsInClassrooms(frozenset({classroom_id})))
    return people.c.id.in_(union(members, guardians))


def page_query(wanted: PeopleFilter, scope: v.Scope) -> Select:
    return (select(*SUMMARY_COLUMNS).where(*conditions(wanted, scope))
            .order_by(*ORDER).limit(wanted.limit).offset(wanted.offset))


def count_query(wanted: PeopleFilter, scope: v.Scope) -> Select:
    return select(func.count()).select_from(people).where(*conditions(wanted, scope))

"""The teachers of some classrooms: staff enrolled to teach them, both current (not archived)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.directory.adapters.tables import classrooms, enrollments, people
from services.directory.domain.visibility import TEACHING_ROLES


def teachers_of_classrooms(session: Session, classroom_ids: Collection[str]) -> list[dict]:
    """Each teacher once, with the classrooms among these they teach, by family then given name."""
    if not classroom_ids:
        return []
    rows = session.execute(
        select(people.c.id, people.c.given_name, people.c.family_name, enrollments.c.classroom_id)
        .join(enrollments, enrollments.c.person_id == people.c.id)
        .where(enrollments.c.classroom_id.in_(sorted(classroom_ids)), enrollments.c.role.in_(sorted(TEACHING_ROLES)),
               ~enrollments.c.archived, ~people.c.archived,
               enrollments.c.classroom_id.in_(select(classrooms.c.id).where(~classrooms.c.archived)))
        .order_by(people.c.family_name_key, people.c.given_name_key, people.c.id)).all()
    teachers: dict[str, dict] = {}
    taught: defaultdict[str, set[str]] = defaultdict(set)
    for row in rows:
        teachers.setdefault(row.id, {"person_id": row.id, "given_name": row.given_name,
                                     "family_name": row.family_name})
        taught[row.id].add(row.classroom_id)
    return [{**teacher, "classroom_ids": sorted(taught[person_id])} for person_id, teacher in teachers.items()]

"""Whom a family may start a conversation with: the teachers of a guardian's students, or of a student."""
from __future__ import annotations

from collections.abc import Mapping

from services.directory.adapters.repository import DirectoryRepository
from services.directory.adapters.teachers_sql import teachers_of_classrooms
from shared.contracts import identity


def list_teachers_of(request: Mapping, *, repo: DirectoryRepository) -> dict:
    viewer = request["viewer"]
    roles = {grant["role"] for grant in viewer.get("roles") or ()}
    facts = repo.viewer_facts(viewer["person_id"])
    classroom_ids: set[str] = set()
    if identity.GUARDIAN in roles:
        classroom_ids |= facts.linked_students_classroom_ids
    if identity.STUDENT in roles:
        classroom_ids |= facts.own_classroom_ids
    teachers = teachers_of_classrooms(repo.session, classroom_ids)
    return {"teachers": [teacher for teacher in teachers if teacher["person_id"] != viewer["person_id"]]}

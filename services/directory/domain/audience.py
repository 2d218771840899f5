"""Who an audience reaches, in the grant vocabulary the viewer's scope already speaks.

An audience is turned into person grants (students of a school, guardians of
the students of a classroom, chosen individuals); the repository then keeps
the members that the viewer's own scope admits, so nobody can reach a person
they could not see in the directory.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from shared.contracts import directory

from services.directory.domain import visibility as v


def target_grants(audience: Mapping) -> tuple[v.PersonGrant, ...]:
    """The grants of a school or classroom audience, by the kinds it asks for."""
    if audience.get("school_id"):
        schools = frozenset({audience["school_id"]})
        wanted = ((audience["include_students"], v.StudentsOfSchools(schools)),
                  (audience["include_guardians"], v.GuardiansOfStudentsInSchools(schools)),
                  (audience["include_staff"], v.StaffOfSchools(schools)))
    else:
        rooms = frozenset({audience["classroom_id"]})
        wanted = ((audience["include_students"], v.StudentsOfClassrooms(rooms)),
                  (audience["include_guardians"], v.GuardiansOfStudentsInClassrooms(rooms)))
    return tuple(grant for included, grant in wanted if included)


def selection_members(audience: Mapping, selected: Iterable[v.PersonFacts],
                      guardians_of: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """Selected people, and the guardians of selected students when asked; the viewer's scope applies after."""
    members: set[str] = set()
    for person in selected:
        if directory.STUDENT not in person.kinds or audience["include_students"]:
            members.add(person.id)
        if directory.STUDENT in person.kinds and audience["include_guardians"]:
            members.update(guardians_of.get(person.id, ()))
    return frozenset(members)

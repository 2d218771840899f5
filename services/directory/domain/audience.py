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


def may_address_whole_district(scope: v.Scope, district_id: str | None) -> bool:
    """Only a viewer who sees the whole district may address all of it (a district administrator).

    Anyone else is refused rather than quietly given the part they see: an
    announcement the sender believes went to every family of the district
    must not silently reach one school.
    """
    return district_id is not None and scope.whole_district_id == district_id


def target_grants(audience: Mapping, district_id: str | None = None) -> tuple[v.PersonGrant, ...]:
    """The grants of a district, school or classroom audience, by the kinds it asks for.

    `district_id` is the sender's district, the one a district audience means.
    """
    if audience.get("district"):
        wanted = ((audience["include_students"], v.KindOfDistrict(district_id, directory.STUDENT)),
                  (audience["include_guardians"], v.KindOfDistrict(district_id, directory.GUARDIAN)),
                  (audience["include_staff"], v.KindOfDistrict(district_id, directory.STAFF)))
    elif audience.get("school_id"):
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

"""A small district for the directory's integration tests, built through the service's own RPCs.

Two schools (North, South), three classrooms, five students, three
guardians (Gina has a child in each school; Dana is also South staff), and
staff: a North teacher (Tess, teaches Math), North's principal, a South
counsellor.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import directory
from shared.messaging import handles

SCHOOLS = [
    {"source_id": "sch-north", "name": "North Elementary", "identifier": "N1"},
    {"source_id": "sch-south", "name": "South High", "identifier": "S1"},
]
CLASSROOMS = [
    {"source_id": "cls-math", "school_source_id": "sch-north", "title": "Math 3", "class_code": "M3",
     "grades": ["03"]},
    {"source_id": "cls-art", "school_source_id": "sch-north", "title": "Art 4", "class_code": "A4",
     "grades": ["04"]},
    {"source_id": "cls-bio", "school_source_id": "sch-south", "title": "Biology", "class_code": "B9",
     "grades": ["09"]},
]


def make_person_input(source_id: str, given: str, family: str, kinds: list[str], schools: list[str],
                      **overrides) -> dict:
    person = {"source_id": source_id, "given_name": given, "family_name": family, "kinds": kinds,
              "school_source_ids": schools}
    person.update(overrides)
    return person


PEOPLE = [
    make_person_input("ana", "Ana", "Lopez", ["student"], ["sch-north"], grade="03", identifier="1001"),
    make_person_input("ben", "Ben", "Okafor", ["student"], ["sch-north"], grade="04", identifier="1002"),
    make_person_input("eve", "Eve", "Adams", ["student"], ["sch-north"], grade="04", identifier="1003"),
    make_person_input("cal", "Cal", "Lopez", ["student"], ["sch-south"], grade="09", identifier="1004"),
    make_person_input("dot", "Dot", "Nguyen", ["student"], ["sch-south"], grade="10", identifier="1005"),
    make_person_input("gina", "Gina", "Lopez", ["guardian"], []),
    make_person_input("gus", "Gus", "Okafor", ["guardian"], []),
    make_person_input("dana", "Dana", "Okafor", ["staff", "guardian"], ["sch-south"], job_title="Librarian"),
    make_person_input("tess", "Tess", "Ito", ["staff"], ["sch-north"], job_title="Teacher"),
    make_person_input("pat", "Pat", "Moreau", ["staff"], ["sch-north"], job_title="Principal"),
    make_person_input("sam", "Sam", "Reyes", ["staff"], ["sch-south"], job_title="Counselor"),
]
ENROLLMENTS = [
    {"source_id": "enr-ana-math", "classroom_source_id": "cls-math", "person_source_id": "ana", "role": "student"},
    {"source_id": "enr-ben-art", "classroom_source_id": "cls-art", "person_source_id": "ben", "role": "student"},
    {"source_id": "enr-eve-art", "classroom_source_id": "cls-art", "person_source_id": "eve", "role": "student"},
    {"source_id": "enr-cal-bio", "classroom_source_id": "cls-bio", "person_source_id": "cal", "role": "student"},
    {"source_id": "enr-tess-math", "classroom_source_id": "cls-math", "person_source_id": "tess",
     "role": "teacher"},
]
LINKS = [
    {"guardian_source_id": "gina", "student_source_id": "ana"},
    {"guardian_source_id": "gina", "student_source_id": "cal"},
    {"guardian_source_id": "gus", "student_source_id": "ben"},
    {"guardian_source_id": "dana", "student_source_id": "ben"},
]

# Who each viewer may see, by source id (the rule of DESIGN.md, worked out by hand for this district).
EVERYONE = {person["source_id"] for person in PEOPLE}
SEES = {
    "district_admin": EVERYONE,
    # A district administrator who is a person of the district: the search by name counts (PostgreSQL).
    "pat_district_admin": EVERYONE,
    "north_admin": {"ana", "ben", "eve", "tess", "pat", "gina", "gus", "dana"},
    "tess": {"tess", "pat", "ana", "gina"},
    "tess_family_access": {"tess", "pat", "ana", "ben", "eve", "gina", "gus", "dana"},
    "gina": {"gina", "ana", "cal"},
    "ana": {"ana"},
}


@dataclass
class District:
    id: str
    ids: dict[str, str]  # source id -> directory id, for schools, classrooms and people

    def principal(self, person: str | None, *roles: dict, permissions: list[str] | None = None) -> dict:
        return {"person_id": self.ids[person] if person else "someone-outside-the-directory",
                "district_id": self.id, "display_name": person or "admin", "status": "active",
                "roles": list(roles), "permissions": permissions or []}

    def role(self, name: str, *school_sources: str) -> dict:
        return {"role": name, "school_ids": [self.ids[source] for source in school_sources]}

    def viewer(self, name: str) -> dict:
        return {
            "district_admin": lambda: self.principal(None, self.role("district_admin")),
            "pat_district_admin": lambda: self.principal("pat", self.role("district_admin")),
            "north_admin": lambda: self.principal(None, self.role("school_admin", "sch-north")),
            "tess": lambda: self.principal("tess", self.role("teacher", "sch-north")),
            "tess_family_access": lambda: self.principal("tess", self.role("teacher", "sch-north"),
                                                         permissions=["family_access"]),
            "gina": lambda: self.principal("gina", self.role("guardian")),
            "ana": lambda: self.principal("ana", self.role("student")),
        }[name]()

    def source_of(self, directory_id: str) -> str:
        return {value: key for key, value in self.ids.items()}[directory_id]


def seed_district(rpc) -> District:
    district = rpc.upsert_district({"source_id": "maple-valley", "name": "Maple Valley USD"})
    ids: dict[str, str] = {}
    for method, field, rows in (("upsert_schools", "schools", SCHOOLS),
                                ("upsert_classrooms", "classrooms", CLASSROOMS),
                                ("upsert_people", "people", PEOPLE)):
        results = getattr(rpc, method)({"district_id": district["id"], field: rows})["results"]
        assert {result["outcome"] for result in results} == {"created"}, results
        ids.update({result["key"]: result["id"] for result in results})
    for method, field, rows in (("upsert_enrollments", "enrollments", ENROLLMENTS),
                                ("upsert_guardian_links", "links", LINKS)):
        results = getattr(rpc, method)({"district_id": district["id"], field: rows})["results"]
        assert {result["outcome"] for result in results} == {"created"}, results
    return District(district["id"], ids)


class EventRecorder:
    """Subscribes to the directory's events like any projection would, and keeps what it receives."""

    name = "directory_event_recorder"
    received: list[tuple[str, dict]] = []

    @handles(directory.PEOPLE_UPSERTED)
    def on_people_upserted(self, payload):
        self.received.append((directory.PEOPLE_UPSERTED.name, payload))

    @handles(directory.STUDENT_ACCOUNTS_ENABLED)
    def on_student_accounts_enabled(self, payload):
        self.received.append((directory.STUDENT_ACCOUNTS_ENABLED.name, payload))

"""A generated roster (hypothesis strategy) and how to write it as OneRoster 1.1 or 1.2 CSV.

The model holds what a read must give back: normalised emails and phones,
kinds, links, classes and enrollments. The writer chooses the version, the
direction guardian links are written in, and per file a BOM and CRLF.

A staff member who is also a parent is one 1.2 user with two roles; OneRoster
1.1 has one role per user, so there they are two rows sharing an email (a
teacher row, then a parent row whose sourcedId ends in PARENT_ROW), read back
as one person. So that no other rows read as one person, no two people share
an email and no guardian shares a staff member's phone.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

STUDENT, STAFF, GUARDIAN = "student", "staff", "guardian"

# Valid US numbers in the shapes exports use, with the E.164 form a read must give.
PHONES = {"(617) 253-1000": "+16172531000", "212-555-0199": "+12125550199", "+1 415 867 5309": "+14158675309",
          "303.499.7111": "+13034997111", "2025550143": "+12025550143"}

PARENT_ROW = "-parent"

# Commas and quotes need CSV quoting; control characters (line breaks too) are cleaned by the reader, so none.
names = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from(',"'),
                min_size=1, max_size=12).map(str.strip).filter(bool)
emails = st.from_regex(r"[a-z][a-z0-9]{0,6}(\.[a-z0-9]{1,4})?@(example\.org|school\.example\.com)", fullmatch=True)


@dataclass
class ModelPerson:
    source_id: str
    given: str
    family: str
    kinds: frozenset[str]
    school: str
    email: str | None
    written_email: str | None
    phone: str | None
    written_phone: str | None


@dataclass
class Roster:
    schools: list[str]
    people: list[ModelPerson]
    links: set[tuple[str, str]]
    classes: dict[str, str]
    enrollments: set[tuple[str, str]]
    enrollment_roles: dict[tuple[str, str], str] = field(default_factory=dict)


@st.composite
def rosters(draw) -> Roster:
    schools = [f"school-{n}" for n in range(draw(st.integers(1, 3)))]
    people = []
    emails_taken: set[str] = set()
    for n in range(draw(st.integers(1, 12))):
        kinds = draw(st.sampled_from([{STUDENT}, {STAFF}, {GUARDIAN}, {STAFF, GUARDIAN}]))
        # Two 1.1 rows are one person by their shared email, so a staff member who is a parent has one.
        email = draw((emails if kinds == {STAFF, GUARDIAN} else st.none() | emails).filter(
            lambda address: address not in emails_taken))
        if email is not None:
            emails_taken.add(email)
        phone = draw(st.none() | st.sampled_from(sorted(PHONES)))
        people.append(ModelPerson(
            source_id=f"user-{n}", given=draw(names), family=draw(names), kinds=frozenset(kinds),
            school=draw(st.sampled_from(schools)), email=email, phone=PHONES.get(phone) if phone else None,
            written_email=email.upper() if email and draw(st.booleans()) else email, written_phone=phone,
        ))
    staff_phones = {p.written_phone for p in people if STAFF in p.kinds}
    for person in people:
        if person.kinds == {GUARDIAN} and person.written_phone in staff_phones:
            person.phone = person.written_phone = None
    students = [p.source_id for p in people if STUDENT in p.kinds]
    guardians = [p.source_id for p in people if GUARDIAN in p.kinds]
    links = set()
    if students and guardians:
        links = draw(st.sets(st.tuples(st.sampled_from(guardians), st.sampled_from(students)), max_size=10))
    classes = {f"class-{n}": draw(st.sampled_from(schools)) for n in range(draw(st.integers(0, 4)))}
    members = [p.source_id for p in people if p.kinds & {STUDENT, STAFF}]
    enrollments = set()
    if classes and members:
        enrollments = draw(st.sets(st.tuples(st.sampled_from(sorted(classes)), st.sampled_from(members)),
                                   max_size=15))
    return Roster(schools, people, links, classes, enrollments)


@dataclass(frozen=True)
class Layout:
    """How a roster is written: version, link direction, manifest, and per file a BOM and line ending."""

    version: str
    link_side: str  # student, guardian or both
    manifest: bool
    bom: dict[str, bool]
    crlf: dict[str, bool]


FILES = ("orgs.csv", "classes.csv", "users.csv", "roles.csv", "enrollments.csv", "manifest.csv")


@st.composite
def layouts(draw) -> Layout:
    return Layout(
        version=draw(st.sampled_from(["1.1", "1.2"])),
        link_side=draw(st.sampled_from(["student", "guardian", "both"])),
        manifest=draw(st.booleans()),
        bom={name: draw(st.booleans()) for name in FILES},
        crlf={name: draw(st.booleans()) for name in FILES},
    )


def write_roster(folder: Path, roster: Roster, layout: Layout) -> Path:
    folder.mkdir(parents=True, exist_ok=True)

    def write(name: str, header: list[str], rows: list[list[str]]) -> None:
        encoding = "utf-8-sig" if layout.bom[name] else "utf-8"
        with open(folder / name, "w", encoding=encoding, newline="") as stream:
            writer = csv.writer(stream, lineterminator="\r\n" if layout.crlf[name] else "\n")
            writer.writerow(header)
            writer.writerows(rows)

    write("orgs.csv", ["sourcedId", "status", "name", "type", "parentSourcedId"],
          [["district-1", "active", "District", "district", ""]]
          + [[school, "active", school.title(), "school", "district-1"] for school in roster.schools])
    write("classes.csv", ["sourcedId", "title", "schoolSourcedId"],
          [[klass, f"Class {klass}", school] for klass, school in roster.classes.items()])
    write("enrollments.csv", ["sourcedId", "classSourcedId", "userSourcedId", "role", "status"],
          [[f"enr-{n}", klass, person, _class_role(roster, person), "active"]
           for n, (klass, person) in enumerate(sorted(roster.enrollments))])
    _write_users(write, roster, layout)
    if layout.manifest:
        files = ["orgs", "classes", "users", "enrollments"] + (["roles"] if layout.version == "1.2" else [])
        write("manifest.csv", ["propertyName", "value"],
              [["oneroster.version", layout.version]] + [[f"file.{name}", "bulk"] for name in files])
    return folder


def _write_users(write, roster: Roster, layout: Layout) -> None:
    two_rows = layout.version == "1.1"
    # In 1.1 a staff member who is a parent is linked through their parent row.
    row_id = {p.source_id: p.source_id + PARENT_ROW if two_rows and p.kinds == {STAFF, GUARDIAN} else p.source_id
              for p in roster.people}
    agents: dict[str, list[str]] = {row_id[p.source_id]: [] for p in roster.people}
    for guardian, student in sorted(roster.links):
        if layout.link_side in ("student", "both"):
            agents[student].append(row_id[guardian])
        if layout.link_side in ("guardian", "both"):
            agents[row_id[guardian]].append(student)
    header = ["sourcedId", "status", "enabledUser", "givenName", "familyName", "email", "sms", "agentSourcedIds"]
    if two_rows:
        header += ["role", "orgSourcedIds"]

    def row(person: ModelPerson, source_id: str, role: str) -> list[str]:
        cells = [source_id, "active", "true", person.given, person.family, person.written_email or "",
                 person.written_phone or "", ",".join(agents.get(source_id, ()))]
        return cells + [role, person.school] if two_rows else cells

    rows = [row(person, person.source_id, _main_role(person)) for person in roster.people]
    rows += [row(person, row_id[person.source_id], "parent") for person in roster.people
             if row_id[person.source_id] != person.source_id]
    write("users.csv", header, rows)
    if layout.version == "1.2":
        roles = [[f"role-{p.source_id}-{role}", "active", p.source_id, "primary" if n == 0 else "secondary", role,
                  p.school] for p in roster.people for n, role in enumerate(_roles_1_2(p))]
        write("roles.csv", ["sourcedId", "status", "userSourcedId", "roleType", "role", "orgSourcedId"], roles)


def _main_role(person: ModelPerson) -> str:
    if STUDENT in person.kinds:
        return "student"
    return "teacher" if STAFF in person.kinds else "parent"


def _roles_1_2(person: ModelPerson) -> list[str]:
    return [_main_role(person)] + (["parent"] if person.kinds == {STAFF, GUARDIAN} else [])


def _class_role(roster: Roster, person_id: str) -> str:
    person = next(p for p in roster.people if p.source_id == person_id)
    return "student" if STUDENT in person.kinds else "teacher"

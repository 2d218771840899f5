"""A guardians.csv dropped beside a roster package, laid into the package's Snapshot (no I/O: rows come in).

Used only when the district's sync does not manage guardians ("Allow sync to manage Guardians" off): each row
names a student by sourcedId and one guardian of theirs, with columns (any case, spaces or underscores)
Student ID, Guardian Name, Email, SMS, Phone, Relationship. SMS becomes the guardian's mobile credential
(sign-in, texts, calls); Phone is their home phone, kept and never messaged.

A guardian named on several rows (the same email, else the same SMS number) is one person linked to each
student. A row naming a student the package does not hold is a finding and nothing of it is applied; so is
a row without a guardian name, and an invalid email or phone costs only that value.

The guardian's sourcedId is made from what identifies them (`guardians.csv:email:...`), so the same
guardian in tomorrow's file is the same person.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from .snapshot import ACTIVE, GUARDIAN, STUDENT, GuardianLink, Person, RowProblem, Snapshot
from .values import email_normaliser

GUARDIANS_FILE = "guardians.csv"
STUDENT_ID, NAME, EMAIL, SMS, PHONE, RELATIONSHIP = "Student ID", "Guardian Name", "Email", "SMS", "Phone", "Relationship"
COLUMNS = (STUDENT_ID, NAME, EMAIL, SMS, PHONE, RELATIONSHIP)
REQUIRED = (STUDENT_ID, NAME)
# Other spellings SIS exports use for the same columns, folded (lower case, letters and digits only).
ALIASES = {"studentsourcedid": STUDENT_ID, "studentid": STUDENT_ID, "student": STUDENT_ID,
           "guardianname": NAME, "name": NAME, "guardian": NAME, "mobile": SMS, "mobilephone": SMS,
           "homephone": PHONE}
SOURCE_PREFIX = "guardians.csv:"
RELATIONSHIP_MAX = 64  # what the directory keeps of a relationship


@dataclass(frozen=True)
class GuardianRows:
    """What guardians.csv adds: guardians, their links, and what was refused or doubted (file and line)."""

    guardians: tuple[Person, ...]
    links: tuple[GuardianLink, ...]
    problems: tuple[RowProblem, ...]
    warnings: tuple[RowProblem, ...]
    rows: int


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _header(cells: list[str]) -> dict[str, int]:
    by_folded = {_fold(column): column for column in COLUMNS} | ALIASES
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = by_folded.get(_fold(cell.lstrip("\ufeff")))
        if column is not None:
            columns.setdefault(column, index)
    return columns


def _split_name(full: str) -> tuple[str, str]:
    parts = full.split()
    return (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else (parts[0], parts[0])


def read_guardians(lines: Iterable[str], *, students: frozenset[str],
                   normalise_phone: Callable[[str], str]) -> GuardianRows:
    """guardians.csv's rows for a package holding `students` (their sourcedIds)."""
    problems: list[RowProblem] = []
    warnings: list[RowProblem] = []
    reader = csv.reader(lines)
    header = next(reader, None)
    columns = _header(header or [])
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        problems.append(RowProblem(GUARDIANS_FILE, 1, None, None, f"guardians.csv has no {' or '.join(missing)} "
                                   f"column (expected {', '.join(COLUMNS)}); no guardian of it was applied"))
        return GuardianRows((), (), tuple(problems), (), 0)
    guardians: dict[str, Person] = {}
    links: dict[GuardianLink, None] = {}
    rows = 0
    normalise_email = email_normaliser()
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1

        def cell(column: str) -> str:
            index = columns.get(column)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        student, name = cell(STUDENT_ID), cell(NAME)
        if student not in students:
            reason = ("no Student ID" if not student else
                      f"no student {student} in the package: this guardian was not applied")
            problems.append(RowProblem(GUARDIANS_FILE, line, STUDENT_ID, student or None, reason))
            continue
        if not name:
            problems.append(RowProblem(GUARDIANS_FILE, line, NAME, None, "no Guardian Name: this guardian was not "
                                                                          "applied"))
            continue

        invalid: list[str] = []

        def credential(column: str, field: str, normalise: Callable[[str], str]) -> str | None:
            value = cell(column)
            if not value:
                return None
            try:
                return normalise(value)
            except ValueError as refused:
                problems.append(RowProblem(GUARDIANS_FILE, line, column, value, f"{refused}; the guardian was kept "
                                                                                 f"without it"))
                invalid.append(field)
                return None

        email = credential(EMAIL, "email", normalise_email)
        mobile, home = credential(SMS, "mobile_phone", normalise_phone), credential(PHONE, "home_phone", normalise_phone)
        source_id = _guardian_id(student, name, email, mobile)
        given, family = _split_name(name)
        known = guardians.get(source_id)
        if known is None:
            guardians[source_id] = Person(source_id, given, family, None, frozenset({GUARDIAN}), ("guardian",), None,
                                          None, None, None, (), email, mobile, home, True, ACTIVE,
                                          invalid_fields=tuple(invalid), line=line)
        elif (known.given_name, known.family_name) != (given, family):
            warnings.append(RowProblem(GUARDIANS_FILE, line, NAME, name, f"the guardian on line {known.line} has "
                                       f"the same email or SMS under another name; that line's name is kept"))
        relationship = cell(RELATIONSHIP)[:RELATIONSHIP_MAX] or None
        links.setdefault(GuardianLink(source_id, student, line=line, column=STUDENT_ID, relationship=relationship), None)
    return GuardianRows(tuple(guardians.values()), tuple(links), tuple(problems), tuple(warnings), rows)


def _guardian_id(student: str, name: str, email: str | None, mobile: str | None) -> str:
    if email:
        return f"{SOURCE_PREFIX}email:{email}"
    if mobile:
        return f"{SOURCE_PREFIX}sms:{mobile}"
    # Nothing identifies them beyond their name: one guardian per student, not merged across families.
    return f"{SOURCE_PREFIX}{student}:{' '.join(name.lower().split())}"


def students_of(snapshot: Snapshot) -> frozenset[str]:
    return frozenset(person.source_id for person in snapshot.people if STUDENT in person.kinds)


def with_guardians(snapshot: Snapshot, added: GuardianRows) -> Snapshot:
    """The snapshot with guardians.csv's guardians and links; its findings are the run's, under guardians.csv."""
    return replace(snapshot, people=snapshot.people + added.guardians,
                   guardian_links=snapshot.guardian_links + added.links,
                   problems=snapshot.problems + added.problems, warnings=snapshot.warnings + added.warnings)


def ignored_because_managed(snapshot: Snapshot) -> Snapshot:
    warning = RowProblem(GUARDIANS_FILE, None, None, None, "guardians.csv was not used: the district's sync manages "
                         "guardians (setting sync_manages_guardians); turn it off to take guardians from guardians.csv")
    return replace(snapshot, warnings=snapshot.warnings + (warning,))

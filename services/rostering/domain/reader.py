"""Read a OneRoster 1.1 CSV package (a folder or a .zip) into a Snapshot.

Bad rows never cost the good ones: each is reported as a RowProblem with its
file and physical line, and the rest of the package is still read. Only a
package that cannot be read at all raises PackageRejected.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, TypeVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from .errors import PackageRejected
from .snapshot import (
    GUARDIAN,
    STAFF,
    STUDENT,
    AcademicSession,
    Class,
    Course,
    Enrollment,
    GuardianLink,
    Org,
    Person,
    RowProblem,
    Snapshot,
)

__all__ = ["CsvRows", "PackageRejected", "read_package"]

ORGS = "orgs.csv"
SESSIONS = "academicSessions.csv"
COURSES = "courses.csv"
CLASSES = "classes.csv"
USERS = "users.csv"
ENROLLMENTS = "enrollments.csv"
MANIFEST = "manifest.csv"

# Vendors send the 1.1 role names in varying case, so keys are lower-case.
_ROLES: dict[str, tuple[str, str | None]] = {
    "student": (STUDENT, None),
    "teacher": (STAFF, "Teacher"),
    "administrator": (STAFF, "Administrator"),
    "districtadministrator": (STAFF, "District Administrator"),
    "siteadministrator": (STAFF, "Site Administrator"),
    "principal": (STAFF, "Principal"),
    "counselor": (STAFF, "Counselor"),
    "aide": (STAFF, "Aide"),
    "proctor": (STAFF, "Proctor"),
    "staff": (STAFF, "Staff"),
    "parent": (GUARDIAN, None),
    "guardian": (GUARDIAN, None),
    "relative": (GUARDIAN, None),
}
# Some vendor exports name the agentSourcedIds column `agents`.
_AGENT_COLUMNS = ("agentSourcedIds", "agents")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Row = dict[str, str | None]
T = TypeVar("T")
Nested = TypeVar("Nested", Org, AcademicSession)


def read_package(path: str | Path, *, region: str = "US") -> Snapshot:
    """Read every OneRoster 1.1 file of the package; `region` is the default for phones."""
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}")
    report = _Report()
    with ExitStack() as stack:
        package = _Package(Path(path), stack)
        users_rows = package.rows(USERS)
        if users_rows is None:
            raise PackageRejected(f"{USERS} is missing from {path}")
        if "sourcedId" not in users_rows.columns:
            raise PackageRejected(f"{USERS} has no sourcedId column")
        version = _read_version(package)
        orgs = _read_orgs(package.rows(ORGS), report)
        sessions = _read_sessions(package.rows(SESSIONS), report)
        courses = _read_courses(package.rows(COURSES), orgs, report)
        classes = _read_classes(package.rows(CLASSES), orgs, courses, sessions, report)
        people, links = _read_users(users_rows, orgs, region, report)
        enrollments = _read_enrollments(package.rows(ENROLLMENTS), orgs, classes, people, report)
    return Snapshot(
        version=version,
        orgs=tuple(orgs.values()),
        sessions=tuple(sessions.values()),
        courses=tuple(courses.values()),
        classes=tuple(classes.values()),
        people=tuple(people.values()),
        enrollments=tuple(enrollments),
        guardian_links=tuple(links),
        problems=tuple(report.problems),
        warnings=tuple(report.warnings),
    )


# --- the package and its CSV streams ---------------------------------------


class _Package:
    """The files of a folder or zip, each opened on demand as a text stream."""

    def __init__(self, path: Path, stack: ExitStack) -> None:
        self._stack = stack
        self._members: dict[str, Callable[[], IO[bytes]]]
        try:
            if path.is_dir():
                self._members = {p.name.lower(): partial(p.open, "rb") for p in path.iterdir() if p.is_file()}
            elif path.is_file():
                archive = stack.enter_context(zipfile.ZipFile(path))
                self._members = _zip_members(archive)
            else:
                raise PackageRejected(f"{path} does not exist")
        except (OSError, zipfile.BadZipFile) as exc:
            raise PackageRejected(f"{path} is not a readable folder or zip: {exc}") from exc

    def rows(self, name: str) -> CsvRows | None:
        opener = self._members.get(name.lower())
        if opener is None:
            return None
        try:
            binary = opener()
        except (OSError, RuntimeError, zipfile.BadZipFile) as exc:  # RuntimeError: encrypted member
            raise PackageRejected(f"{name} cannot be opened: {exc}") from exc
        # newline="" hands line endings to csv, which needs them inside quoted fields.
        stream = self._stack.enter_context(io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""))
        return CsvRows(name, stream)


def _zip_members(archive: zipfile.ZipFile) -> dict[str, Callable[[], IO[bytes]]]:
    """Files beside users.csv, which zipping tools often nest in one folder."""
    files = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    homes = [PurePosixPath(i.filename).parent for i in files if PurePosixPath(i.filename).name.lower() == USERS]
    home = min(homes, key=lambda p: len(p.parts), default=PurePosixPath("."))
    return {
        PurePosixPath(i.filename).name.lower(): partial(archive.open, i)
        for i in files
        if PurePosixPath(i.filename).parent == home
    }


class CsvRows:
    """(line, row) pairs of one CSV stream; line is where the record physically starts.

    csv's own line_num tells where a record ends and DictReader skips blank
    lines unseen, so lines are counted here as they are handed to csv.
    """

    def __init__(self, name: str, stream: Iterable[str]) -> None:
        self.name = name
        self._lines = iter(stream)
        self._consumed = 0
        self._record_start: int | None = None
        self._reader = csv.DictReader(self._feed())
        with self._unreadable_as_rejection():
            header = self._reader.fieldnames
        self.columns: tuple[str, ...] = tuple(h.strip() for h in header or ())
        self._reader.fieldnames = list(self.columns)

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        while True:
            self._record_start = None
            with self._unreadable_as_rejection():
                raw = next(self._reader, None)
            if raw is None:
                return
            yield self._record_start or self._consumed, _clean(raw)

    def _feed(self) -> Iterator[str]:
        for line in self._lines:
            self._consumed += 1
            if self._record_start is None and line.strip("\r\n"):
                self._record_start = self._consumed
            yield line

    @contextmanager
    def _unreadable_as_rejection(self) -> Iterator[None]:
        try:
            yield
        except (csv.Error, UnicodeDecodeError, OSError, zipfile.BadZipFile) as exc:
            raise PackageRejected(f"{self.name} line {self._consumed} cannot be read: {exc}") from exc


def _clean(raw: dict[str | None, str | list[str] | None]) -> Row:
    # Extra cells beyond the header land under the None key; they have no column to belong to.
    return {key: (value.strip() or None) if isinstance(value, str) else None for key, value in raw.items() if key}


def _read_version(package: _Package) -> str:
    rows = package.rows(MANIFEST)
    for _, row in rows or ():
        if row.get("propertyName") == "oneroster.version" and row.get("value"):
            return row["value"]
    return "1.1"


# --- problems and the rows worth reading -----------------------------------


@dataclass
class _Report:
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class _At:
    """Where a row came from, so any finding about it names file and line."""

    file: str
    line: int
    report: _Report

    def problem(self, column: str | None, value: str | None, reason: str) -> None:
        self.report.problems.append(RowProblem(self.file, self.line, column, value, reason))

    def warning(self, column: str | None, value: str | None, reason: str) -> None:
        self.report.warnings.append(RowProblem(self.file, self.line, column, value, reason))


def _records(
    rows: CsvRows | None, report: _Report, required: tuple[str, ...] = ()
) -> Iterator[tuple[_At, str, Row]]:
    """Live rows with a unique sourcedId and every required field; the rest are reported."""
    if rows is None:
        return
    missing = [c for c in ("sourcedId", *required) if c not in rows.columns]
    if missing:
        reason = f"required column(s) {', '.join(missing)} missing; no rows read from this file"
        _At(rows.name, 1, report).problem(missing[0], None, reason)
        return
    first_seen: dict[str, int] = {}
    for line, row in rows:
        at = _At(rows.name, line, report)
        source_id = row.get("sourcedId")
        if (row.get("status") or "").lower() == "tobedeleted":
            at.warning("status", row["status"], "status is tobedeleted; row skipped")
        elif source_id is None:
            at.problem("sourcedId", None, "sourcedId is required; row skipped")
        elif source_id in first_seen:
            reason = f"duplicate sourcedId (first on line {first_seen[source_id]}); row skipped"
            at.problem("sourcedId", source_id, reason)
        else:
            first_seen[source_id] = line
            absent = [c for c in required if row.get(c) is None]
            for column in absent:
                at.problem(column, None, f"{column} is required; row skipped")
            if not absent:
                yield at, source_id, row


def _known(at: _At, row: Row, references: Iterable[tuple[str, Collection[str], str]]) -> bool:
    """True when every reference in the row resolves; each one that does not is reported."""
    all_known = True
    for column, known, noun in references:
        value = row.get(column)
        if value is not None and value not in known:
            at.problem(column, value, f"unknown {noun} {value}; row skipped")
            all_known = False
    return all_known


def _field(at: _At, row: Row, column: str, parse: Callable[[str], T]) -> T | None:
    """The parsed value, or None (reported) when the source value does not parse."""
    value = row.get(column)
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        at.problem(column, value, f"{exc}; value ignored")
        return None


def _required(row: Row, column: str) -> str:
    """A field _records has already checked is present."""
    value = row[column]
    assert value is not None
    return value


def _split(value: str | None) -> tuple[str, ...]:
    parts = (part.strip() for part in (value or "").split(","))
    return tuple(dict.fromkeys(part for part in parts if part))


def _grades(row: Row) -> tuple[str, ...]:
    # Some vendor exports spell the 1.1 `grades` column `grade`.
    return _split(row.get("grades") or row.get("grade"))


def _drop_unknown_parents(items: dict[str, Nested], where: dict[str, _At], noun: str) -> None:
    # Runs after the whole file is read because a parent may be listed after its children.
    for source_id, item in list(items.items()):
        parent = item.parent_source_id
        if parent is not None and parent not in items:
            where[source_id].problem("parentSourcedId", parent, f"unknown {noun} {parent}; parent left empty")
            items[source_id] = replace(item, parent_source_id=None)


# --- value parsers: raise ValueError with a reason an administrator can act on ---


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address: {exc}") from exc


def _phone(region: str, value: str) -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"invalid phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _iso_date(value: str) -> date:
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("not an ISO date (YYYY-MM-DD)")
    return date.fromisoformat(value)


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ValueError("not true or false")
    return lowered == "true"


# --- one reader per file -----------------------------------------------------


def _read_orgs(rows: CsvRows | None, report: _Report) -> dict[str, Org]:
    orgs: dict[str, Org] = {}
    where: dict[str, _At] = {}
    for at, source_id, row in _records(rows, report):
        orgs[source_id] = Org(
            source_id=source_id,
            name=row.get("name"),
            type=row.get("type"),
            identifier=row.get("identifier"),
            parent_source_id=row.get("parentSourcedId"),
        )
        where[source_id] = at
    _drop_unknown_parents(orgs, where, "org")
    return orgs


def _read_sessions(rows: CsvRows | None, report: _Report) -> dict[str, AcademicSession]:
    sessions: dict[str, AcademicSession] = {}
    where: dict[str, _At] = {}
    for at, source_id, row in _records(rows, report):
        sessions[source_id] = AcademicSession(
            source_id=source_id,
            title=row.get("title"),
            type=row.get("type"),
            start_date=_field(at, row, "startDate", _iso_date),
            end_date=_field(at, row, "endDate", _iso_date),
            parent_source_id=row.get("parentSourcedId"),
            school_year=row.get("schoolYear"),
        )
        where[source_id] = at
    _drop_unknown_parents(sessions, where, "academic session")
    return sessions


def _read_courses(rows: CsvRows | None, orgs: dict[str, Org], report: _Report) -> dict[str, Course]:
    courses: dict[str, Course] = {}
    for at, source_id, row in _records(rows, report):
        if _known(at, row, [("orgSourcedId", orgs, "org")]):
            courses[source_id] = Course(
                source_id=source_id,
                title=row.get("title"),
                course_code=row.get("courseCode"),
                org_source_id=row.get("orgSourcedId"),
                grades=_grades(row),
            )
    return courses


def _read_classes(
    rows: CsvRows | None,
    orgs: dict[str, Org],
    courses: dict[str, Course],
    sessions: dict[str, AcademicSession],
    report: _Report,
) -> dict[str, Class]:
    classes: dict[str, Class] = {}
    for at, source_id, row in _records(rows, report, required=("title", "schoolSourcedId")):
        references = [("schoolSourcedId", orgs, "org"), ("courseSourcedId", courses, "course")]
        if not _known(at, row, references):
            continue
        terms = _split(row.get("termSourcedIds"))
        for term in terms:
            if term not in sessions:
                at.problem("termSourcedIds", term, f"unknown academic session {term}; term dropped")
        classes[source_id] = Class(
            source_id=source_id,
            title=_required(row, "title"),
            class_code=row.get("classCode"),
            course_source_id=row.get("courseSourcedId"),
            school_source_id=_required(row, "schoolSourcedId"),
            term_source_ids=tuple(t for t in terms if t in sessions),
            grades=_grades(row),
            location=row.get("location"),
        )
    return classes


@dataclass(frozen=True)
class _AgentClaim:
    """An agent id seen on a user row, resolved once every user has been read."""

    at: _At
    column: str
    user: Person
    agent_id: str


def _read_users(
    rows: CsvRows, orgs: dict[str, Org], region: str, report: _Report
) -> tuple[dict[str, Person], list[GuardianLink]]:
    people: dict[str, Person] = {}
    claims: list[_AgentClaim] = []
    for at, source_id, row in _records(rows, report, required=("role", "givenName", "familyName")):
        person = _person(at, source_id, row, orgs, region)
        if person is None:
            continue
        people[person.source_id] = person
        if person.kinds & {STUDENT, GUARDIAN}:
            claims += [_AgentClaim(at, c, person, a) for c in _AGENT_COLUMNS for a in _split(row.get(c))]
    return people, _guardian_links(claims, people)


def _person(at: _At, source_id: str, row: Row, orgs: dict[str, Org], region: str) -> Person | None:
    role = _required(row, "role")
    kind, job_title = _ROLES.get(role.lower(), (None, None))
    if kind is None:
        at.problem("role", role, f"unknown role {role}; row skipped")
        return None
    org_ids = _split(row.get("orgSourcedIds"))
    for org_id in org_ids:
        if org_id not in orgs:
            at.problem("orgSourcedIds", org_id, f"unknown org {org_id}; org dropped")
    enabled = _field(at, row, "enabledUser", _boolean)
    return Person(
        source_id=source_id,
        given_name=_required(row, "givenName"),
        family_name=_required(row, "familyName"),
        middle_name=row.get("middleName"),
        kinds=frozenset({kind}),
        roles=(role,),
        job_title=job_title,
        grade=next(iter(_grades(row)), None),
        identifier=row.get("identifier"),
        username=row.get("username"),
        org_source_ids=tuple(o for o in org_ids if o in orgs),
        email=_field(at, row, "email", _email),
        mobile_phone=_field(at, row, "sms", partial(_phone, region)),
        home_phone=_field(at, row, "phone", partial(_phone, region)),
        enabled_user=True if enabled is None else enabled,
        status=row.get("status"),
    )


def _guardian_links(claims: list[_AgentClaim], people: dict[str, Person]) -> list[GuardianLink]:
    """Links claimed from either side, merged: a student names guardians, a guardian names students."""
    links: dict[GuardianLink, None] = {}
    for claim in claims:
        agent = people.get(claim.agent_id)
        if agent is None:
            claim.at.problem(claim.column, claim.agent_id, f"unknown user {claim.agent_id}; link dropped")
            continue
        if STUDENT in claim.user.kinds:
            expected, link = GUARDIAN, GuardianLink(agent.source_id, claim.user.source_id)
        else:
            expected, link = STUDENT, GuardianLink(claim.user.source_id, agent.source_id)
        if expected not in agent.kinds:
            reason = f"user {claim.agent_id} is not a {expected}; link dropped"
            claim.at.problem(claim.column, claim.agent_id, reason)
            continue
        links.setdefault(link)
    return list(links)


def _read_enrollments(
    rows: CsvRows | None,
    orgs: dict[str, Org],
    classes: dict[str, Class],
    people: dict[str, Person],
    report: _Report,
) -> list[Enrollment]:
    enrollments: list[Enrollment] = []
    for at, source_id, row in _records(rows, report, required=("classSourcedId", "userSourcedId")):
        references = [
            ("classSourcedId", classes, "class"),
            ("userSourcedId", people, "user"),
            ("schoolSourcedId", orgs, "org"),
        ]
        if _known(at, row, references):
            enrollments.append(
                Enrollment(
                    source_id=source_id,
                    class_source_id=_required(row, "classSourcedId"),
                    school_source_id=row.get("schoolSourcedId"),
                    person_source_id=_required(row, "userSourcedId"),
                    role=row.get("role"),
                    primary=bool(_field(at, row, "primary", _boolean)),
                )
            )
    return enrollments

"""Read a OneRoster 1.1 or 1.2 CSV package (a folder or a .zip, bulk or delta) into a Snapshot.

Bad rows never cost the good ones: each is reported with its file and
physical line, and the rest of the package is still read. A bad cell costs
at most its row (cell_rules.py). A file missing a required column is left
out with one error; the other files are still read. Only a package that
cannot be read at all (no users.csv, an unreadable zip or manifest, a
users.csv without sourcedId) or that would cost too much to read (a zip bomb,
more than 2 GiB: package_limits.py) raises PackageRejected, before anything
could be applied. Files are read as streams, a record at a time.

The rules shared by every file (status, tombstones, references) are in
records.py; the package and file modes in package_source.py, the manifest in
manifest.py; who is one person in same_person.py.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import ExitStack
from pathlib import Path

from services.rostering.domain.assigned_roles import PROFILE_COLUMNS, ROLE_COLUMNS, AssignedRoles
from services.rostering.domain.collector import collector_paused
from services.rostering.domain.enrollment_reader import ENROLLMENT_COLUMNS, read_enrollments
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.findings import Findings
from services.rostering.domain.guardian_links import guardian_links
from services.rostering.domain.org_readers import (
    CLASS_COLUMNS,
    COURSE_COLUMNS,
    ORG_COLUMNS,
    SESSION_COLUMNS,
    read_classes,
    read_courses,
    read_orgs,
    read_sessions,
)
from services.rostering.domain.package_files import (
    CLASSES,
    COURSES,
    ENROLLMENTS,
    ORGS,
    READ_FILES,
    ROLES,
    SESSIONS,
    USER_PROFILES,
    USERS,
    V1_1,
    V1_2,
)
from services.rostering.domain.records import EntityFile, Target, unread_target
from services.rostering.domain.snapshot import PackageFile, Snapshot
from services.rostering.domain.user_reader import USER_COLUMNS, merge_same_people, read_users
from services.rostering.domain.values import PhoneNormaliser

from .package_source import FilePlan, PackageSource, plan_files

__all__ = ["PackageRejected", "read_package"]


def read_package(path: str | Path, *, region: str = "US") -> Snapshot:
    """Read every file of the package; `region` is the default country for phone numbers."""
    phones = PhoneNormaliser(region)
    with collector_paused():
        return _read(Path(path), phones)


def _read(path: Path, phones: PhoneNormaliser) -> Snapshot:
    findings = Findings()
    with ExitStack() as stack:
        source = PackageSource(path, stack)
        plan = plan_files(source, findings)
        files = _Files(source, plan, findings)
        users_file = files.users()

        orgs_file = files.open(ORGS, ORG_COLUMNS, required_columns=("sourcedId", "type"))
        orgs = read_orgs(orgs_file) if orgs_file else {}
        org_target = _target(orgs_file, "org", orgs, ORGS)
        sessions_file = files.open(SESSIONS, SESSION_COLUMNS)
        sessions = read_sessions(sessions_file) if sessions_file else {}
        session_target = _target(sessions_file, "academic session", sessions, SESSIONS)
        courses_file = files.open(COURSES, COURSE_COLUMNS)
        courses = read_courses(courses_file, org_target, session_target) if courses_file else {}
        classes_file = files.open(CLASSES, CLASS_COLUMNS,
                                  required_columns=("sourcedId", "title", "schoolSourcedId"),
                                  required_fields=("title", "schoolSourcedId"))
        classes = (read_classes(classes_file, org_target, _target(courses_file, "course", courses, COURSES),
                                session_target) if classes_file else {})

        assigned = _assigned_roles(files, plan, org_target, findings) if plan.version == V1_2 else None
        people, claims = read_users(users_file, orgs=org_target, phones=phones, assigned=assigned)
        # 1.2 says a staff member is also a parent with a second role; 1.1 can only say it with a second row.
        aliases = merge_same_people(people, users_file) if plan.version == V1_1 else {}
        # Every sourcedId a reference may name, an alias naming the person it was merged into.
        known = {**people, **{alias: people[survivor] for alias, survivor in aliases.items()}} if aliases else people
        links = guardian_links(claims, known, users_file)

        enrollments_file = files.open(ENROLLMENTS, ENROLLMENT_COLUMNS,
                                      required_columns=("sourcedId", "classSourcedId", "userSourcedId"),
                                      required_fields=("classSourcedId", "userSourcedId"))
        enrollments = (read_enrollments(enrollments_file, orgs=org_target,
                                        classes=_target(classes_file, "class", classes, CLASSES),
                                        people=users_file.target("user", known)) if enrollments_file else [])
    return Snapshot(
        version=plan.version,
        orgs=tuple(orgs.values()),
        sessions=tuple(sessions.values()),
        courses=tuple(courses.values()),
        classes=tuple(classes.values()),
        people=tuple(people.values()),
        enrollments=tuple(enrollments),
        guardian_links=tuple(links),
        problems=tuple(findings.problems),
        warnings=tuple(findings.warnings),
        files=files.summary(),
        tombstones=tuple(findings.tombstones),
        aliases=tuple(aliases.items()),
    )


class _Files:
    """The package's files opened as EntityFiles, remembered for the summary."""

    def __init__(self, source: PackageSource, plan: FilePlan, findings: Findings) -> None:
        self._source, self._plan, self._findings = source, plan, findings
        self._opened: dict[str, EntityFile] = {}

    def open(self, name: str, known: Collection[str], *, required_columns: tuple[str, ...] = ("sourcedId",),
             required_fields: tuple[str, ...] = ()) -> EntityFile | None:
        member = self._plan.members.get(name)
        if member is None:
            return None
        file = EntityFile(name, self._plan.modes[name], self._source.records(member, name), self._findings,
                          known, required_columns, required_fields)
        self._opened[name] = file
        return file

    def users(self) -> EntityFile:
        """users.csv, which must have sourcedId; a 1.1 file also needs role."""
        version = self._plan.version
        required = ("sourcedId", "givenName", "familyName") + (("role",) if version == V1_1 else ())
        users = self.open(USERS, USER_COLUMNS, required_columns=required, required_fields=("givenName", "familyName"))
        assert users is not None  # plan_files rejects a package without users.csv
        if not users.has("sourcedId"):
            raise PackageRejected(users.refusal or "users.csv has no sourcedId column", file=USERS)
        if version == V1_2 and users.has("role"):
            self._findings.warning(USERS, 1, "role", None, "users.csv has a role column, which OneRoster 1.2 "
                                                           "moved to roles.csv; read as each user's role too")
        elif version == V1_2 and ROLES not in self._plan.members:
            raise PackageRejected("this OneRoster 1.2 package has no roles.csv (and users.csv has no role "
                                  "column), so no user has a role", file=ROLES)
        return users

    def summary(self) -> tuple[PackageFile, ...]:
        """The files read, in OneRoster's order."""
        order = READ_FILES[self._plan.version]
        return tuple(PackageFile(name, file.mode, file.records.count, file.read)
                     for name, file in sorted(self._opened.items(), key=lambda item: order.index(item[0])))


def _target(file: EntityFile | None, noun: str, live: dict, name: str) -> Target:
    return file.target(noun, live) if file is not None else unread_target(noun, name)


def _assigned_roles(files: _Files, plan: FilePlan, orgs: Target, findings: Findings) -> AssignedRoles:
    assigned = AssignedRoles(findings)
    roles_file = files.open(ROLES, ROLE_COLUMNS,
                            required_columns=("sourcedId", "userSourcedId", "role", "orgSourcedId"),
                            required_fields=("userSourcedId", "role", "orgSourcedId"))
    if roles_file is not None:
        assigned.read_roles(roles_file, orgs)
    profiles_file = files.open(USER_PROFILES, PROFILE_COLUMNS, required_columns=("sourcedId", "userSourcedId"),
                               required_fields=("userSourcedId",))
    if profiles_file is not None:
        assigned.read_profiles(profiles_file)
    return assigned

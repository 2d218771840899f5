"""A Snapshot built from a source's OneRoster collections, each read as a RecordStream under the shared rules.

Every source assembles its roster here: the CSV package reader hands over its
files, a REST source the answers of its roster server laid out as records.
Collections are named by OneRoster's CSV file names (package_files.py): that
is what the run's report, archiving and the mass-change guard key on.

Collections are read in dependency order: orgs, sessions, courses and classes
first, then (1.2) roles and profiles, users, guardian links and enrollments,
so every reference can be checked against what it names.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from .assigned_roles import PROFILE_COLUMNS, ROLE_COLUMNS, AssignedRoles
from .enrollment_reader import read_enrollments
from .enrollment_rows import ENROLLMENT_COLUMNS, ENROLLMENT_REQUIRED_COLUMNS, ENROLLMENT_REQUIRED_FIELDS
from .enrollments_read_before import EnrollmentsAgain
from .errors import SourceRejected
from .findings import Findings
from .guardian_links import guardian_links
from .org_readers import (
    CLASS_COLUMNS,
    COURSE_COLUMNS,
    ORG_COLUMNS,
    SESSION_COLUMNS,
    read_classes,
    read_courses,
    read_orgs,
    read_sessions,
)
from .package_files import (
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
from .people_read_before import PeopleReadBefore
from .records import EntityFile, RecordStream, Target, unread_target
from .snapshot import Enrollment, PackageFile, Snapshot
from .user_reader import USER_COLUMNS, merge_same_people, read_users
from .values import PhoneNormaliser

# A collection's mode (bulk or delta) and its records, or None when the source does not have it.
StreamOf = Callable[[str], "tuple[str, RecordStream] | None"]


class EntityFiles:
    """A source's collections opened as EntityFiles, remembered for the summary.

    `version` is the OneRoster version read (V1_1 or V1_2); `stream_of` opens
    a collection; `has` says whether the source has it without opening it.
    """

    def __init__(self, version: str, findings: Findings, stream_of: StreamOf, has: Callable[[str], bool],
                 rejected: type[SourceRejected] = SourceRejected) -> None:
        self.version, self.findings = version, findings
        self._stream_of, self._has, self._rejected = stream_of, has, rejected
        self._opened: dict[str, EntityFile] = {}

    def open(self, name: str, known: Collection[str], *, required_columns: tuple[str, ...] = ("sourcedId",),
             required_fields: tuple[str, ...] = ()) -> EntityFile | None:
        opened = self._stream_of(name)
        if opened is None:
            return None
        mode, records = opened
        file = EntityFile(name, mode, records, self.findings, known, required_columns, required_fields)
        self._opened[name] = file
        return file

    def users(self) -> EntityFile:
        """users.csv, which must have sourcedId; a 1.1 file also needs role."""
        version = self.version
        required = ("sourcedId", "givenName", "familyName") + (("role",) if version == V1_1 else ())
        users = self.open(USERS, USER_COLUMNS, required_columns=required, required_fields=("givenName", "familyName"))
        if users is None:
            raise self._rejected("the roster has no users", file=USERS)
        if not users.has("sourcedId"):
            raise self._rejected(users.refusal or "users.csv has no sourcedId column", file=USERS)
        if version == V1_2 and users.has("role"):
            self.findings.warning(USERS, 1, "role", None, "users.csv has a role column, which OneRoster 1.2 "
                                                          "moved to roles.csv; read as each user's role too")
        elif version == V1_2 and not self._has(ROLES):
            raise self._rejected("this OneRoster 1.2 package has no roles.csv (and users.csv has no role "
                                 "column), so no user has a role", file=ROLES)
        return users

    def summary(self) -> tuple[PackageFile, ...]:
        """The collections read, in OneRoster's order."""
        order = READ_FILES[self.version]
        return tuple(PackageFile(name, file.mode, file.records.count, file.read)
                     for name, file in sorted(self._opened.items(), key=lambda item: order.index(item[0])))


def assemble(files: EntityFiles, phones: PhoneNormaliser, read_before: PeopleReadBefore | None = None,
             enrollments_again: EnrollmentsAgain | None = None) -> Snapshot:
    """Read every collection the source has into one Snapshot; findings are the files' own. `read_before`: the
    people this process's last read built, kept for the next (people_read_before.py); `enrollments_again`: the
    last read's enrollments, likewise (enrollments_read_before.py). The Snapshot is the same either way."""
    findings = files.findings
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

    assigned = _assigned_roles(files, org_target, findings) if files.version == V1_2 else None
    people, claims = read_users(users_file, orgs=org_target, phones=phones, assigned=assigned,
                                read_before=read_before)
    # 1.2 says a staff member is also a parent with a second role; 1.1 can only say it with a second row.
    aliases = merge_same_people(people, users_file) if files.version == V1_1 else {}
    # Every sourcedId a reference may name, an alias naming the person it was merged into.
    known = {**people, **{alias: people[survivor] for alias, survivor in aliases.items()}} if aliases else people
    links = guardian_links(claims, known, users_file)

    enrollments_file = files.open(ENROLLMENTS, ENROLLMENT_COLUMNS, required_columns=ENROLLMENT_REQUIRED_COLUMNS,
                                  required_fields=ENROLLMENT_REQUIRED_FIELDS)
    enrollments: Sequence[Enrollment] = ()
    if enrollments_file is not None:
        class_target, person_target = _target(classes_file, "class", classes, CLASSES), users_file.target("user", known)
        if enrollments_again is None:
            enrollments = read_enrollments(enrollments_file, orgs=org_target, classes=class_target,
                                           people=person_target)[0]
        else:
            enrollments = enrollments_again.read(enrollments_file, orgs=org_target, classes=class_target,
                                                 people=person_target, aliases=aliases)
    return Snapshot(
        version=files.version,
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


def _target(file: EntityFile | None, noun: str, live: dict, name: str) -> Target:
    return file.target(noun, live) if file is not None else unread_target(noun, name)


def _assigned_roles(files: EntityFiles, orgs: Target, findings: Findings) -> AssignedRoles:
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

"""OneRoster 1.2 roles.csv and userProfiles.csv: read before users.csv, handed to each user as it is read.

Roles and profiles name their user; those whose user never turns up are
reported once users.csv has been read (an unknown user is a row error when
users.csv is a full snapshot; in a delta the user may be from an earlier
sync, but there is no person here to carry the role, so it is a warning).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from .findings import Findings
from .records import EntityFile, Target, file_columns
from .role_vocabulary import is_known_role
from .snapshot import BULK, RoleAssignment, UserProfile
from .values import parse_date

ROLE_COLUMNS = file_columns("userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId",
                            "userProfileSourcedId")
PROFILE_COLUMNS = file_columns("userSourcedId", "profileType", "vendorId", "applicationId", "description",
                               "credentialType", "username", "password")
ROLE_TYPES = ("primary", "secondary")


class AssignedRoles:
    """Roles and profiles by user id, each remembered with the file and line it came from."""

    def __init__(self, findings: Findings) -> None:
        self._findings = findings
        self._roles: dict[str, list[tuple[str, int, RoleAssignment]]] = defaultdict(list)
        self._profiles: dict[str, list[tuple[str, int, UserProfile]]] = defaultdict(list)

    def roles_of(self, user_id: str) -> list[RoleAssignment]:
        return [role for _, _, role in self._roles.pop(user_id, ())]

    def profiles_of(self, user_id: str) -> tuple[UserProfile, ...]:
        return tuple(profile for _, _, profile in self._profiles.pop(user_id, ()))

    def read_roles(self, file: EntityFile, orgs: Target) -> None:
        user, kind, role_at, org, begin, end, profile = (file.at(c) for c in (
            "userSourcedId", "roleType", "role", "orgSourcedId", "beginDate", "endDate", "userProfileSourcedId"))
        for line, cells, source_id, modified in file.rows():
            role = cells[role_at]
            if not is_known_role(role):
                file.findings.problem(file.name, line, "role", role, f"unknown role {role}; row skipped")
                continue
            org_id = file.resolve(line, "orgSourcedId", cells[org], orgs, "row skipped")
            if org_id is None:
                continue
            role_type = cells[kind].lower()
            if role_type not in ROLE_TYPES:
                file.findings.problem(file.name, line, "roleType", cells[kind] or None,
                                      "roleType must be primary or secondary; read as secondary")
            assignment = RoleAssignment(
                role=role, org_source_id=org_id, primary=role_type == "primary", source_id=source_id,
                begin_date=file.value(line, "beginDate", cells[begin], parse_date) if cells[begin] else None,
                end_date=file.value(line, "endDate", cells[end], parse_date) if cells[end] else None,
                user_profile_source_id=cells[profile] or None,
            )
            self._roles[cells[user]].append((file.name, line, assignment))

    def read_profiles(self, file: EntityFile) -> None:
        user, kind, vendor, application, description, credential, username = (file.at(c) for c in (
            "userSourcedId", "profileType", "vendorId", "applicationId", "description", "credentialType",
            "username"))
        for line, cells, source_id, modified in file.rows():
            self._profiles[cells[user]].append((file.name, line, UserProfile(
                source_id=source_id, profile_type=cells[kind] or None, vendor_id=cells[vendor] or None,
                application_id=cells[application] or None, description=cells[description] or None,
                credential_type=cells[credential] or None, username=cells[username] or None,
            )))

    def report_unclaimed(self, users: Target, seen: Mapping[str, int]) -> None:
        """Roles and profiles whose user was not read: an error against a full users.csv, else a warning."""
        for user_id, entries in [*self._roles.items(), *self._profiles.items()]:
            for file, line, _ in entries:
                status = users.deleted.get(user_id)
                if user_id in seen and status is None:
                    self._findings.problem(file, line, "userSourcedId", user_id,
                                           f"user {user_id} was not read (users.csv line {seen[user_id]}); "
                                           "row skipped")
                elif status is not None:
                    self._findings.problem(file, line, "userSourcedId", user_id,
                                           f"user {user_id} is marked {status} in users.csv; row skipped")
                elif users.state == BULK:
                    self._findings.problem(file, line, "userSourcedId", user_id,
                                           f"unknown user {user_id}; row skipped")
                else:
                    self._findings.warning(file, line, "userSourcedId", user_id,
                                           f"user {user_id} is not in this package's users.csv, so this row "
                                           "is not applied")
        self._roles.clear()
        self._profiles.clear()

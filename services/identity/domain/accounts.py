"""Accounts: one per person whatever roles they hold (how a sync page changes them: upserts.py)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.contracts import identity

INVITEE, ACTIVE, DISABLED = "invitee", "active", "disabled"
CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"
# Custom permissions refine what staff may do; nobody else may hold them.
STAFF_ROLES = (identity.DISTRICT_ADMIN, identity.SCHOOL_ADMIN, identity.TEACHER)


@dataclass(frozen=True, slots=True)
class RoleGrant:
    role: str
    school_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Profile:
    """The part of an account that the directory (by hand or by sync) owns."""

    district_id: str | None
    given_name: str
    family_name: str
    email: str | None
    mobile_phone: str | None
    home_phone: str | None
    roles: tuple[RoleGrant, ...]
    managed_by_sync: bool


@dataclass(frozen=True, slots=True)
class Account:
    person_id: str
    profile: Profile
    status: str = INVITEE
    joined_at: datetime | None = None
    password_hash: str | None = None
    permissions: tuple[str, ...] = ()
    # Set when the SIS (enabledUser=false) disabled the account, so only the SIS re-enables it.
    disabled_by_sync: bool = False
    # Directory enabled this person's student account (directory.STUDENT_ACCOUNTS_ENABLED).
    student_enabled: bool = False
    # Directory archived this person (directory.PEOPLE_UPSERTED with archived true).
    archived: bool = False
    # Granted by hand (grant_roles): kept apart from profile.roles, which every sync replaces.
    manual_roles: tuple[RoleGrant, ...] = ()
    # A BCP 47 tag the owner chose (domain/languages.py), chosen when joining or in their settings.
    language: str = identity.DEFAULT_LANGUAGE

    @property
    def display_name(self) -> str:
        return f"{self.profile.given_name} {self.profile.family_name}".strip()

    @property
    def roles(self) -> tuple[RoleGrant, ...]:
        """What the account holds: the synced grants and those made by hand, one grant per role."""
        if not self.manual_roles:
            return self.profile.roles
        return union_of_roles(self.profile.roles, self.manual_roles)

    @property
    def has_joined(self) -> bool:
        """The owner has signed in at least once, so the account (and its credentials) are theirs."""
        return self.joined_at is not None

    def holds_any_role(self, roles: Iterable[str]) -> bool:
        wanted = set(roles)
        return any(grant.role in wanted for grant in self.roles)

    @property
    def is_student_only(self) -> bool:
        """A student and nothing else; someone who also holds another role is judged by that role."""
        roles = {grant.role for grant in self.roles}
        return roles == {identity.STUDENT}

    @property
    def effective_permissions(self) -> tuple[str, ...]:
        # Stored permissions survive a role change (a teacher who becomes a parent only)
        # but grant nothing until the person is staff again.
        return self.permissions if self.holds_any_role(STAFF_ROLES) else ()


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    key: str
    outcome: str
    problems: tuple[Problem, ...] = ()


def canonical_roles(grants: Iterable[Mapping]) -> tuple[RoleGrant, ...]:
    """One grant per role, schools sorted: two spellings of the same grants compare equal."""
    return _one_grant_per_role((grant["role"], grant.get("school_ids") or ()) for grant in grants)


def union_of_roles(*groups: Iterable[RoleGrant]) -> tuple[RoleGrant, ...]:
    """Every role of every group, each with the schools of all its grants, in canonical form."""
    return _one_grant_per_role((grant.role, grant.school_ids) for group in groups for grant in group)


def _one_grant_per_role(grants: Iterable[tuple[str, Iterable[str]]]) -> tuple[RoleGrant, ...]:
    schools_by_role: dict[str, set[str]] = {}
    for role, school_ids in grants:
        schools_by_role.setdefault(role, set()).update(school_ids)
    ordered = sorted(schools_by_role, key=identity.ROLES.index)
    return tuple(RoleGrant(role, tuple(sorted(schools_by_role[role]))) for role in ordered)


def canonical_permissions(permissions: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(permissions), key=identity.STAFF_PERMISSIONS.index))


def staff_permissions_refusal(account: Account, permissions: Sequence[str]) -> str | None:
    """Why `account` may not hold `permissions`, or None when it may."""
    if permissions and not account.holds_any_role(STAFF_ROLES):
        return "only district_admin, school_admin or teacher accounts may hold staff permissions"
    return None

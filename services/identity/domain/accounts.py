"""Accounts: one per person whatever roles they hold, and how a sync page changes them."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from shared.contracts import identity

from .credentials import (
    EMAIL,
    HOME_PHONE,
    MOBILE_PHONE,
    InvalidCredential,
    blank_to_none,
    normalise_email,
    normalise_phone,
)

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

    @property
    def display_name(self) -> str:
        return f"{self.profile.given_name} {self.profile.family_name}".strip()

    def holds_any_role(self, roles: Iterable[str]) -> bool:
        wanted = set(roles)
        return any(grant.role in wanted for grant in self.profile.roles)

    @property
    def is_student_only(self) -> bool:
        """A student and nothing else; someone who also holds another role is judged by that role."""
        roles = {grant.role for grant in self.profile.roles}
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


@dataclass(slots=True)
class UpsertPlan:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    created: list[Account] = field(default_factory=list)
    updated: list[Account] = field(default_factory=list)

    @property
    def changed(self) -> list[Account]:
        return self.created + self.updated


def canonical_roles(grants: Iterable[Mapping]) -> tuple[RoleGrant, ...]:
    """One grant per role, schools sorted: two spellings of the same grants compare equal."""
    schools_by_role: dict[str, set[str]] = {}
    for grant in grants:
        schools_by_role.setdefault(grant["role"], set()).update(grant.get("school_ids") or ())
    ordered = sorted(schools_by_role, key=identity.ROLES.index)
    return tuple(RoleGrant(role, tuple(sorted(schools_by_role[role]))) for role in ordered)


def canonical_permissions(permissions: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(permissions), key=identity.STAFF_PERMISSIONS.index))


def staff_permissions_refusal(account: Account, permissions: Sequence[str]) -> str | None:
    """Why `account` may not hold `permissions`, or None when it may."""
    if permissions and not account.holds_any_role(STAFF_ROLES):
        return "only district_admin, school_admin or teacher accounts may hold staff permissions"
    return None


def status_after_sync(stored: Account | None, *, enabled: bool) -> tuple[str, bool]:
    """(status, disabled_by_sync) once a row says whether the source enables the account.

    Only a disablement the source made is lifted by the source, and lifting it
    restores what the account was: invitee, or active once the person has joined.
    """
    if stored is None:
        return (INVITEE, False) if enabled else (DISABLED, True)
    if not enabled:
        if stored.status == DISABLED:
            return DISABLED, stored.disabled_by_sync
        return DISABLED, True
    if stored.status == DISABLED and stored.disabled_by_sync:
        return (ACTIVE if stored.joined_at is not None else INVITEE), False
    return stored.status, stored.disabled_by_sync


def prepare_profile(item: Mapping, *, district_id: str, region: str,
                    stored: Profile | None) -> tuple[Profile, tuple[Problem, ...]]:
    """The profile an input row asks for, and the problems found on its fields.

    An invalid credential never refuses the row: it is reported, and the account
    keeps what it had for that field (nothing, for a new account), so a typo in
    an export does not cut a family off from a working contact. The same holds
    for the fields the row lists in `invalid_fields`: the source had a value
    there, its reader refused (and reported) it, so the empty field is no removal.
    """
    problems: list[Problem] = []
    refused_at_source = set(item.get("invalid_fields") or ())

    def kept(name: str) -> str | None:
        return getattr(stored, name) if stored is not None else None

    def credential(name: str, normalise) -> str | None:
        if name in refused_at_source:
            return kept(name)
        raw = blank_to_none(item.get(name))
        if raw is None:
            return None
        try:
            return normalise(raw)
        except InvalidCredential as error:
            problems.append(Problem(name, error.reason))
            return kept(name)

    def phone(value: str) -> str:
        return normalise_phone(value, region)

    profile = Profile(
        district_id=district_id,
        given_name=item["given_name"],
        family_name=item["family_name"],
        email=credential(EMAIL, normalise_email),
        mobile_phone=credential(MOBILE_PHONE, phone),
        home_phone=credential(HOME_PHONE, phone),
        roles=canonical_roles(item["roles"]),
        managed_by_sync=item.get("managed_by_sync", True),
    )
    return profile, tuple(problems)


def plan_upserts(items: Iterable[Mapping], *, district_id: str, region: str,
                 existing: Mapping[str, Account]) -> UpsertPlan:
    """Decide, per input row, whether the account is created, updated or unchanged."""
    plan = UpsertPlan()
    seen: set[str] = set()
    for item in items:
        person_id = item["person_id"]
        if person_id in seen:
            plan.outcomes.append(ItemOutcome(person_id, FAILED, (
                Problem("person_id", "appears more than once in this page; the first row was applied"),)))
            continue
        seen.add(person_id)
        stored = existing.get(person_id)
        profile, problems = prepare_profile(item, district_id=district_id, region=region,
                                            stored=stored.profile if stored else None)
        status, disabled_by_sync = status_after_sync(stored, enabled=item.get("enabled", True))
        if stored is None:
            plan.created.append(Account(person_id, profile, status=status, disabled_by_sync=disabled_by_sync))
            outcome = CREATED
        elif (stored.profile, stored.status, stored.disabled_by_sync) == (profile, status, disabled_by_sync):
            outcome = UNCHANGED
        else:
            plan.updated.append(replace(stored, profile=profile, status=status, disabled_by_sync=disabled_by_sync))
            outcome = UPDATED
        plan.outcomes.append(ItemOutcome(person_id, outcome, problems))
    return plan

"""OneRoster 1.1 and 1.2 role values and what each means here: a kind of person, and for staff a job title."""

from __future__ import annotations

from collections.abc import Iterable

from .snapshot import GUARDIAN, STAFF, STUDENT

# Vendors send role names in varying case, so keys are lower-case.
ROLE_KINDS: dict[str, tuple[str, str | None]] = {
    "student": (STUDENT, None),
    "teacher": (STAFF, "Teacher"),
    "administrator": (STAFF, "Administrator"),
    "districtadministrator": (STAFF, "District Administrator"),
    "siteadministrator": (STAFF, "Site Administrator"),
    "systemadministrator": (STAFF, "System Administrator"),
    "principal": (STAFF, "Principal"),
    "counselor": (STAFF, "Counselor"),
    "aide": (STAFF, "Aide"),
    "proctor": (STAFF, "Proctor"),
    "staff": (STAFF, "Staff"),
    "parent": (GUARDIAN, None),
    "guardian": (GUARDIAN, None),
    "relative": (GUARDIAN, None),
}


def is_known_role(role: str) -> bool:
    return role.lower() in ROLE_KINDS


def kinds_of(roles: Iterable[str]) -> frozenset[str]:
    return frozenset(ROLE_KINDS[role.lower()][0] for role in roles)


def job_title_of(roles: Iterable[str]) -> str | None:
    """The title of the first staff role: roles come primary first, so that is the main job."""
    return next((title for title in (ROLE_KINDS[role.lower()][1] for role in roles) if title), None)

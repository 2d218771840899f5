"""Which permission a communication needs, and whose settings a caller may touch.

The actions are shared vocabulary (`shared.contracts.permissions`); notify and
directory still narrow the rows (who is reachable, which reports show).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from shared.contracts.permissions import (
    ANNOUNCE_TO_CLASSROOM, ANNOUNCE_TO_SCHOOL, ANNOUNCE_TO_SELECTED, has_role, schools_with_role,
)
from shared.contracts import identity, notify
from shared.contracts.errors import InvalidRequest, NotFound

# An audience names exactly one target (directory.Audience); each target is its own permission.
# The whole district takes the school-wide permission; directory then admits only district administrators.
ANNOUNCE_ACTION_BY_TARGET = {
    "district": ANNOUNCE_TO_SCHOOL,
    "school_id": ANNOUNCE_TO_SCHOOL,
    "classroom_id": ANNOUNCE_TO_CLASSROOM,
    "person_ids": ANNOUNCE_TO_SELECTED,
}


def announcement_action(audience: Mapping) -> str:
    """The permission an announcement to `audience` needs."""
    for target, action in ANNOUNCE_ACTION_BY_TARGET.items():
        if audience.get(target):
            return action
    # The body schema already refused an audience without a target; this guards other callers.
    raise InvalidRequest("An audience needs the district, a school, a classroom or selected people.",
                         fields={"audience": ["Give exactly one of district, school_id, classroom_id or person_ids."]})


def is_self(principal: Mapping, person_id: str) -> bool:
    return principal["person_id"] == person_id


def district_of(principal: Mapping) -> str:
    """The caller's district; district settings of no district do not exist."""
    if principal.get("district_id") is None:
        raise NotFound("Your account belongs to no district, so there are no district settings to show.")
    return principal["district_id"]


def require_credential_kind(kind: str) -> None:
    if kind not in notify.CREDENTIAL_KINDS:
        raise InvalidRequest(f"There is no {kind!r} credential to reset.",
                             fields={"kind": [f"Must be one of: {', '.join(notify.CREDENTIAL_KINDS)}."]})


def school_in_scope(principal: Mapping, school_id: str, district_school_ids: Iterable[str] = ()) -> bool:
    """A district administrator reaches every school of their district (`district_school_ids`);
    other staff reach the schools of their own role grants."""
    if school_id in schools_with_role(principal, identity.SCHOOL_ADMIN) | schools_with_role(principal,
                                                                                            identity.TEACHER):
        return True
    return has_role(principal, identity.DISTRICT_ADMIN) and school_id in set(district_school_ids)

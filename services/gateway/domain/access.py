"""Permission decisions the gateway takes before it calls a service.

The rules live with the other shared vocabulary (`shared.contracts.permissions`);
this module only turns a "no" into the error the caller sees. Row-level
scoping stays with the owning service.
"""
from __future__ import annotations

from collections.abc import Mapping

from shared.contracts import directory
from shared.contracts.errors import InvalidRequest, NotFound, PermissionDenied
from shared.contracts.permissions import VIEW_CREDENTIALS_OF_OTHERS, may, permission_change_refusal


def require(principal: Mapping, action: str) -> None:
    if not may(principal, action):
        raise PermissionDenied(f"Your account does not have permission for this ({action}).")


def may_see_contact_details(principal: Mapping, person_id: str) -> bool:
    """Everyone sees their own credentials; others' need the permission."""
    return principal["person_id"] == person_id or may(principal, VIEW_CREDENTIALS_OF_OTHERS)


def require_staff(profile: Mapping) -> None:
    """Custom permissions exist only for staff; setting them on a guardian or student is a mistake."""
    if directory.STAFF not in profile["kinds"]:
        raise InvalidRequest("Permissions can only be set for staff members.",
                             fields={"id": ["Not a staff member."]})


def require_permission_change(principal: Mapping, target: Mapping | None, permissions: list[str]) -> None:
    """403 naming the reason when `principal` may not give `target` (an identity.Account) these permissions."""
    if target is None:
        raise NotFound("No account for this person.")
    refusal = permission_change_refusal(principal, target, permissions)
    if refusal is not None:
        raise PermissionDenied(f"These permissions cannot be set: {refusal}.", fields={"permissions": [refusal]})

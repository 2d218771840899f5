"""Permission decisions the gateway takes before it calls a service.

The rules live with the other shared vocabulary (`shared.contracts.permissions`);
this module only turns a "no" into the error the caller sees. Row-level
scoping stays with the owning service.
"""
from __future__ import annotations

from collections.abc import Mapping

from shared.contracts.permissions import VIEW_CREDENTIALS_OF_OTHERS, may
from shared.contracts import directory
from shared.contracts.errors import InvalidRequest, PermissionDenied


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

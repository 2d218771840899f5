"""Who may read what notify reports: delivery reports and unreachable contacts.

The gateway checks the action first; notify checks again here with the
viewer's Principal (a dict as shared.contracts.identity.Principal loads it),
because only notify knows who sent a communication and whom it reached.

- A delivery report: its sender; a district admin of its district; a school
  admin, or a staff member with Engagement Visibility ("see all engagement
  logs for students in scope"), of a school the communication reached.
- Unreachable contacts of a school: its admins and the district's admins; its
  staff with School-Wide Communications, Users Manager or Rostering
  Administrator (the permissions that act on those contacts).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.contracts import identity
from shared.contracts.permissions import CONTACT_STATUS_PERMISSIONS, has_role, schools_with_role

Principal = Mapping

UNREACHABLE_LIST_PERMISSIONS = frozenset(CONTACT_STATUS_PERMISSIONS)


@dataclass(frozen=True, slots=True)
class ReportAccess:
    """`everything`: may read it whatever it reached; else only if it reached one of `via_schools`."""

    everything: bool
    via_schools: frozenset[str] = frozenset()

    @property
    def denied(self) -> bool:
        return not self.everything and not self.via_schools


NO_ACCESS = ReportAccess(False)


def report_access(viewer: Principal, *, sender_id: str | None, district_id: str) -> ReportAccess:
    if not _active(viewer):
        return NO_ACCESS
    if sender_id is not None and viewer["person_id"] == sender_id:
        return ReportAccess(True)
    if viewer.get("district_id") != district_id:
        return NO_ACCESS
    if has_role(viewer, identity.DISTRICT_ADMIN):
        return ReportAccess(True)
    schools = schools_with_role(viewer, identity.SCHOOL_ADMIN)
    if identity.ENGAGEMENT_VISIBILITY in viewer.get("permissions", ()):
        schools |= schools_with_role(viewer, identity.TEACHER)
    return ReportAccess(False, frozenset(schools))


def may_list_unreachable(viewer: Principal, school_id: str) -> bool:
    if not _active(viewer):
        return False
    if has_role(viewer, identity.DISTRICT_ADMIN) or school_id in schools_with_role(viewer, identity.SCHOOL_ADMIN):
        return True
    return (school_id in schools_with_role(viewer, identity.TEACHER)
            and bool(UNREACHABLE_LIST_PERMISSIONS & set(viewer.get("permissions", ()))))


def _active(viewer: Principal) -> bool:
    # identity refuses disabled accounts at sign-in; a principal held from before must not slip through.
    return viewer.get("status") != "disabled"


"""What a roster sync owns in a district, and so what staff may not change by hand.

DESIGN.md (Directory): when a district syncs with its SIS, the manual functions the sync owns are
locked, with a message that says why. Guardians stay editable by hand when the sync does not manage
them; contact details of people who have joined stay editable when the sync may not update them.
A district that only ever imported a package by hand (no daily sync) has no lock: its records are
the school's to keep.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.directory import GUARDIAN

MANAGES_GUARDIANS = "allow sync to manage guardians"
UPDATES_CONTACT_DETAILS = "allow the sync to update contact details of active users"


@dataclass(frozen=True)
class SyncOwnership:
    """A district's sync as rostering last described it; `source` None: nothing is locked."""

    source: str | None = None
    manages_guardians: bool = True
    updates_contact_details_of_active_users: bool = False


NO_SYNC = SyncOwnership()


def record_lock(ownership: SyncOwnership, *, managed_by_sync: bool, kinds: frozenset[str] | set[str]) -> str | None:
    """Why a person (or their links) may not be changed by hand, or None when they may."""
    if ownership.source is None or not managed_by_sync:
        return None
    if set(kinds) == {GUARDIAN} and not ownership.manages_guardians:
        return None
    return (f"managed by the district's {ownership.source} sync: change it in the SIS "
            f"(manual changes are locked while the district syncs)")


def guardian_lock(ownership: SyncOwnership, *, managed_by_sync: bool) -> str | None:
    """Why a guardian link may not be added, edited or removed by hand, or None when it may."""
    if ownership.source is None or not ownership.manages_guardians or not managed_by_sync:
        return None
    return (f"guardians are managed by the district's {ownership.source} sync (setting \"{MANAGES_GUARDIANS}\" "
            "is on): change them in the SIS")


def contact_details_lock(ownership: SyncOwnership, *, managed_by_sync: bool, joined: bool) -> str | None:
    """Why a person's email and phones may not be edited by hand, or None when they may."""
    if ownership.source is None or not managed_by_sync:
        return None
    if joined and not ownership.updates_contact_details_of_active_users:
        return None
    setting = (f"setting \"{UPDATES_CONTACT_DETAILS}\" is on" if joined
               else "the sync keeps contact details of people who have not joined")
    return f"contact details are managed by the district's {ownership.source} sync ({setting}): change them in the SIS"

"""A district's sync settings: what the sync owns, how it treats what reappears, when it stops to ask.

The names follow the rostering provider setup screens: "Enable Daily sync", "Allow sync to manage
Guardians" (else guardians come from a guardians.csv or by hand), "Unarchive classrooms that reappear",
"Allow the sync to update contact details of active users". The mass-change threshold is the share of
the district's people or enrollments a run may archive before it waits for approval (DESIGN.md).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime

from .guard import DEFAULT_THRESHOLD

SOURCE_NAME = "OneRoster CSV"


class InvalidSetting(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class SyncSettings:
    district_id: str
    daily_sync: bool = False
    sync_manages_guardians: bool = True
    unarchive_classrooms_that_reappear: bool = True
    sync_updates_contact_details_of_active_users: bool = False
    mass_change_threshold: float = DEFAULT_THRESHOLD
    source: str = SOURCE_NAME
    updated_by: str | None = None
    updated_at: datetime | None = None

    def changed(self, changes: dict, *, by: str, at: datetime) -> SyncSettings:
        """These settings with `changes` laid over them; a threshold outside (0, 1] is refused."""
        threshold = changes.get("mass_change_threshold", self.mass_change_threshold)
        if not 0 < threshold <= 1:
            raise InvalidSetting("mass_change_threshold",
                                 f"{threshold} is not a share: give a number above 0 and at most 1 (0.10 is 10 %)")
        known = {f.name for f in fields(self)} - {"district_id", "updated_by", "updated_at"}
        return replace(self, **{name: value for name, value in changes.items() if name in known},
                       updated_by=by, updated_at=at)

    def as_payload(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def ownership(self) -> dict:
        """What the directory locks against changes by hand: nothing unless the district syncs daily."""
        return {"district_id": self.district_id, "source": self.source if self.daily_sync else None,
                "manages_guardians": self.sync_manages_guardians,
                "updates_contact_details_of_active_users": self.sync_updates_contact_details_of_active_users}

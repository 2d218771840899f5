"""Each district's sync settings in the rostering database; a district never saved has the defaults."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import district_settings
from services.rostering.domain.settings import SyncSettings
from shared.db import as_utc, dialect_insert

COLUMNS = ("daily_sync", "sync_manages_guardians", "unarchive_classrooms_that_reappear",
           "sync_updates_contact_details_of_active_users", "mass_change_threshold", "source", "updated_by",
           "updated_at")


class SettingsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, district_id: str) -> SyncSettings:
        row = self.session.execute(select(district_settings)
                                   .where(district_settings.c.district_id == district_id)).mappings().first()
        self.session.commit()
        if row is None:
            return SyncSettings(district_id)
        return SyncSettings(district_id, **{name: row[name] for name in COLUMNS if name != "updated_at"},
                            updated_at=as_utc(row["updated_at"]))

    def save(self, settings: SyncSettings) -> None:
        values = {name: getattr(settings, name) for name in COLUMNS}
        statement = dialect_insert(self.session, district_settings).values(district_id=settings.district_id, **values)
        self.session.execute(statement.on_conflict_do_update(index_elements=[district_settings.c.district_id],
                                                             set_=values))
        self.session.commit()

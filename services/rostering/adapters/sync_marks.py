"""When each district's last completed runs from its provider started, and where its change feed was left."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import source_sync_marks
from services.rostering.domain.sync_schedule import SyncMarks
from shared.db import as_utc, dialect_insert


class SyncMarksRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, district: str) -> SyncMarks:
        row = self.session.execute(select(source_sync_marks)
                                   .where(source_sync_marks.c.district == district)).mappings().first()
        self.session.commit()
        if row is None:
            return SyncMarks()
        return SyncMarks(as_utc(row["last_full_started_at"]), as_utc(row["last_started_at"]), row["event_cursor"])

    def save(self, district: str, marks: SyncMarks) -> None:
        values = {"last_full_started_at": marks.last_full_started_at, "last_started_at": marks.last_started_at,
                  "event_cursor": marks.event_cursor}
        statement = dialect_insert(self.session, source_sync_marks).values(district=district, **values)
        self.session.execute(statement.on_conflict_do_update(index_elements=[source_sync_marks.c.district],
                                                             set_=values))
        self.session.commit()

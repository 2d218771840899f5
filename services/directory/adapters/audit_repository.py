"""The directory's audit log: who changed what, before and after, and when.

Entries are written in the caller's transaction, beside the change they describe, so a change is
never stored without its entry nor an entry without its change.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from services.directory.adapters.tables import audit_log
from shared.db import as_utc


@dataclass(frozen=True)
class AuditEntry:
    district_id: str
    actor_id: str
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


class AuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entries: Sequence[AuditEntry]) -> None:
        """In the caller's transaction: the caller commits the change and its entries together."""
        if entries:
            self.session.execute(insert(audit_log), [
                {"id": uuid.uuid4().hex, **entry.__dict__} for entry in entries])

    def record_once(self, entry_id: str, entry: AuditEntry) -> bool:
        """An entry for a change another service made and announced: kept once under the id it announced,
        however often the event arrives. Commits; answers whether it was new."""
        if self.session.execute(select(audit_log.c.id).where(audit_log.c.id == entry_id)).first() is not None:
            return False
        self.session.execute(insert(audit_log), [{"id": entry_id, **entry.__dict__}])
        self.session.commit()
        return True

    def page(self, district_id: str, *, subject_id: str | None, actor_id: str | None,
             after: tuple[datetime, str] | None, limit: int) -> list[dict]:
        """Newest first (ties by id); `after` (at, id) continues from the last entry of the previous page."""
        query = select(audit_log).where(audit_log.c.district_id == district_id)
        if subject_id is not None:
            query = query.where(audit_log.c.subject_id == subject_id)
        if actor_id is not None:
            query = query.where(audit_log.c.actor_id == actor_id)
        if after is not None:
            at, entry_id = after
            query = query.where(or_(audit_log.c.at < at, and_(audit_log.c.at == at, audit_log.c.id > entry_id)))
        rows = self.session.execute(query.order_by(audit_log.c.at.desc(), audit_log.c.id).limit(limit)).mappings()
        return [{**row, "at": as_utc(row["at"])} for row in rows]

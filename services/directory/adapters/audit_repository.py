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

from sqlalchemy import func, insert, select
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
             offset: int, limit: int) -> tuple[list[dict], int]:
        """Newest first (ties by id), from `offset`; with how many entries match in all."""
        matching = [audit_log.c.district_id == district_id]
        if subject_id is not None:
            matching.append(audit_log.c.subject_id == subject_id)
        if actor_id is not None:
            matching.append(audit_log.c.actor_id == actor_id)
        total = self.session.execute(select(func.count()).select_from(audit_log).where(*matching)).scalar_one()
        rows = self.session.execute(select(audit_log).where(*matching).order_by(audit_log.c.at.desc(), audit_log.c.id)
                                    .offset(offset).limit(limit)).mappings()
        return [{**row, "at": as_utc(row["at"])} for row in rows], total

"""Rostering's two repositories on one worker's session: sync runs, and what the runs applied."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.rostering.adapters.applied_rows import AppliedRowRepository
from services.rostering.adapters.repository import SyncRunRepository


class SyncState:
    def __init__(self, session: Session) -> None:
        self.runs = SyncRunRepository(session)
        self.applied = AppliedRowRepository(session)

"""Rostering's repositories on one worker's session: runs, what the runs applied, held packages, settings,
and when each district's provider was last read."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.rostering.adapters.applied_rows import AppliedRowRepository
from services.rostering.adapters.held_runs import HeldRuns
from services.rostering.adapters.repository import SyncRunRepository
from services.rostering.adapters.settings_repository import SettingsRepository
from services.rostering.adapters.sync_marks import SyncMarksRepository


class SyncState:
    def __init__(self, session: Session) -> None:
        self.runs = SyncRunRepository(session)
        self.applied = AppliedRowRepository(session)
        self.held = HeldRuns(session)
        self.settings = SettingsRepository(session)
        self.marks = SyncMarksRepository(session)

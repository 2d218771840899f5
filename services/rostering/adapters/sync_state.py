"""Rostering's repositories on one worker's session: runs, what the runs applied, held packages, settings,
and when each district's provider was last read."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from services.rostering.adapters.applied_rows import AppliedRowRepository
from services.rostering.adapters.held_runs import HeldRuns
from services.rostering.adapters.repository import SyncRunRepository
from services.rostering.adapters.settings_repository import SettingsRepository
from services.rostering.adapters.sync_marks import SyncMarksRepository


class SyncState:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.runs = SyncRunRepository(session)
        self.applied = AppliedRowRepository(session)
        self.held = HeldRuns(session)
        self.settings = SettingsRepository(session)
        self.marks = SyncMarksRepository(session)

    @contextmanager
    def applied_beside(self) -> Iterator[AppliedRowRepository]:
        """What the runs applied, on a session (and a pooled connection) of its own: for a comparison a run starts
        ahead, while its own session is in use by the run's pages."""
        session = Session(self.session.get_bind(), expire_on_commit=False)
        try:
            yield AppliedRowRepository(session)
        finally:
            session.close()

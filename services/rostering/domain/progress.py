"""How far a run has got: its phase, the rows it read, the pages it applied, and when it should end.

A run moves through queued → reading → checking → applying (one stage per entity) → archiving; a
finished run keeps the progress it ended with. Pages to apply are first estimated from what was read
(every row a page's worth of work) and made exact as each stage works out which rows changed, so the
ETA is pessimistic early and right by the end.

Progress is written in batches, not per page: `ProgressThrottle` says when enough time has passed.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

QUEUED = "queued"
READING = "reading"
CHECKING = "checking"
APPLYING = "applying"
ARCHIVING = "archiving"
PHASES = (QUEUED, READING, CHECKING, APPLYING, ARCHIVING)

# A progress write at most this often while pages land: a run of 2,000 pages writes a few dozen times.
PROGRESS_INTERVAL = timedelta(seconds=1)


@dataclass
class RunProgress:
    phase: str = QUEUED
    stage: str | None = None  # while applying: the entity being sent (schools, people, ...)
    rows_read: int = 0
    pages_applied: int = 0
    # Pages each stage sends: estimated from the rows read, exact once the stage has compared its rows.
    stage_pages: dict[str, int] = field(default_factory=dict)
    stages_done: list[str] = field(default_factory=list)
    applying_since: datetime | None = None

    @property
    def pages_total(self) -> int:
        return sum(self.stage_pages.values())

    def reading(self) -> None:
        self.phase = READING

    def reading_rows(self, rows: int) -> None:
        self.rows_read = rows

    def read(self, rows: int, rows_per_stage: Mapping[str, int], page_rows: int) -> None:
        """The source is read whole: what each stage could send, at most, sets the first estimate."""
        self.phase, self.rows_read = CHECKING, rows
        self.stage_pages = {stage: pages_of(count, page_rows) for stage, count in rows_per_stage.items()}
        # An approved run reads its held package again: it starts applying from nothing.
        self.stages_done, self.pages_applied, self.applying_since = [], 0, None

    def applying(self, stage: str, pages: int, at: datetime) -> None:
        """A stage starts, knowing exactly how many pages it sends."""
        if self.applying_since is None:
            self.applying_since = at
        self.phase, self.stage = APPLYING, stage
        self.stage_pages[stage] = pages

    def page_applied(self, pages: int = 1) -> None:
        self.pages_applied += pages

    def stage_applied(self, stage: str) -> None:
        """Every page of the stage is answered (rows the contract refused never went: their pages count too)."""
        self.stages_done.append(stage)
        self.pages_applied = sum(self.stage_pages.get(done, 0) for done in self.stages_done)

    def archiving(self) -> None:
        self.phase, self.stage = ARCHIVING, None

    def eta_seconds(self, now: datetime) -> float | None:
        """Seconds until the last page lands at the pace so far; None until a page has landed."""
        if self.applying_since is None or self.pages_applied == 0:
            return None
        remaining = max(self.pages_total - self.pages_applied, 0)
        elapsed = (now - self.applying_since).total_seconds()
        return round(elapsed / self.pages_applied * remaining, 1)

    def as_payload(self, now: datetime | None) -> dict:
        return {"phase": self.phase, "stage": self.stage, "rows_read": self.rows_read,
                "pages_applied": self.pages_applied, "pages_total": self.pages_total,
                "applying_since": self.applying_since,
                "eta_seconds": None if now is None else self.eta_seconds(now)}

    def as_stored(self) -> dict:
        return {"phase": self.phase, "stage": self.stage, "rows_read": self.rows_read,
                "pages_applied": self.pages_applied, "stage_pages": dict(self.stage_pages),
                "stages_done": list(self.stages_done), "applying_since": self.applying_since.isoformat() if self.applying_since else None}

    @classmethod
    def from_stored(cls, stored: Mapping | None) -> RunProgress:
        if not stored:
            return cls()
        since = stored.get("applying_since")
        return cls(phase=stored["phase"], stage=stored.get("stage"), rows_read=stored["rows_read"],
                   pages_applied=stored["pages_applied"], stage_pages=dict(stored["stage_pages"]),
                   stages_done=list(stored.get("stages_done", [])), applying_since=datetime.fromisoformat(since) if since else None)


class RowCount:
    """Records read so far, for whoever reports progress while a reader (in a thread of its own) goes on:
    the sum of what each record stream it watches has counted (RecordStream.count grows as it is read)."""

    def __init__(self) -> None:
        self._streams: list = []

    def watching(self, stream: T) -> T:
        self._streams.append(stream)
        return stream

    @property
    def rows(self) -> int:
        return sum(stream.count for stream in list(self._streams))


def pages_of(rows: int, page_rows: int) -> int:
    return math.ceil(rows / page_rows) if rows > 0 else 0


@dataclass
class ProgressThrottle:
    """Says when progress is worth writing again: the first time, then once per `interval`."""

    interval: timedelta = PROGRESS_INTERVAL
    last_written: datetime | None = None

    def due(self, now: datetime) -> bool:
        if self.last_written is not None and now - self.last_written < self.interval:
            return False
        self.last_written = now
        return True

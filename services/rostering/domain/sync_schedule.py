"""Full or incremental: what a district's next run from its provider asks for.

A provider's incremental answer (OneRoster's `dateLastModified` filter) lists what changed, including
records marked tobedeleted, but not records it deleted outright: only a full read shows those, by no
longer listing them. So a district is read whole on its first run, when asked, and at least every
FULL_RUN_EVERY; in between a run asks for what changed since the last completed run started, less an
overlap for clocks that disagree (reading a change twice is harmless, missing one is not). A provider
with a change feed (Clever's events) is asked instead for what came after the last event a completed
run read: its `event_cursor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FULL_RUN_EVERY = timedelta(days=7)
OVERLAP = timedelta(minutes=10)


@dataclass(frozen=True)
class SyncMarks:
    """When the district's last completed full run, and last completed run of any kind, started; and where in
    its provider's change feed the next incremental run starts (None: the provider has none, or it is unknown)."""

    last_full_started_at: datetime | None = None
    last_started_at: datetime | None = None
    event_cursor: str | None = None


def changes_since(marks: SyncMarks, now: datetime, *, full_requested: bool = False) -> datetime | None:
    """The instant to ask for changes after, or None for a full run."""
    if full_requested or marks.last_full_started_at is None or marks.last_started_at is None:
        return None
    if now - marks.last_full_started_at >= FULL_RUN_EVERY:
        return None
    return marks.last_started_at - OVERLAP


def completed(marks: SyncMarks, started_at: datetime, *, full: bool, event_cursor: str | None = None) -> SyncMarks:
    """The marks once a run that started at `started_at`, and read its provider's feed up to `event_cursor`, has
    completed."""
    return SyncMarks(last_full_started_at=started_at if full else marks.last_full_started_at,
                     last_started_at=started_at, event_cursor=event_cursor)

"""When a district's provider is read, and how much of it: the daily schedule, then full or incremental.

The daily sync starts at the district's daily time in its own time zone, at most once a local day; a schedule
that was not running at that time (a restart) starts it up to CATCH_UP later, past midnight too (a 23:59 time
is not lost to a minute's outage), but never twice for one day.

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
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FULL_RUN_EVERY = timedelta(days=7)
OVERLAP = timedelta(minutes=10)
CATCH_UP = timedelta(hours=12)


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


def scheduled_day(now: datetime, *, daily_time: str, time_zone: str, last_scheduled_on: date | None) -> date | None:
    """The district's local day whose daily run is due now, or None: not time yet, that day had its run, or its
    time is more than CATCH_UP ago (after a long outage the next day's time comes first)."""
    zone = ZoneInfo(time_zone)
    day = now.astimezone(zone).date()
    if now < _instant(day, daily_time, zone):
        day -= timedelta(days=1)  # today's time is still to come: the latest time was yesterday's
    if now - _instant(day, daily_time, zone) >= CATCH_UP:
        return None
    if last_scheduled_on is not None and last_scheduled_on >= day:
        return None
    return day


def next_scheduled_at(now: datetime, *, daily_time: str, time_zone: str, last_scheduled_on: date | None) -> datetime:
    """When the schedule next starts the district's run (now, when it is due already)."""
    if scheduled_day(now, daily_time=daily_time, time_zone=time_zone, last_scheduled_on=last_scheduled_on):
        return now
    zone = ZoneInfo(time_zone)
    day = now.astimezone(zone).date()
    while _instant(day, daily_time, zone) <= now or (last_scheduled_on is not None and day <= last_scheduled_on):
        day += timedelta(days=1)
    return _instant(day, daily_time, zone).astimezone(now.tzinfo)


def _instant(day: date, daily_time: str, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.fromisoformat(daily_time), zone)

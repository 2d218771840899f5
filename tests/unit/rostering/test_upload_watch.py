"""The SFTP timer ticks often; a poll is due only once the configured interval has passed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.rostering.adapters.upload_watch import Watch

START = datetime(2026, 9, 1, 6, 0, tzinfo=timezone.utc)


def test_the_first_tick_polls_and_the_next_waits_for_the_interval():
    watch = Watch(timedelta(seconds=20))
    assert watch.due(START)
    assert not watch.due(START + timedelta(seconds=5))
    assert watch.due(START + timedelta(seconds=20))
    assert not watch.due(START + timedelta(seconds=39))


def test_an_interval_of_zero_polls_on_every_tick():
    watch = Watch(timedelta(0))
    assert all(watch.due(START) for _ in range(3))

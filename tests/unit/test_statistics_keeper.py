"""The statistics keeper checks when due, after work or from its own thread, never two checks at once and never
more often than its interval (the database side: tests/integration/shared/test_table_statistics.py)."""
from __future__ import annotations

import pytest

from shared import table_statistics
from shared.table_statistics import SHORTEST_PAUSE_SHARE, StatisticsKeeper
from shared.testing.clocks import SteppedClock

EVERY = 20.0


class Checks:
    """Stands in for analyze_stale_tables: records when each check ran, and may take time or run work meanwhile."""

    def __init__(self, clock: SteppedClock) -> None:
        self.clock, self.at, self.lasting, self.meanwhile = clock, [], 0.0, None

    def __call__(self, engine, *, vacuumed=()) -> list[str]:
        self.at.append(self.clock.now)
        if self.meanwhile is not None:
            self.meanwhile()
        self.clock.now += self.lasting
        return ["people"]


class Pauses:
    """Stands in for the thread's wait: moves the clock by each pause, running the work `work_at` a moment
    within it at that moment; answers stop after `count` pauses."""

    def __init__(self, clock: SteppedClock, count: int, work_at=None) -> None:
        self.clock, self.left, self.work, self.asked = clock, count, dict(work_at or {}), []

    def __call__(self, seconds: float) -> bool:
        self.asked.append(seconds)
        if self.left == 0:
            return True
        self.left -= 1
        until = self.clock.now + seconds
        for moment in sorted(moment for moment in self.work if moment <= until):
            self.clock.now = moment
            self.work.pop(moment)()
        self.clock.now = until
        return False


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def checks(clock, monkeypatch) -> Checks:
    recorded = Checks(clock)
    monkeypatch.setattr(table_statistics, "analyze_stale_tables", recorded)
    return recorded


def test_a_quiet_service_is_checked_once_an_interval_with_no_work_at_all(clock, checks):
    keeper = StatisticsKeeper(object(), every=EVERY, clock=clock)

    keeper.keep_up(pause=Pauses(clock, count=3))

    assert checks.at == [1020.0, 1040.0, 1060.0]  # the first after a whole interval: nothing written at start


def test_a_check_after_work_puts_the_threads_next_check_off(clock, checks):
    keeper = StatisticsKeeper(object(), every=EVERY, clock=clock)
    pauses = Pauses(clock, count=2, work_at={1005.0: keeper.check_when_due})  # a worker finished at 1005

    keeper.keep_up(pause=pauses)

    assert checks.at == [1005.0, 1025.0]
    assert pauses.asked == [EVERY, 5.0, EVERY]  # at 1020 not yet due: it waited for 1025, then a whole interval


def test_work_between_the_threads_checks_is_checked_at_most_once_an_interval(clock, checks):
    keeper = StatisticsKeeper(object(), every=EVERY, clock=clock)

    def work_done():
        assert keeper.check_when_due() == []  # the thread checked at 1020: not yet time

    keeper.keep_up(pause=Pauses(clock, count=2, work_at={1030.0: work_done}))

    assert checks.at == [1020.0, 1040.0]


def test_a_check_a_worker_has_under_way_is_not_doubled_by_the_thread(clock, checks):
    keeper = StatisticsKeeper(object(), every=EVERY, clock=clock)
    checks.meanwhile = lambda: keeper.keep_up(pause=Pauses(clock, count=1))  # the thread wakes during it
    clock.now += EVERY

    keeper.check_when_due()

    assert checks.at == [1020.0]


def test_a_check_longer_than_an_interval_is_followed_by_a_pause_not_a_spin(clock, checks):
    keeper = StatisticsKeeper(object(), every=EVERY, clock=clock)
    checks.lasting = 50.0  # a VACUUM of a big table on a loaded box
    pauses = Pauses(clock, count=2)

    keeper.keep_up(pause=pauses)

    # The second was due 20 s after the first began, long before it ended: it waits the shortest pause only.
    assert checks.at == [1020.0, 1070.0 + SHORTEST_PAUSE_SHARE * EVERY]
    assert pauses.asked == [EVERY, SHORTEST_PAUSE_SHARE * EVERY, SHORTEST_PAUSE_SHARE * EVERY]


def test_a_stop_asked_during_a_pause_ends_the_thread_without_a_check(clock, checks):
    keeper = StatisticsKeeper(object(), every=EVERY, clock=clock)

    keeper.keep_up(pause=Pauses(clock, count=0))

    assert checks.at == []


def test_a_failing_check_is_logged_and_the_thread_keeps_going(clock, monkeypatch, caplog):
    def broken(engine, *, vacuumed=()):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(table_statistics, "analyze_stale_tables", broken)
    keeper = StatisticsKeeper(object(), every=EVERY, clock=clock)
    pauses = Pauses(clock, count=2)

    keeper.keep_up(pause=pauses)

    assert pauses.asked == [EVERY, EVERY, EVERY]
    assert caplog.text.count("could not bring table statistics up to date") == 2

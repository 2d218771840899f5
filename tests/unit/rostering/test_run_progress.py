"""A run's progress: phases, pages estimated then exact, ETA at the pace so far, writes in batches."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rostering_builders import make_snapshot
from rostering_fakes import CountedStream, Importer

from services.rostering import handlers
from services.rostering.domain.progress import ProgressThrottle, RowCount, RunProgress, pages_of
from services.rostering.domain.run import ABANDONED

START = datetime(2025, 9, 1, 6, 0, tzinfo=timezone.utc)


def test_pages_are_estimated_from_the_rows_read_then_made_exact_stage_by_stage():
    progress = RunProgress()
    progress.reading()
    progress.read(5_300, {"schools": 3, "people": 2_500, "enrollments": 2_800}, page_rows=1000)

    assert (progress.phase, progress.rows_read, progress.pages_total) == ("checking", 5_300, 1 + 3 + 3)
    progress.applying("schools", 1, START)
    progress.stage_applied("schools")
    progress.applying("people", 0, START + timedelta(seconds=1))  # every person unchanged since the last import

    assert progress.pages_total == 1 + 0 + 3 and progress.pages_applied == 1
    assert (progress.phase, progress.stage, progress.applying_since) == ("applying", "people", START)


def test_the_eta_is_the_remaining_pages_at_the_pace_so_far_and_unknown_before_a_page_landed():
    progress = RunProgress()
    progress.read(10_000, {"people": 10_000}, page_rows=1000)
    progress.applying("people", 10, START)
    assert progress.eta_seconds(START + timedelta(seconds=5)) is None

    progress.page_applied(4)

    assert progress.eta_seconds(START + timedelta(seconds=8)) == 12.0  # 2 s a page, 6 pages to go


@given(st.integers(0, 10_000), st.integers(1, 2_000))
def test_pages_of_cover_every_row_with_no_empty_page(rows, page_rows):
    pages = pages_of(rows, page_rows)

    assert pages * page_rows >= rows and (pages - 1) * page_rows < rows or (rows == pages == 0)


def test_progress_reads_back_as_it_was_stored():
    progress = RunProgress()
    progress.read(12, {"schools": 2, "people": 10}, page_rows=1000)
    progress.applying("schools", 1, START)
    progress.stage_applied("schools")

    assert RunProgress.from_stored(progress.as_stored()) == progress
    assert RunProgress.from_stored(None) == RunProgress()  # a run from before progress was recorded


def test_the_throttle_lets_a_write_through_once_per_interval():
    throttle = ProgressThrottle(interval=timedelta(seconds=1))

    moments = [START + timedelta(milliseconds=ms) for ms in (0, 300, 999, 1000, 1500, 2100)]

    assert [throttle.due(moment) for moment in moments] == [True, False, False, True, False, True]


def test_an_import_answers_a_queued_run_and_its_worker_records_progress_in_batches():
    importer = Importer()
    importer.packages_read["/exports/lincoln"] = make_snapshot()

    started = importer.request_import()
    assert started["state"] == "running" and started["progress"]["phase"] == "queued"
    assert started["short_id"] == started["run_id"][:8]
    handlers.run_package_import(importer.published[-1][1], ports=importer.ports())

    run = importer.runs.get(started["run_id"])
    assert run.state == "completed" and run.progress.pages_applied == run.progress.pages_total > 0
    phases = [(written.phase, written.stage) for written in importer.runs.progress_writes]
    assert phases[:3] == [("reading", None), ("reading", None), ("checking", None)]
    assert phases[-1] == ("archiving", None)
    snapshot = importer.packages_read["/exports/lincoln"]
    counted = len(snapshot.people + snapshot.orgs + snapshot.classes + snapshot.enrollments)
    assert importer.runs.progress_writes[1].rows_read == counted  # counted while the package was read
    assert ("applying", "people") in phases
    # Pages landing write at most once a second (the fake clock ticks a second a call, so each may write).
    assert len(importer.runs.progress_writes) <= 4 + 2 * 6


def test_a_redelivered_import_event_does_not_run_the_import_twice():
    importer = Importer()
    importer(make_snapshot())
    calls = len(importer.directory.calls)

    request_event = next(payload for name, payload in importer.published if name == "package_import_requested.v1")

    assert handlers.run_package_import(request_event, ports=importer.ports()) is None
    assert len(importer.directory.calls) == calls


def test_a_second_run_of_a_district_is_rejected_naming_the_running_one():
    importer = Importer()
    importer.packages_read["/exports/a"] = importer.packages_read["/exports/b"] = make_snapshot()
    first = importer.request_import("/exports/a")
    stored = importer.runs.stored[first["run_id"]]
    importer.runs.claim(stored, "district-1", "worker-1", importer.clock())
    importer.runs.beat("worker-1", importer.clock())

    second = importer.request_import("/exports/b")
    handlers.run_package_import(importer.published[-1][1], ports=importer.ports())

    refused = importer.runs.get(second["run_id"])
    assert refused.state == "rejected" and "already being synced by run run-1" in refused.message
    assert importer.methods_called() == []


def test_a_second_request_for_a_package_being_imported_is_refused_at_once():
    importer = Importer()
    importer.packages_read["/exports/lincoln"] = make_snapshot()
    first = importer.request_import()

    with pytest.raises(Exception, match=f"already being synced by run {first['short_id']}"):
        importer.request_import()


def _importing_lincoln(*, worker: str) -> tuple[Importer, dict]:
    """An importer whose package /exports/lincoln is being imported by `worker` (the run as answered)."""
    importer = Importer()
    importer.packages_read["/exports/lincoln"] = make_snapshot()
    run = importer.request_import()
    importer.runs.claim(importer.runs.stored[run["run_id"]], "district-1", worker, importer.clock())
    return importer, run


def test_a_package_whose_running_import_lost_its_worker_is_accepted_again_without_waiting_for_the_timer():
    importer, dead = _importing_lincoln(worker="dead-worker")
    importer.clock.now += timedelta(minutes=5)

    again = importer.request_import()

    assert again["run_id"] != dead["run_id"]
    assert importer.runs.get(dead["run_id"]).state == "failed"
    assert importer.runs.get(dead["run_id"]).message == ABANDONED


def _timer_fails_abandoned_first(importer: Importer, read: str) -> None:
    """A restarted service's first beat fails the dead run just after the request has read it as running."""
    runs = importer.runs
    read_first = getattr(runs, read)

    def read_then_timer(*args, **kwargs):
        answer = read_first(*args, **kwargs)
        handlers.keep_runs_alive(runs=runs, owner="restarted", clock=importer.clock)
        return answer

    setattr(runs, read, read_then_timer)


def test_a_package_is_accepted_when_the_timer_fails_its_dead_run_at_the_same_moment():
    importer, dead = _importing_lincoln(worker="dead-worker")
    importer.clock.now += timedelta(minutes=5)
    _timer_fails_abandoned_first(importer, "running_from")

    again = importer.request_import()

    assert again["run_id"] != dead["run_id"]
    assert importer.runs.get(dead["run_id"]).message == ABANDONED


def test_a_package_whose_import_is_alive_is_still_refused_however_long_it_runs():
    importer, first = _importing_lincoln(worker="worker-1")
    importer.clock.now += timedelta(minutes=30)
    importer.runs.beat("worker-1", importer.clock())

    with pytest.raises(Exception, match=f"already being synced by run {first['short_id']}"):
        importer.request_import()
    assert importer.runs.get(first["run_id"]).state == "running"


@pytest.mark.parametrize("timer_at_the_same_moment", [False, True])
def test_a_run_whose_worker_died_is_failed_and_the_next_run_of_the_district_goes_ahead(timer_at_the_same_moment):
    importer = Importer()
    importer.packages_read["/exports/a"] = importer.packages_read["/exports/b"] = make_snapshot()
    dead = importer.request_import("/exports/a")
    importer.runs.claim(importer.runs.stored[dead["run_id"]], "district-1", "dead-worker", importer.clock())
    importer.clock.now += timedelta(minutes=5)

    second = importer.request_import("/exports/b")
    if timer_at_the_same_moment:  # the claim reads the district's dead run, then the timer fails it
        _timer_fails_abandoned_first(importer, "running_in")
    handlers.run_package_import(importer.published[-1][1], ports=importer.ports())

    assert importer.runs.get(second["run_id"]).state == "completed"
    assert importer.runs.get(dead["run_id"]).message == ABANDONED


def test_keeping_runs_alive_beats_for_the_worker_and_fails_the_silent():
    importer = Importer()
    importer.packages_read["/exports/a"] = importer.packages_read["/exports/b"] = make_snapshot()
    mine, silent = importer.request_import("/exports/a"), importer.request_import("/exports/b")
    importer.runs.claim(importer.runs.stored[mine["run_id"]], "district-1", "me", importer.clock())
    importer.runs.claim(importer.runs.stored[silent["run_id"]], "district-2", "gone", importer.clock())
    importer.clock.now += timedelta(minutes=2)

    failed = handlers.keep_runs_alive(runs=importer.runs, owner="me", clock=importer.clock)

    assert failed == [silent["run_id"]]
    assert importer.runs.get(mine["run_id"]).state == "running"


def test_a_row_count_sums_what_its_streams_have_counted_so_far():
    count = RowCount()
    count.watching(CountedStream(3))
    growing = count.watching(CountedStream(0))
    growing.count = 4

    assert count.rows == 7


def test_a_run_whose_worker_died_while_reading_is_failed_too():
    importer = Importer()
    started = importer.request_import()
    # Taken up, not yet claimed for a district: the worker died reading the package.
    importer.runs.take_up(importer.runs.stored[started["run_id"]], "dead-worker", importer.clock())
    importer.clock.now += timedelta(minutes=5)

    assert handlers.keep_runs_alive(runs=importer.runs, owner="me", clock=importer.clock) == [started["run_id"]]


def test_the_worker_that_takes_up_a_run_owns_it_before_it_reads():
    importer = Importer()
    importer(make_snapshot())

    assert importer.runs.owners == {"run-1": importer.ports().owner}


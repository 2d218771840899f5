"""The held-run repository on PostgreSQL: change rows stored a page at a time, read back in order."""
from datetime import datetime, timezone

import pytest

from services.rostering.adapters import held_runs
from services.rostering.adapters.held_runs import HeldRuns
from services.rostering.adapters.repository import SyncRunRepository
from services.rostering.domain.run import SyncRun

pytestmark = pytest.mark.postgres


def make_change(n: int) -> dict:
    return {"entity": "people", "key": f"student-{n}", "file": "users.csv", "line": n + 2,
            "reason": "no longer in the full users.csv", "outcome": "done", "name": f"Student {n}",
            "kinds": ["student"], "school_ids": ["school-1"]}


@pytest.fixture
def held(rostering_session, monkeypatch):
    monkeypatch.setattr(held_runs, "CHANGES_PAGE", 3)
    SyncRunRepository(rostering_session).add(
        SyncRun(run_id="run-1", source="/exports/lincoln", started_at=datetime(2025, 9, 1, tzinfo=timezone.utc)))
    return HeldRuns(rostering_session)


def test_changes_built_as_they_are_stored_read_back_whole_and_in_order_across_pages(held):
    built = []

    def changes():
        for n in range(8):
            built.append(n)
            yield make_change(n)

    held.keep("run-1", package=b"zip", request={"path": "/exports/lincoln"}, archive_digest="digest",
              changes=changes())

    assert built == list(range(8))
    assert held.changes("run-1", entity=None, offset=0, limit=100) == ([make_change(n) for n in range(8)], 8)
    assert held.changes("run-1", entity="people", offset=2, limit=4) == ([make_change(n) for n in range(2, 6)], 8)
    assert held.package("run-1") == (b"zip", {"path": "/exports/lincoln"}, "digest")


def test_a_run_that_went_ahead_records_its_changes_in_pages_too(held):
    held.record_changes("run-1", (make_change(n) for n in range(5)))

    assert held.changes("run-1", entity=None, offset=0, limit=100) == ([make_change(n) for n in range(5)], 5)


def test_no_changes_store_nothing(held):
    held.record_changes("run-1", iter(()))

    assert held.changes("run-1", entity=None, offset=0, limit=100) == ([], 0)

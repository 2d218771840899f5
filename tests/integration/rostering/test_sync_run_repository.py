from datetime import datetime, timezone

import pytest
from sqlalchemy.orm import Session

from services.rostering.adapters.repository import SyncRunRepository
from services.rostering.domain.run import EntityCounts, SyncRun
from shared.db import make_engine
from shared.migrations import upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def runs(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rostering.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")("rostering")
    upgrade("rostering", url)
    engine = make_engine(url)
    with Session(engine) as session:
        yield SyncRunRepository(session)
    engine.dispose()


def make_run(**overrides) -> SyncRun:
    return SyncRun(**{"run_id": "run-1", "source": "/exports/lincoln",
                      "started_at": datetime(2025, 9, 1, 6, 0, tzinfo=timezone.utc), **overrides})


def test_a_run_reads_back_as_it_was_saved_with_utc_times(runs):
    run = make_run()
    runs.add(run)
    run.district_id = "d-1"
    run.counts["people"] = EntityCounts(created=3, failed=1)
    run.errors.append({"file": "users.csv", "line": 3, "column": "email", "value": "ada@", "reason": "invalid"})
    run.warnings.append({"file": "users.csv", "line": 4, "column": "status", "value": "tobedeleted",
                         "reason": "skipped"})
    run.complete(datetime(2025, 9, 1, 6, 5, tzinfo=timezone.utc))
    runs.save(run)

    assert runs.get("run-1") == run


def test_a_run_in_progress_is_readable_before_it_finishes(runs):
    runs.add(make_run())

    stored = runs.get("run-1")

    assert stored.state == "running" and stored.finished_at is None and stored.counts == {}


def test_an_unknown_run_is_none(runs):
    assert runs.get("nope") is None


def test_recent_runs_come_newest_first_and_limited(runs):
    for day in (1, 3, 2):
        runs.add(make_run(run_id=f"run-{day}", started_at=datetime(2025, 9, day, 6, 0, tzinfo=timezone.utc)))

    assert [run.run_id for run in runs.recent(2)] == ["run-3", "run-2"]

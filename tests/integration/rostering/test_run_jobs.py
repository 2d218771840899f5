"""Imports as jobs through the running service: answered at once, progress recorded as they go, one running run
per district, and what a dead worker left running failed so the next run picks up."""
from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta, timezone

import pytest
from run_waiting import ended, imported, wait_for
from sqlalchemy import insert, select, update

from services.rostering.adapters.tables import applied_rows, sync_runs
from services.rostering.domain.run import ABANDONED
from shared.contracts.errors import Conflict
from shared.db import make_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def rostering_db(rostering_database_url):
    engine = make_engine(rostering_database_url)
    yield engine
    engine.dispose()


def wait_until(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert condition()


def test_an_import_answers_its_queued_run_at_once_and_records_its_progress(rostering_rpc, package):
    started = rostering_rpc.import_package({"path": str(package)})

    assert started["state"] == "running" and started["short_id"] == started["run_id"][:8]
    assert started["progress"]["phase"] == "queued"
    run = ended(rostering_rpc, started["run_id"])
    progress = run["progress"]
    assert run["state"] == "completed" and progress["rows_read"] > 0
    assert progress["pages_applied"] == progress["pages_total"] > 0 and progress["eta_seconds"] is None


def test_a_running_import_shows_its_phase_stage_and_pages_and_is_found_by_its_short_id(rostering_rpc, recorder,
                                                                                      package):
    recorder.hold("upsert_enrollments")
    started = rostering_rpc.import_package({"path": str(package)})
    try:
        wait_until(lambda: recorder.calls_to("upsert_enrollments"))
        running = rostering_rpc.get_sync_run({"run_id": started["short_id"]})
        assert running["run_id"] == started["run_id"] and running["state"] == "running"
        assert running["progress"]["phase"] == "applying" and running["progress"]["stage"] == "enrollments"
        assert 0 < running["progress"]["pages_applied"] < running["progress"]["pages_total"]
        assert running["progress"]["eta_seconds"] is not None
    finally:
        recorder.release()
    assert ended(rostering_rpc, started["run_id"])["state"] == "completed"


def test_a_second_run_of_a_district_is_refused_naming_the_running_one(rostering_rpc, recorder, package, tmp_path):
    recorder.hold("upsert_people")
    first = rostering_rpc.import_package({"path": str(package)})
    try:
        wait_until(lambda: recorder.calls_to("upsert_people"))
        with pytest.raises(Conflict, match=f"already being synced by run {first['short_id']}"):
            rostering_rpc.import_package({"path": str(package)})  # the same package: refused at once
        copy = shutil.copytree(package, tmp_path / "same-district")
        second = ended(rostering_rpc, rostering_rpc.import_package({"path": str(copy)})["run_id"])
    finally:
        recorder.release()

    assert second["state"] == "rejected"  # another package of the same district: refused once read
    assert f"district Lincoln USD is already being synced by run {first['short_id']}" in second["message"]
    assert ended(rostering_rpc, first["run_id"])["state"] == "completed"
    assert imported(rostering_rpc, {"path": str(copy)})["state"] == "completed"  # free again once it ended


def test_a_run_left_by_a_dead_worker_is_failed_and_the_next_run_picks_up(rostering_rpc, recorder, package,
                                                                         running_services, start_rostering,
                                                                         rostering_db):
    recorder.hold("upsert_enrollments")
    crashed = rostering_rpc.import_package({"path": str(package)})
    wait_until(lambda: recorder.calls_to("upsert_enrollments"))
    # The worker dies mid-run: its run stays `running` and stops beating (as if minutes had passed).
    running_services["rostering"].kill()
    recorder.release()
    with rostering_db.begin() as connection:
        connection.execute(update(sync_runs).where(sync_runs.c.id == crashed["run_id"]).values(
            state="running", finished_at=None, heartbeat_at=datetime.now(timezone.utc) - timedelta(minutes=5)))
    people_sent = len(recorder.calls_to("upsert_people"))

    start_rostering()
    run = imported(rostering_rpc, {"path": str(package)})

    assert run["state"] == "completed", run["message"]
    assert rostering_rpc.get_sync_run({"run_id": crashed["run_id"]})["message"] == ABANDONED
    assert len(recorder.calls_to("upsert_people")) == people_sent  # applied before the crash: not sent again
    assert run["counts"]["enrollments"]["created"] + run["counts"]["enrollments"]["unchanged"] >= 1


def test_a_starting_service_fails_what_a_dead_worker_left_running(start_rostering, rostering_db, rostering_rpc):
    silent_since = datetime.now(timezone.utc) - timedelta(minutes=5)
    with rostering_db.begin() as connection:
        connection.execute(insert(sync_runs).values(
            id="dead0000dead0000dead0000dead0000", state="running", source="/exports/lincoln", started_at=silent_since,
            counts={}, errors=[], warnings=[], district_key="district-1", owner="gone:1:abc", heartbeat_at=silent_since))

    start_rostering()

    run = wait_for(rostering_rpc, "dead0000", "failed")
    assert run["message"] == ABANDONED and run["finished_at"] is not None
    with rostering_db.connect() as connection:
        assert connection.execute(select(applied_rows)).all() == []  # nothing was half-remembered

"""rostering's events commit in the transaction of the run (or settings) they speak of, on PostgreSQL: a process
killed right after that commit still has its event in the outbox, a commit the database refuses leaves neither,
and a write the database refuses (an approval while the district is busy) leaves no event behind for a later
commit of the same worker_session to carry out."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from services.rostering import handlers, settings_handlers
from services.rostering.adapters.sync_state import SyncState
from services.rostering.adapters.tables import district_settings, sync_runs
from services.rostering.domain.run import AWAITING_APPROVAL, COMPLETED, SyncRun
from shared.contracts import rostering
from shared.contracts.errors import Conflict
from shared.testing.transaction_faults import DiesAfter, ProcessKilled, commits_refused, outbox_events

AT = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
IMPORT = {"path": "/exports/lincoln", "region": "US", "district_name": None, "full": False, "requested_by": None}
SERVICE_CONTRACT = rostering.contract  # tests/conftest.py: service_engine, worker_session, staged_publish


@pytest.fixture
def state(worker_session):
    return SyncState(worker_session)


@dataclass
class Ports:
    """What the handlers here use of ImportPorts."""
    runs: object
    publish: object
    clock: object = field(default=lambda: AT)
    give_back_memory: object = field(default=lambda: None)


def run_states(service_engine) -> dict[str, str]:
    with service_engine.connect() as connection:
        return dict(connection.execute(select(sync_runs.c.id, sync_runs.c.state)).all())


def test_an_import_whose_process_dies_after_the_run_is_stored_is_requested_in_the_outbox(
        service_engine, state, staged_publish):
    with pytest.raises(ProcessKilled):
        handlers.import_package(IMPORT, ports=Ports(DiesAfter(state.runs, "add"), staged_publish),
                                new_id=lambda: "run-1")

    assert run_states(service_engine) == {"run-1": "running"}
    assert outbox_events(service_engine) == [(rostering.PACKAGE_IMPORT_REQUESTED.name, {"run_id": "run-1", **IMPORT})]


def test_an_import_whose_commit_is_refused_leaves_neither_the_run_nor_its_request(
        service_engine, worker_session, state, staged_publish):
    with commits_refused(service_engine, worker_session), pytest.raises(OperationalError):
        handlers.import_package(IMPORT, ports=Ports(state.runs, staged_publish), new_id=lambda: "run-1")

    assert run_states(service_engine) == {} and outbox_events(service_engine) == []


def held_run(state, run_id: str = "held0001") -> SyncRun:
    run = SyncRun(run_id=run_id, source="/exports/lincoln", started_at=AT, district_id="district-1")
    state.runs.add(run)
    state.runs.claim(run, "district-1", "worker-1", AT)
    run.hold("too many leave", {}, AT)
    state.runs.save(run)
    state.held.keep(run_id, package=b"package", request=dict(IMPORT), archive_digest="digest", changes=[])
    return run


def approve(state, publish, run_id: str = "held0001") -> dict:
    return handlers.approve_sync_run({"run_id": run_id, "decided_by": "admin-1", "reason": None},
                                     runs=state.runs, held=state.held, publish=publish, clock=lambda: AT)


def test_an_approval_refused_while_the_district_is_busy_leaves_no_event_for_a_later_commit(
        service_engine, state, staged_publish):
    held_run(state)
    newer = SyncRun(run_id="newr0001", source="/exports/lincoln", started_at=AT + timedelta(minutes=1))
    state.runs.add(newer)
    state.runs.claim(newer, "district-1", "worker-2", AT)

    with pytest.raises(Conflict):
        approve(state, staged_publish)
    newer.complete(AT)
    state.runs.save(newer)  # the worker_session's next commit: the refused approval's event must not ride on it

    assert run_states(service_engine) == {"held0001": AWAITING_APPROVAL, "newr0001": COMPLETED}
    assert outbox_events(service_engine) == []


def test_an_approval_whose_process_dies_after_its_commit_has_its_event_in_the_outbox(
        service_engine, state, staged_publish):
    held_run(state)

    with pytest.raises(ProcessKilled):
        handlers.approve_sync_run({"run_id": "held0001", "decided_by": "admin-1", "reason": None},
                                  runs=DiesAfter(state.runs, "save"), held=state.held, publish=staged_publish,
                                  clock=lambda: AT)

    assert run_states(service_engine) == {"held0001": "running"}
    assert outbox_events(service_engine) == [(rostering.SYNC_RUN_APPROVED.name, {"run_id": "held0001"})]


def test_a_finished_run_whose_process_dies_after_its_save_has_its_completion_in_the_outbox(
        service_engine, state, staged_publish):
    run = SyncRun(run_id="run-1", source="/exports/lincoln", started_at=AT, district_id="district-1")
    state.runs.add(run)

    with pytest.raises(ProcessKilled):
        handlers.finish_run(run, Ports(DiesAfter(state.runs, "save"), staged_publish), lambda: run.complete(AT))

    assert run_states(service_engine) == {"run-1": COMPLETED}
    assert outbox_events(service_engine) == [(rostering.SYNC_RUN_COMPLETED.name, {
        "run_id": "run-1", "state": COMPLETED, "district_id": "district-1", "error_count": 0})]


def test_a_run_that_stopped_unexpectedly_is_saved_failed_with_its_completion(service_engine, state, staged_publish):
    run = SyncRun(run_id="run-1", source="/exports/lincoln", started_at=AT, district_id="district-1")
    state.runs.add(run)

    def work() -> None:
        raise RuntimeError("the directory went away")

    with pytest.raises(RuntimeError):
        handlers.finish_run(run, Ports(state.runs, staged_publish), work)

    assert run_states(service_engine) == {"run-1": "failed"}
    assert [(event, payload["state"]) for event, payload in outbox_events(service_engine)] == [
        (rostering.SYNC_RUN_COMPLETED.name, "failed")]


def test_a_finished_run_whose_save_is_refused_leaves_it_running_and_announces_nothing(
        service_engine, worker_session, state, staged_publish):
    run = SyncRun(run_id="run-1", source="/exports/lincoln", started_at=AT, district_id="district-1")
    state.runs.add(run)

    with commits_refused(service_engine, worker_session), pytest.raises(OperationalError):
        handlers.finish_run(run, Ports(state.runs, staged_publish), lambda: run.complete(AT))

    assert run_states(service_engine) == {"run-1": "running"} and outbox_events(service_engine) == []


class Directory:
    def set_district_sync(self, ownership: dict) -> None:
        raise AssertionError("the process died before telling the directory")


def test_a_settings_change_whose_process_dies_after_its_commit_has_its_audit_in_the_outbox(
        service_engine, state, staged_publish):
    request = rostering.UpdateDistrictSyncSettingsRequest().load(
        {"district_id": "district-1", "changed_by": "admin-1", "mass_change_threshold": 0.2})

    with pytest.raises(ProcessKilled):
        settings_handlers.update_district_sync_settings(
            request, settings=DiesAfter(state.settings, "save"), secrets=None, directory=Directory(),
            publish=staged_publish, clock=lambda: AT, new_id=lambda: "change-1")

    with service_engine.connect() as connection:
        assert connection.execute(select(district_settings.c.mass_change_threshold)).scalar() == 0.2
    [(event, payload)] = outbox_events(service_engine)
    assert (event, payload["change_id"], payload["after"]) == (
        rostering.DISTRICT_SYNC_SETTINGS_CHANGED.name, "change-1", {"mass_change_threshold": 0.2})

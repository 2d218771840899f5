"""Runs from a district's provider (ClassLink, Clever): started at once, read and applied in the background.

`sync_district` answers the run, running, and publishes DISTRICT_SYNC_REQUESTED; rostering's own
subscription carries it out: full or incremental as domain/sync_schedule.py decides, the roster read
whole from the provider, then applied exactly as a package import (importing.py). A source that cannot be
read (refused credentials, garbage answers, a failure part way) rejects the run with nothing applied.
"""
from __future__ import annotations

from collections.abc import Callable

from services.rostering.domain.errors import UnknownSource
from services.rostering.domain.progress import QUEUED
from services.rostering.domain.run import COMPLETED, RUNNING, SyncRun
from services.rostering.domain.sync_schedule import changes_since, completed
from services.rostering.handlers import finish_run, known_region, new_run_id
from services.rostering.importing import ImportPorts, run_import
from services.rostering.ports import ProviderSource
from shared.contracts import rostering
from shared.contracts.errors import InvalidRequest


def sync_district(request: dict, *, ports: ImportPorts, new_id: Callable[[], str] = new_run_id) -> dict:
    known_region(request["region"])
    try:
        description = ports.sources.describe(request["district"])
    except UnknownSource as unknown:
        raise InvalidRequest(str(unknown), fields={"district": [str(unknown)]}) from None
    run = SyncRun(run_id=new_id(), source=description, started_at=ports.clock())
    ports.runs.add(run)
    ports.publish(rostering.DISTRICT_SYNC_REQUESTED, {"run_id": run.run_id, **request})
    return run.as_payload(ports.clock())


def run_district_sync(payload: dict, *, ports: ImportPorts) -> str | None:
    """The background half: read the district's provider and apply what it says."""
    run = ports.runs.get(payload["run_id"])
    if run is None or run.state != RUNNING or run.progress.phase != QUEUED:
        return None  # taken up already (a redelivered event); a dead worker's run is failed by keep_runs_alive
    district = payload["district"]
    marks = ports.marks.get(district)
    since = changes_since(marks, run.started_at, full_requested=payload["full"])
    # `district` says, when the run is held, that its kept roster is a provider's (handlers.apply_approved_run).
    request = {"district": district, "region": payload["region"], "district_name": None, "full": False,
               "requested_by": payload.get("requested_by")}

    # A feed's cursor only continues an incremental run: a full one starts the feed afresh.
    after_event = marks.event_cursor if since is not None else None
    read: list[ProviderSource] = []

    def work() -> None:
        try:
            source = ports.sources.for_district(district, changed_since=since, after_event=after_event)
        except UnknownSource as unknown:
            run.reject(str(unknown), ports.clock())
            return
        read.append(source)
        run.source = source.description
        run_import(request, run, ports, source=source)

    finish_run(run, ports, work)
    if run.state == COMPLETED:
        cursor = read[0].event_cursor if read else None
        ports.marks.save(district, completed(marks, run.started_at, full=since is None, event_cursor=cursor))
    return run.state

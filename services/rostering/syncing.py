"""Runs from a district's provider (ClassLink, Clever: the source its settings name): started at once, by a
request or by the daily schedule, read and applied in the background. An SFTP district's roster is picked up
when its SIS drops it (sftp_pickup.py), not by these runs.

`sync_district` answers the run, running, and publishes DISTRICT_SYNC_REQUESTED; rostering's own
subscription carries it out: full or incremental as domain/sync_schedule.py decides, the roster read
whole from the provider, then applied exactly as a package import (importing.py). A source that cannot be
read (refused credentials, garbage answers, a failure part way) rejects the run with nothing applied.
A district has at most one run at a time: a second request while one runs is refused.

`start_due_syncs` is the daily schedule (a timer calls it every minute): each district whose daily sync is
on is started at its daily time, once a local day (domain/sync_schedule.scheduled_day), the day claimed in
the database first so two rostering instances never both start it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from services.rostering.domain.errors import UnknownSource
from services.rostering.domain.progress import QUEUED
from services.rostering.domain.run import COMPLETED, RUNNING, SyncRun
from services.rostering.domain.sync_schedule import changes_since, completed, next_scheduled_at, scheduled_day
from services.rostering.handlers import finish_run, known_region, new_run_id
from services.rostering.importing import ImportPorts, run_import
from services.rostering.ports import ProviderSource
from services.rostering.sending import ApplyFailed, calling
from shared.contracts import rostering
from shared.contracts.errors import Conflict, InvalidRequest

log = logging.getLogger(__name__)
# The run's requested_by when the daily schedule started it.
SCHEDULE = "schedule"


def sync_district(request: dict, *, ports: ImportPorts, new_id: Callable[[], str] = new_run_id) -> dict:
    district = request["district"]
    region = request.get("region") or ports.settings.get(district).region
    known_region(region)
    description = _described(district, ports)
    running = _running_run(district, ports)
    if running is not None:
        reason = f"district {district} has a run in progress ({running}): wait for it to end"
        raise Conflict(reason, fields={"district": [reason]})
    run = SyncRun(run_id=new_id(), source=description, started_at=ports.clock(), district_id=district)
    ports.runs.add(run, announce=lambda: ports.publish(rostering.DISTRICT_SYNC_REQUESTED,
                                                       {"run_id": run.run_id, **request, "region": region}))
    return run.as_payload(ports.clock())


def plan_district_sync(request: dict, *, ports: ImportPorts) -> dict:
    """What `sync_district` would start now, and when the schedule next starts one; starts nothing."""
    district = request["district"]
    description = _described(district, ports)
    now = ports.clock()
    since = changes_since(ports.marks.get(district), now, full_requested=request["full"])
    settings = ports.settings.get(district)
    next_at = next_scheduled_at(now, daily_time=settings.daily_time, time_zone=settings.time_zone,
                                last_scheduled_on=ports.settings.last_scheduled_on(district)) \
        if settings.fetched else None
    return {"district_id": district, "source": description, "full": since is None, "changes_since": since,
            "daily_sync": settings.daily_sync, "next_scheduled_at": next_at,
            "running_run_id": _running_run(district, ports)}


def start_due_syncs(*, ports: ImportPorts) -> list[str]:
    """Start the run of each district whose daily time has come today; the ids of the runs started (a run that
    could not start is there too, rejected with why)."""
    started = []
    now = ports.clock()
    for settings, last_day in ports.settings.scheduled():
        district = settings.district_id
        day = scheduled_day(now, daily_time=settings.daily_time, time_zone=settings.time_zone,
                            last_scheduled_on=last_day)
        # A district with a run in progress is asked again next minute, still the same day.
        if day is None or _running_run(district, ports) is not None:
            continue
        if not ports.settings.claim_scheduled_day(district, day):
            continue  # another instance started it
        try:
            run = sync_district({"district": district, "full": False, "region": None, "requested_by": SCHEDULE},
                                ports=ports)
        except (InvalidRequest, Conflict) as refused:
            # The day is spent: a rejected run says why where administrators look (the settings need them).
            log.warning("the daily sync of district %s was not started: %s", district, refused.message)
            run = _refused_run(district, refused.message, ports)
        started.append(run["run_id"])
    return started


def _refused_run(district: str, reason: str, ports: ImportPorts) -> dict:
    run = SyncRun(run_id=new_run_id(), source=f"the daily sync of district {district}", started_at=ports.clock(),
                  district_id=district)
    run.reject(reason, ports.clock())
    ports.runs.add(run, announce=lambda: ports.publish(rostering.SYNC_RUN_COMPLETED, run.completion_event()))
    return run.as_payload()


def _described(district: str, ports: ImportPorts) -> str:
    try:
        return ports.sources.describe(district)
    except UnknownSource as unknown:
        raise InvalidRequest(str(unknown), fields={"district": [str(unknown)]}) from None


def _running_run(district: str, ports: ImportPorts) -> str | None:
    running = ports.runs.recent(1, state=RUNNING, district_id=district)
    return running[0].run_id if running else None


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
        # The district the settings belong to, which the provider's district must be (domain/district_match.py).
        try:
            with calling("directory.get_district"):
                request["expected_district"] = ports.directory.get_district({"district_id": district})
        except ApplyFailed as failed:
            run.fail(str(failed), ports.clock())
            return
        read.append(source)
        run.source = source.description
        run_import(request, run, ports, source=source)

    finish_run(run, ports, work)
    if run.state == COMPLETED:
        cursor = read[0].event_cursor if read else None
        ports.marks.save(district, completed(marks, run.started_at, full=since is None, event_cursor=cursor))
    return run.state

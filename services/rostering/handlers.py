"""Use cases of the rostering service: import or preview a package, decide on a held run, read runs and
their changes. A district's settings are settings_handlers.py's; its syncs from a provider, syncing.py's.

The import itself is services/rostering/importing.py; what it archives, services/rostering/archiving.py.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

import phonenumbers

from services.rostering import archiving
from services.rostering.domain import mapping
from services.rostering.domain.applied_rows import plan_sends
from services.rostering.domain.collector import collector_paused
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.progress import QUEUED
from services.rostering.domain.run import (
    AWAITING_APPROVAL,
    RUNNING,
    DistrictBusy,
    SyncRun,
    busy_refusal,
    problem_row,
)
from services.rostering.domain.run_ids import AmbiguousRunId
from services.rostering.importing import CsvPackage, ImportPorts, fail_abandoned_runs, run_import
from services.rostering.ports import Clock, HeldRuns, Publish, SyncRuns
from services.rostering.sending import CLASSROOMS, ENROLLMENTS, GUARDIAN_LINKS, PEOPLE, SCHOOLS, ApplyFailed
from shared.contracts import rostering
from shared.contracts.errors import Conflict, InvalidRequest, NotFound
from shared.metrics import SYNC_ROWS, SYNC_RUN_SECONDS
from shared.outbox import nothing_to_announce

STOPPED_UNEXPECTEDLY = "the import stopped unexpectedly; see the rostering service log"
# A worker says its runs are alive this often; a run silent for ABANDONED_AFTER was left by a dead process.
HEARTBEAT_SECONDS = 10
PACKAGE_GONE = "the held package is no longer kept: import it again"
# A run as one of SyncRuns' reads gives it (a SyncRun, a FollowedRun).
Found = TypeVar("Found")


def new_run_id() -> str:
    return uuid.uuid4().hex


def import_package(request: dict, *, ports: ImportPorts, new_id: Callable[[], str] = new_run_id) -> dict:
    """Start an import: the run is answered at once, queued, and carried out by run_package_import."""
    known_region(request["region"])
    running = ports.runs.running_from(request["path"])
    if running is not None:
        # Its worker may have died: such runs are failed, here or by the timer that fails them (a restarted
        # service's first beat may do it at this very moment), and the source is looked at again.
        fail_abandoned_runs(ports.runs, ports.clock())
        running = ports.runs.running_from(request["path"])
    if running is not None:
        reason = busy_refusal(request["path"], running)
        raise Conflict(reason, fields={"path": [reason]})
    run = SyncRun(run_id=new_id(), source=request["path"], started_at=ports.clock())
    ports.runs.add(run, announce=lambda: ports.publish(rostering.PACKAGE_IMPORT_REQUESTED,
                                                       {"run_id": run.run_id, **request}))
    return run.as_payload(ports.clock())


def run_package_import(payload: dict, *, ports: ImportPorts) -> str | None:
    """The background half of an import: read the package and apply it."""
    run = ports.runs.get(payload["run_id"])
    if run is None or run.state != RUNNING or run.progress.phase != QUEUED:
        return None  # taken up already (a redelivered event); a dead worker's run is failed by keep_runs_alive
    request = {name: payload[name] for name in ("path", "region", "district_name", "full", "requested_by")}
    finish_run(run, ports, lambda: run_import(request, run, ports, source=CsvPackage(request["path"], ports)))
    return run.state


def keep_runs_alive(*, runs: SyncRuns, owner: str, clock: Clock) -> list[str]:
    """This worker's runs are alive; runs whose worker stopped beating are failed (their ids)."""
    now = clock()
    runs.beat(owner, now)
    return fail_abandoned_runs(runs, now)


def approve_sync_run(request: dict, *, runs: SyncRuns, held: HeldRuns, publish: Publish, clock: Clock) -> dict:
    """The held diff is confirmed: the run is applied in the background (SYNC_RUN_APPROVED)."""
    run = _held_run(runs, request["run_id"])
    if held.package(run.run_id) is None:
        raise Conflict(PACKAGE_GONE, fields={"run_id": [PACKAGE_GONE]})
    run.approve(request["decided_by"], clock())
    try:
        runs.save(run, announce=lambda: publish(rostering.SYNC_RUN_APPROVED, {"run_id": run.run_id}))
    except DistrictBusy as busy:
        reason = busy_refusal(f"district {run.district_id}", busy.running)
        raise Conflict(reason, fields={"run_id": [reason]}) from None
    return run.as_payload()


def reject_sync_run(request: dict, *, runs: SyncRuns, held: HeldRuns, publish: Publish, clock: Clock) -> dict:
    run = _held_run(runs, request["run_id"])
    run.decline(request["decided_by"], clock(), request["reason"])
    runs.save(run, announce=lambda: publish(rostering.SYNC_RUN_COMPLETED, run.completion_event()))
    held.release(run.run_id)
    return run.as_payload()


def apply_approved_run(payload: dict, *, ports: ImportPorts) -> str | None:
    """The background half of an approval: apply exactly the held diff, from the package as it was held."""
    run = ports.runs.get(payload["run_id"])
    kept = ports.held.package(payload["run_id"])
    if run is None or run.state != RUNNING or kept is None:
        return None  # decided otherwise meanwhile, or applied already (a redelivered event)
    content, request, archive_digest = kept

    def apply() -> None:
        if "district" in request:  # a run from a district's provider (syncing.py) kept what it fetched
            source = ports.sources.kept(request["district"], content)
            run_import(request, run, ports, source=source, approved_digest=archive_digest)
            return
        with ports.packages.unpacked(content) as path:
            run_import(request, run, ports, source=CsvPackage(path, ports), approved_digest=archive_digest)

    finish_run(run, ports, apply)
    ports.held.release(run.run_id)
    return run.state


def preview_import(request: dict, *, ports: ImportPorts) -> dict:
    """What importing the package would do, computed without applying or storing anything."""
    known_region(request["region"])
    try:
        snapshot = ports.read(request["path"], request["region"])
        district_row = mapping.district_row(snapshot, request["district_name"])
    except PackageRejected as rejected:
        raise InvalidRequest(f"the package is rejected: {rejected.message}",
                             fields={"path": [rejected.message]}) from None
    except mapping.DistrictUnknown as unknown:
        raise InvalidRequest(str(unknown), fields={"district_name": [str(unknown)]}) from None
    district_key = district_row["source_id"]
    district_id = ports.applied.district_id_of(district_key)
    entities = _pending_rows(snapshot, district_key, request["full"] or district_id is None, ports)
    checked = archiving.NOTHING
    if district_id is not None:
        archives = archiving.plan(snapshot, ports.applied, district_key, ports.enrollment_digests)
        try:
            checked = archiving.check(archives, district_id=district_id, directory=ports.directory,
                                      threshold=ports.settings.get(district_id).mass_change_threshold)
        except ApplyFailed as failed:
            raise InvalidRequest(f"cannot preview what would be archived: {failed}") from None
    return {"district_id": district_id, "district_name": district_row["name"], "entities": entities,
            "diff": checked.diff, "changes": checked.changes, "would_hold": checked.verdict.hold,
            "message": checked.verdict.message,
            "errors": [problem_row(problem) for problem in snapshot.problems],
            "warnings": [problem_row(warning) for warning in snapshot.warnings]}


def get_sync_run(request: dict, *, runs: SyncRuns, clock: Clock) -> dict:
    return _run(runs, request["run_id"]).as_payload(clock())


def follow_sync_run(request: dict, *, runs: SyncRuns, clock: Clock) -> dict:
    return _found(runs.follow, request["run_id"]).as_payload(clock())


def list_sync_runs(request: dict, *, runs: SyncRuns, clock: Clock) -> dict:
    found = runs.recent_followed(request["limit"], state=request.get("state"),
                                 district_id=request.get("district_id"))
    now = clock()
    return {"runs": [run.as_summary(now) for run in found]}


def get_sync_run_changes(request: dict, *, runs: SyncRuns, held: HeldRuns) -> dict:
    run = _run(runs, request["run_id"])
    per_page = request["per_page"]
    changes, total = held.changes(run.run_id, entity=request["entity"],
                                  offset=(request["page"] - 1) * per_page, limit=per_page)
    return {"changes": changes, "total": total, "page": request["page"], "per_page": per_page}


# --- helpers ----------------------------------------------------------------------------------

def finish_run(run: SyncRun, ports: ImportPorts, work: Callable[[], None]) -> None:
    try:
        work()
    finally:
        # Whatever stopped the run, it must not stay "running" forever.
        if run.state == RUNNING:
            run.fail(STOPPED_UNEXPECTEDLY, ports.clock())
        # A held run is not over: it completes when decided on (approve_sync_run, reject_sync_run).
        ports.runs.save(run, announce=nothing_to_announce if run.state == AWAITING_APPROVAL else
                        lambda: ports.publish(rostering.SYNC_RUN_COMPLETED, run.completion_event()))
        _measure(run)
        # The run's snapshot and rows are gone: the process goes back to its resting size until the next run.
        ports.give_back_memory()


def _measure(run: SyncRun) -> None:
    """The run's duration and row counts, for the metrics (shared/metrics.py)."""
    if run.finished_at is not None:
        SYNC_RUN_SECONDS.labels(run.state).observe((run.finished_at - run.started_at).total_seconds())
    for entity, counts in run.counts.items():
        for result, count in vars(counts).items():
            if count:
                SYNC_ROWS.labels(entity, result).inc(count)


def _pending_rows(snapshot, district_key: str, everything: bool, ports: ImportPorts) -> dict:
    """Per entity, how many rows an import would send and how many it would leave as unchanged."""
    builders = {SCHOOLS: lambda: mapping.school_rows(snapshot), CLASSROOMS: lambda: mapping.classroom_rows(snapshot),
                PEOPLE: lambda: mapping.person_rows(snapshot),
                ENROLLMENTS: lambda: mapping.enrollment_rows(snapshot)[0],
                GUARDIAN_LINKS: lambda: mapping.guardian_link_rows(snapshot)}
    counted = {}
    for stage, build in builders.items():
        with collector_paused():
            earlier = {} if everything else ports.applied.load(district_key, stage.entity)
            plan = plan_sends(build(), key=stage.label, applied=earlier)
        counted[stage.entity] = {"to_send": len(plan.to_send), "unchanged": plan.unsent}
    return counted


def known_region(region: str) -> None:
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidRequest("unknown phone region", fields={"region": [f"{region} is not a known region code"]})


def _run(runs: SyncRuns, run_id: str) -> SyncRun:
    return _found(runs.find, run_id)


def _found(find: Callable[[str], Found | None], run_id: str) -> Found:
    try:
        run = find(run_id)
    except AmbiguousRunId as ambiguous:
        raise InvalidRequest(str(ambiguous), fields={"run_id": [str(ambiguous)]}) from None
    if run is None:
        raise NotFound("no such sync run", fields={"run_id": [f"{run_id} is not a known sync run"]})
    return run


def _held_run(runs: SyncRuns, run_id: str) -> SyncRun:
    run = _run(runs, run_id)
    if run.state != AWAITING_APPROVAL:
        reason = f"run {run_id} is {run.state}: only a run awaiting approval can be approved or rejected"
        raise Conflict(reason, fields={"run_id": [reason]})
    return run

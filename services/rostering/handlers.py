"""Use cases of the rostering service: import a OneRoster package, look up a sync run.

An import reads the package, then applies it through directory and identity
in dependency order (district, schools, classrooms, people, accounts,
enrollments, guardian links), one page of rows per call. Row problems never
stop a run; a package that cannot be read is rejected before anything is
applied.

Only rows that changed since the district's last import are sent: each row
saved is remembered by its fingerprint (and the id it was given), a page at a
time as the answers come back, so a run that fails part way remembers only
what was applied. `full` sends every row regardless, for when the other side
lost what it had (a database restored from backup, say).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import phonenumbers
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from services.rostering.domain import mapping
from services.rostering.domain.applied_rows import AppliedRow, applied_by, plan_sends, stale_keys, with_unsent
from services.rostering.domain.collector import collector_paused
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.run import (
    RUNNING,
    SOURCE_FILES,
    Refusal,
    SyncRun,
    Tally,
    problem_row,
    tally,
    unmapped_row,
)
from services.rostering.domain.snapshot import Snapshot
from shared.contracts import rostering
from shared.contracts.errors import InvalidRequest, NotFound, PlatformError

# A few pages in flight keep the owning service's workers busy while replies
# travel back; more would only queue up behind its worker pool.
PAGES_IN_FLIGHT = 4

# What a call to another service can fail with; any of these ends the run as failed.
CALL_FAILURES = (PlatformError, RemoteError, RpcTimeout, UnknownService)

Reader = Callable[[str, str], Snapshot]
Clock = Callable[[], datetime]
Publish = Callable[[Any, dict], None]


class SyncRuns(Protocol):
    def add(self, run: SyncRun) -> None: ...

    def save(self, run: SyncRun) -> None: ...

    def get(self, run_id: str) -> SyncRun | None: ...

    def recent(self, limit: int) -> list[SyncRun]: ...


class AppliedRows(Protocol):
    """What each district's imports last applied, by entity and row key."""

    def start(self, district_key: str, district_id: str) -> None: ...

    def load(self, district_key: str, entity: str) -> dict[str, AppliedRow]: ...

    def remember(self, district_key: str, entity: str, rows: Mapping[str, AppliedRow]) -> None: ...

    def forget(self, district_key: str, entity: str, keys: Sequence[str]) -> None: ...


class ApplyFailed(Exception):
    """A call to another service failed; the run stops where it is."""


@dataclass(frozen=True)
class _Stage:
    """One entity's bulk call: which field carries the page, how a row is named in errors."""

    entity: str
    method: str
    page_field: str
    label: Callable[[dict], str]
    # Later stages need the ids this one's items are given (schools and people).
    gives_ids: bool = False


def _source_id(row: dict) -> str:
    return row["source_id"]


SCHOOLS = _Stage("schools", "directory.upsert_schools", "schools", _source_id, gives_ids=True)
CLASSROOMS = _Stage("classrooms", "directory.upsert_classrooms", "classrooms", _source_id)
PEOPLE = _Stage("people", "directory.upsert_people", "people", _source_id, gives_ids=True)
ACCOUNTS = _Stage("accounts", "identity.upsert_accounts", "accounts", lambda row: row["person_id"])
ENROLLMENTS = _Stage("enrollments", "directory.upsert_enrollments", "enrollments", _source_id)
# A link has no id of its own: the pair names it.
GUARDIAN_LINKS = _Stage("guardian_links", "directory.upsert_guardian_links", "links",
                        lambda row: f"{row['guardian_source_id']}:{row['student_source_id']}")


def new_run_id() -> str:
    return uuid.uuid4().hex


def import_package(
    request: dict,
    *,
    runs: SyncRuns,
    applied: AppliedRows,
    directory: Any,
    identity: Any,
    publish: Publish,
    clock: Clock,
    read: Reader,
    new_id: Callable[[], str] = new_run_id,
) -> dict:
    region = request["region"]
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidRequest("unknown phone region", fields={"region": [f"{region} is not a known region code"]})
    run = SyncRun(run_id=new_id(), source=request["path"], started_at=clock())
    runs.add(run)
    try:
        _read_and_apply(request, run, runs=runs, applied=applied, directory=directory, identity=identity,
                        clock=clock, read=read)
    finally:
        # Whatever stopped the run, it must not stay "running" forever.
        if run.state == RUNNING:
            run.fail("the import stopped unexpectedly; see the rostering service log", clock())
        runs.save(run)
    publish(rostering.SYNC_RUN_COMPLETED, run.completion_event())
    return run.as_payload()


def get_sync_run(request: dict, *, runs: SyncRuns) -> dict:
    run = runs.get(request["run_id"])
    if run is None:
        raise NotFound("no such sync run", fields={"run_id": [f"{request['run_id']} is not a known sync run"]})
    return run.as_payload()


def list_sync_runs(request: dict, *, runs: SyncRuns) -> dict:
    return {"runs": [run.as_summary() for run in runs.recent(request["limit"])]}


def _read_and_apply(request: dict, run: SyncRun, *, runs: SyncRuns, applied: AppliedRows, directory: Any,
                    identity: Any, clock: Clock, read: Reader) -> None:
    try:
        snapshot = read(request["path"], request["region"])
    except PackageRejected as rejected:
        run.reject(rejected.message, clock())
        return
    run.errors = [problem_row(problem) for problem in snapshot.problems]
    run.warnings = [problem_row(warning) for warning in snapshot.warnings]
    try:
        district = mapping.district_row(snapshot, request["district_name"])
    except mapping.DistrictUnknown as unknown:
        run.reject(str(unknown), clock())
        return
    runs.save(run)
    try:
        _apply(snapshot, district, request, run, runs=runs, applied=applied, directory=directory, identity=identity)
    except ApplyFailed as failed:
        run.fail(str(failed), clock())
        return
    run.complete(clock())


def _apply(snapshot: Snapshot, district_row: dict, request: dict, run: SyncRun, *, runs: SyncRuns,
           applied: AppliedRows, directory: Any, identity: Any) -> None:
    # The district always goes: it is one call, and the id it answers tells whether the
    # directory still holds what earlier runs applied (a wiped directory makes the district anew).
    with _calling("directory.upsert_district"):
        district = directory.upsert_district(district_row)
    run.district_id = district["id"]
    in_district = {"district_id": district["id"]}
    district_key = district_row["source_id"]
    applied.start(district_key, district["id"])
    full_files = snapshot.full_snapshot_files

    def apply(stage: _Stage, call: Any, payload: dict, build_rows: Callable[[], Sequence[dict]],
              labels: Mapping[str, str] | None = None) -> Tally:
        # A district's rows are a million small dicts and no cycles: built and compared with the
        # collector running, half the time would go to rescanning them.
        with collector_paused():
            earlier = applied.load(district_key, stage.entity)
            plan = plan_sends(build_rows(), key=stage.label, applied={} if request["full"] else earlier,
                              needs_ids=stage.gives_ids)

        def remember(results: list[dict]) -> None:
            applied.remember(district_key, stage.entity,
                             applied_by(results, plan.fingerprints, keep_ids=stage.gives_ids))

        with _calling(stage.method):
            sent = _send_pages(stage, call, payload, plan.to_send, labels=labels, on_answered=remember)
        result = with_unsent(sent, plan)
        if SOURCE_FILES[stage.entity] in full_files:
            applied.forget(district_key, stage.entity, stale_keys(earlier, plan.keys))
        run.record(stage.entity, result)
        runs.save(run)  # progress: get_sync_run shows each entity as it lands
        return result

    schools = apply(SCHOOLS, directory.upsert_schools, in_district, lambda: mapping.school_rows(snapshot))
    apply(CLASSROOMS, directory.upsert_classrooms, in_district, lambda: mapping.classroom_rows(snapshot))
    with collector_paused():
        schools_of_people = mapping.person_schools(snapshot)
    people = apply(PEOPLE, directory.upsert_people, in_district,
                   lambda: mapping.person_rows(snapshot, schools_of_people))
    # Accounts are keyed by the directory's person ids; errors name the source's ids.
    apply(ACCOUNTS, identity.upsert_accounts, {**in_district, "region": request["region"]},
          lambda: mapping.account_rows(snapshot, person_ids=people.ids, school_ids=schools.ids,
                                       schools=schools_of_people),
          labels={person_id: source_id for source_id, person_id in people.ids.items()})
    with collector_paused():
        enrollments, unmapped = mapping.enrollment_rows(snapshot)
    run.errors += [unmapped_row(row) for row in unmapped]
    enrolled = apply(ENROLLMENTS, directory.upsert_enrollments, in_district, lambda: enrollments)
    enrolled.counts.failed += len(unmapped)
    apply(GUARDIAN_LINKS, directory.upsert_guardian_links, in_district, lambda: mapping.guardian_link_rows(snapshot))


@contextmanager
def _calling(name: str) -> Iterator[None]:
    try:
        yield
    except InvalidRequest as invalid:
        raise ApplyFailed(f"{name} refused the request: {invalid} {invalid.fields}") from invalid
    except CALL_FAILURES as error:
        raise ApplyFailed(f"{name} failed: {error}") from error


def _send_pages(stage: _Stage, call: Any, payload: dict, rows: Sequence[dict], *,
                labels: Mapping[str, str] | None, on_answered: Callable[[list[dict]], None]) -> Tally:
    """Send `rows` a page per call, a few calls at a time, and tally the per-item results.

    `on_answered` gets each window's results once every page of it is answered:
    while the next window's pages are being worked on, so the two overlap, and
    before any later reply is waited for, so a failure later on still leaves
    the answered windows handed over.
    """
    results: list[dict] = []
    refusals: list[Refusal] = []
    sent = 0
    answered_before: list[dict] = []
    for window in mapping.pages(list(mapping.pages(rows)), PAGES_IN_FLIGHT):
        replies = []
        for page in window:
            reply, accepted, refused = _dispatch(stage, call, payload, page)
            refusals += [replace(r, label=labels.get(r.label, r.label)) for r in refused] if labels else refused
            sent += accepted
            if reply is not None:
                replies.append(reply)
        if answered_before:
            on_answered(answered_before)
        answered: list[dict] = []
        for reply in replies:
            answered += reply.result()["results"]
        results += answered
        answered_before = answered
    if answered_before:
        on_answered(answered_before)
    counted = tally(stage.entity, results, sent=sent, labels=labels)
    counted.counts.failed += len({refusal.label for refusal in refusals})
    return Tally(counted.counts, counted.ids, refusals + counted.refusals)


def _dispatch(stage: _Stage, call: Any, payload: dict, page: list[dict]) -> tuple[Any, int, list[Refusal]]:
    """Start one page's call; rows the contract refuses are taken out so the rest still go.

    Returns the pending reply (None when no row was left), how many rows went, and the refusals.
    """
    try:
        return call.call_async({**payload, stage.page_field: page}), len(page), []
    except InvalidRequest as invalid:
        bad_rows = invalid.fields.get(stage.page_field)
        # Only per-row refusals can be split off; anything else is the whole request's fault.
        if set(invalid.fields) != {stage.page_field} or not isinstance(bad_rows, dict):
            raise
        refusals = [
            Refusal(stage.entity, stage.label(page[index]), field, reason)
            for index, messages in bad_rows.items()
            for field, reason in _reasons(messages)
        ]
        accepted = [row for index, row in enumerate(page) if index not in bad_rows]
        reply = call.call_async({**payload, stage.page_field: accepted}) if accepted else None
        return reply, len(accepted), refusals


def _reasons(messages: Any, field: str | None = None) -> Iterator[tuple[str | None, str]]:
    """(field, reason) pairs from marshmallow's nested error messages."""
    if isinstance(messages, dict):
        for name, nested in messages.items():
            yield from _reasons(nested, name if isinstance(name, str) else field)
    elif isinstance(messages, list):
        for nested in messages:
            yield from _reasons(nested, field)
    else:
        yield field, str(messages)

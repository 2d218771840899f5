"""One import run: read the source whole (a package, a district's provider), check what it would archive,
hold it or apply it, and report.

Applying goes through directory and identity in dependency order (district, schools, classrooms,
people, accounts, enrollments, guardian links), one page of rows per call, and then archives what the
run no longer lists. Row problems never stop a run; a package that cannot be read is rejected before
anything is applied; a run that would archive more than the district's mass-change threshold is held,
before anything but the district itself is touched, until an administrator approves or rejects it.

Only rows that changed since the district's last import are sent: each row saved is remembered by its
fingerprint (and the id it was given), a page at a time as the answers come back, so a run that fails
part way remembers only what was applied. `full` sends every row regardless, for when the other side
lost what it had (a database restored from backup, say).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, ClassVar

from services.rostering import archiving
from services.rostering.domain import mapping, stage_summaries
from services.rostering.domain.applied_rows import (
    STAGE_DIGESTS,
    AppliedRow,
    RememberedSources,
    SendPlan,
    applied_by,
    plan_sends,
    plan_sourced,
    StageSummary,
    plan_summarised_stage,
    plan_whole_stage,
    remembered_ids,
    rows_digest,
    Sources,
    SourcedColumns,
    sourced_ahead,
    sourced_as_now,
    sourced_records,
    sources_by_key,
    stale_keys,
    with_unsent,
)
from services.rostering.domain.collector import collector_paused, long_lived
from services.rostering.domain.district_match import district_mismatch
from services.rostering.domain.errors import SourceRejected
from services.rostering.domain.progress import ProgressThrottle, RowCount, pages_of
from services.rostering.domain.run import (
    ABANDONED,
    ABANDONED_AFTER,
    AWAITING_APPROVAL,
    SOURCE_FILES,
    DistrictBusy,
    EntityCounts,
    SyncRun,
    Tally,
    busy_refusal,
    each_named_as_reported,
    named_as_reported,
    problem_row,
    unmapped_row,
)
from services.rostering.domain.settings import SyncSettings
from services.rostering.domain.snapshot import Person, Snapshot
from services.rostering.domain.student_enablement import (
    STUDENT_ACCOUNTS,
    added,
    enablement_results,
    students_to_enable,
)
from services.rostering.ports import (
    AppliedRows,
    Clock,
    DistrictSettings,
    DistrictSources,
    HeldRuns,
    Marks,
    Packages,
    Publish,
    Reader,
    RosterSource,
    SyncRuns,
)
from services.rostering.sending import (
    ACCOUNTS,
    CLASSROOMS,
    ENROLLMENTS,
    GUARDIAN_LINKS,
    PEOPLE,
    SCHOOLS,
    ApplyFailed,
    Stage,
    calling,
    send_pages,
)
from shared.contracts import rostering

APPROVED_RUN_CHANGED = ("the district's roster changed since this run was held (another import applied, or what "
                        "it would archive is not the same): nothing was applied; import the package again")


@dataclass(frozen=True)
class ImportPorts:
    """Everything an import touches, injected by the service (or by the unit tests' fakes)."""

    runs: SyncRuns
    applied: AppliedRows
    held: HeldRuns
    settings: DistrictSettings
    directory: Any  # ServiceRpc(directory.contract) as a worker sees it
    identity: Any  # ServiceRpc(identity.contract) as a worker sees it
    publish: Publish
    clock: Clock
    read: Reader
    packages: Packages
    sources: DistrictSources | None = None  # the providers districts sync from (sync_district)
    marks: Marks | None = None  # when each district's provider was last read
    owner: str = "this process"  # the service instance working on runs: what its heartbeat names
    progress_throttle: Callable[[], ProgressThrottle] = ProgressThrottle
    # Calls a function about once a second while a block runs (the service's: adapters/ticking.py); by default
    # never, so a read shows its rows only once it is done.
    ticking: Callable[[Callable[[], None]], AbstractContextManager] = lambda tick: nullcontext()
    # Starts work that needs no port (pure CPU) and gives what answers its result: the service's runs it while the
    # run waits on other services' answers (eventlet.spawn); by default it runs when its result is asked for.
    ahead: Callable[[Callable[[], Any]], Callable[[], Any]] = lambda work: work
    # Called by work started ahead between its chunks: the service's lets the run go on first when the answer it
    # waits for has come (eventlet.sleep(0)), so the work fills the run's waits without making them longer.
    let_others_run: Callable[[], object] = lambda: None
    # Hands what the process freed back to the system (the service's: adapters/freed_memory.py); by default
    # nothing, as in the unit tests.
    give_back_memory: Callable[[], object] = lambda: None
    # What runs worked out of the enrollments the last read kept, kept with them (the service's: its
    # EnrollmentsReadBefore); by default none, and every run works it out.
    enrollment_digests: stage_summaries.KeptDigests | None = None

    def report_progress(self, run: SyncRun, throttle: ProgressThrottle | None = None) -> None:
        """Write the run's progress now, or (given a throttle) only when the last write is old enough."""
        now = self.clock()
        if throttle is None or throttle.due(now):
            self.runs.save_progress(run, now)


@dataclass(frozen=True)
class SourcedRows:
    """A stage's rows as built one per source record, each with its source fingerprint (applied_rows.py)."""

    records: Sequence[Person]
    key: Callable[[Person], str | None]
    sources: Sources
    build: Callable[[Person], dict | None]
    # The records with their keys and source fingerprints worked out already (ahead), when they were.
    made: Callable[[], SourcedColumns] | None = None

    def sourced(self) -> SourcedColumns:
        if self.made is not None:
            return self.made()
        return sourced_records(self.records, key=self.key, sources=self.sources)


@dataclass(frozen=True)
class CsvPackage:
    """The OneRoster CSV package at a path as a run's source, read by the ports' reader (which counts the
    records it reads in `row_count`)."""

    path: str
    ports: ImportPorts
    row_count: RowCount = field(default_factory=RowCount)
    # A package's read leaves nothing in cycles (test_reader's test of it): LongLived.keep skips its collection.
    read_leaves_no_cycles: ClassVar[bool] = True

    @property
    def description(self) -> str:
        return self.path

    def read(self, region: str) -> Snapshot:
        return self.ports.read(self.path, region, self.row_count)

    def kept(self) -> bytes:
        return self.ports.packages.pack(self.path)


def run_import(request: Mapping, run: SyncRun, ports: ImportPorts, *, source: RosterSource,
               approved_digest: str | None = None) -> None:
    """Read the source whole and apply it, holding it when the guard says so (unless approved)."""
    clock = ports.clock
    ports.runs.take_up(run, ports.owner, clock())  # from here a dead worker's run is failed, not left running
    run.progress.reading()
    ports.report_progress(run)
    count = getattr(source, "row_count", None)  # a source that counts its records as it reads them

    def rows_so_far() -> None:
        run.progress.reading_rows(count.rows)
        ports.report_progress(run)

    # The snapshot lives as long as the run and holds no cycles: the collector leaves it alone meanwhile.
    with long_lived() as heap:
        try:
            with ports.ticking(rows_so_far) if count is not None else nullcontext():
                snapshot = heap.keep(lambda: source.read(request["region"]),
                                     leaves_no_cycles=source.read_leaves_no_cycles)
        except SourceRejected as rejected:
            run.reject(rejected.message, clock())
            return
        ports.give_back_memory()  # what the read built and dropped (its rows' cells, the files' buffers)
        _report_and_apply(snapshot, request, run, ports, source, approved_digest)


def _report_and_apply(snapshot: Snapshot, request: Mapping, run: SyncRun, ports: ImportPorts, source: RosterSource,
                      approved_digest: str | None) -> None:
    run.progress.read(rows_read(snapshot), rows_per_stage(snapshot), mapping.PAGE_ROWS)
    ports.report_progress(run)
    run.errors = [problem_row(problem) for problem in snapshot.problems]
    run.warnings = [problem_row(warning) for warning in snapshot.warnings]
    try:
        _read_and_apply(snapshot, request, run, ports, source, approved_digest)
    finally:
        names = dict(snapshot.report_names)
        run.errors, run.warnings = named_as_reported(run.errors, names), named_as_reported(run.warnings, names)


def _read_and_apply(snapshot: Snapshot, request: Mapping, run: SyncRun, ports: ImportPorts, source: RosterSource,
                    approved_digest: str | None) -> None:
    try:
        district_row = mapping.district_row(snapshot, request["district_name"])
    except mapping.DistrictUnknown as unknown:
        run.reject(str(unknown), ports.clock())
        return
    # A provider's run is bound to the district whose settings name the provider: never another one.
    mismatch = district_mismatch(request.get("expected_district"), district_row, source.description)
    if mismatch is not None:
        run.reject(mismatch, ports.clock())
        return
    try:
        _claim(run, district_row["source_id"], ports)
    except DistrictBusy as busy:
        run.reject(busy_refusal(f"district {district_row['name'] or district_row['source_id']}", busy.running),
                   ports.clock())
        return
    ports.runs.save(run)
    try:
        _apply(snapshot, district_row, request, run, ports, source, approved_digest=approved_digest)
    except ApplyFailed as failed:
        run.fail(str(failed), ports.clock())


def _claim(run: SyncRun, district_key: str, ports: ImportPorts) -> None:
    """One running run per district; a run whose worker died is failed first, so the next one can go."""
    try:
        ports.runs.claim(run, district_key, ports.owner, ports.clock())
    except DistrictBusy:
        # Whoever fails the dead worker's run (this call or the timer, at the same moment), the claim is tried
        # again once: DistrictBusy still when the run is alive.
        now = ports.clock()
        fail_abandoned_runs(ports.runs, now)
        ports.runs.claim(run, district_key, ports.owner, now)


def fail_abandoned_runs(runs: SyncRuns, now: datetime) -> list[str]:
    """Fail the runs whose worker stopped beating ABANDONED_AFTER ago: its process died (their ids)."""
    return runs.fail_abandoned(now - ABANDONED_AFTER, ABANDONED, now)


def rows_read(snapshot: Snapshot) -> int:
    """Records read: the package's rows, or, for a source without files, what it answered."""
    return sum(file.rows for file in snapshot.files) or sum(
        len(records) for records in (snapshot.orgs, snapshot.classes, snapshot.people, snapshot.enrollments))


def rows_per_stage(snapshot: Snapshot) -> dict[str, int]:
    """The most rows each stage could send: what was read of its entity."""
    return {SCHOOLS.entity: len(snapshot.orgs), CLASSROOMS.entity: len(snapshot.classes),
            PEOPLE.entity: len(snapshot.people), ACCOUNTS.entity: len(snapshot.people),
            ENROLLMENTS.entity: len(snapshot.enrollments), GUARDIAN_LINKS.entity: len(snapshot.guardian_links)}


def _apply(snapshot: Snapshot, district_row: dict, request: Mapping, run: SyncRun, ports: ImportPorts,
           source: RosterSource, *, approved_digest: str | None) -> None:
    directory, applied = ports.directory, ports.applied
    # The district always goes: it is one call, and the id it answers tells whether the
    # directory still holds what earlier runs applied (a wiped directory makes the district anew).
    with calling("directory.upsert_district"):
        district_id = directory.upsert_district(district_row)["id"]
    run.district_id = district_id
    district_key = district_row["source_id"]
    applied.start(district_key, district_id)
    settings = ports.settings.get(district_id)
    with calling("directory.set_district_sync"):
        directory.set_district_sync(settings.ownership())
    if approved_digest is None:
        _supersede_held_runs(district_id, run, ports)

    archives = archiving.plan(snapshot, applied, district_key, ports.enrollment_digests)
    if approved_digest is not None:
        # Approved: the diff was checked, shown and kept when the run was held; only its identity is checked.
        if approved_digest != archives.digest:
            run.fail(APPROVED_RUN_CHANGED, ports.clock())
            return
        checked = None
    else:
        checked = archiving.check(archives, district_id=district_id, directory=directory,
                                  threshold=settings.mass_change_threshold)
        run.diff = checked.diff
        if checked.verdict.hold:
            run.hold(checked.verdict.message, checked.diff, ports.clock())
            ports.held.keep(run.run_id, package=source.kept(), request=dict(request),
                            archive_digest=archives.digest, changes=_changes(checked, snapshot))
            return
    archiving.started(applied, district_key)
    _send_stages(snapshot, district_id, district_key, request, run, ports, settings)
    run.progress.archiving()
    ports.report_progress(run)
    archiving.apply(archives, checked, district_id=district_id, district_key=district_key, directory=directory,
                    applied=applied)
    if checked is not None and checked.checked:  # a held run's rows were kept when it was held
        ports.held.record_changes(run.run_id, _changes(checked, snapshot))
    run.complete(ports.clock())


def _changes(checked: archiving.ArchiveCheck, snapshot: Snapshot) -> Iterator[dict]:
    """Built as they are stored: a held district's 105,000 change rows never all at once."""
    return each_named_as_reported(checked.each_change(), dict(snapshot.report_names))


def _supersede_held_runs(district_id: str, run: SyncRun, ports: ImportPorts) -> None:
    """A newer import of the district replaces any run still waiting for a decision: that run is over, and
    says so as a decided run does (SYNC_RUN_COMPLETED, state superseded)."""
    for held in ports.runs.recent(100, state=AWAITING_APPROVAL, district_id=district_id):
        held.supersede(run.run_id, ports.clock())
        ports.runs.save(held, announce=lambda over=held: ports.publish(rostering.SYNC_RUN_COMPLETED,
                                                                       over.completion_event()))
        ports.held.release(held.run_id)


def _send_stages(snapshot: Snapshot, district_id: str, district_key: str, request: Mapping, run: SyncRun,
                 ports: ImportPorts, settings: SyncSettings) -> None:
    directory, identity, applied = ports.directory, ports.identity, ports.applied
    in_district = {"district_id": district_id}
    full_files = snapshot.full_snapshot_files
    throttle = ports.progress_throttle()

    # Each stage's digest of its whole rows, as its last run applied them (applied_rows.py plan_whole_stage).
    whole_digests = applied.load(district_key, STAGE_DIGESTS)

    def apply(stage: Stage, call: Any, payload: dict, build_rows: Callable[[], Sequence[dict]] | None = None,
              labels: Mapping[str, str] | None = None, sourced: SourcedRows | None = None,
              summary: Callable[[], StageSummary] | None = None,
              each_row: Callable[[], Iterable[dict]] | None = None,
              before_pages: Callable[[SendPlan, Mapping[str, AppliedRow]], object] | None = None) -> Tally:
        # A district's rows are a million small dicts and no cycles: built and compared with the
        # collector running, half the time would go to rescanning them.
        with collector_paused():
            # Summarised ahead (`summary`): the rows are built here only when they are not what was last applied.
            ready = summary() if summary is not None else None
            plan = None if ready is None else plan_summarised_stage(
                ready, remembered=whole_digests.get(stage.entity),
                remembered_count=applied.count(district_key, stage.entity))
            # Summarised and not what was last applied: the summary holds the digest, so the rows are only compared,
            # built one at a time (`each_row`) as they are, and only those to send kept. Built as a list, a district's
            # half a million enrollments (about 100 MB of dicts) were held beside the half a million rows remembered.
            streamed = sourced is None and plan is None and ready is not None and each_row is not None
            rows = build_rows() if sourced is None and plan is None and not streamed else None
            # A stage that hands no ids on is also remembered whole: rows listed exactly as last applied go unread.
            whole = None
            if (rows is not None or streamed) and not stage.gives_ids:
                whole = ready.digest if ready is not None else rows_digest(rows)
            if ready is None:
                plan = None if whole is None or request["full"] else plan_whole_stage(
                    rows, key=stage.label, digest=whole, remembered=whole_digests.get(stage.entity),
                    remembered_count=applied.count(district_key, stage.entity))
            whole_unchanged = plan is not None
            records = None if sourced is None else sourced.sourced()
            earlier: Mapping[str, AppliedRow]
            if records is not None and not request["full"]:
                # Only the rows whose records changed are read back (a 1 % delta: 1 % of a quarter of a million).
                earlier = applied.compare_sources(district_key, stage.entity, sources_by_key(records),
                                                  needs_ids=stage.gives_ids)
            else:
                earlier = {} if whole_unchanged else applied.load(district_key, stage.entity)
            compared = {} if request["full"] else earlier
            if sourced is None:
                plan = plan or plan_sends(each_row() if streamed else rows, key=stage.label, applied=compared,
                                          needs_ids=stage.gives_ids)
                del rows  # the plan holds the rows to send; send_pages lets them go a page at a time
            else:
                plan = plan_sourced(records, build=sourced.build, applied=compared, needs_ids=stage.gives_ids)
                del records
        # Rows unchanged by what they send, with a source fingerprint not yet remembered: applied already.
        applied.remember(district_key, stage.entity, plan.resourced)
        if whole is not None and plan.to_send:
            # Rows are about to change: the stage's digest holds again only once every row is applied.
            applied.forget(district_key, STAGE_DIGESTS, [stage.entity])

        sending = len(plan.to_send)
        run.progress.applying(stage.entity, pages_of(sending, mapping.PAGE_ROWS), ports.clock())
        # A stage with nothing to send is over in a moment: its progress is written only as often as pages' is.
        quiet = not sending
        ports.report_progress(run, throttle if quiet else None)
        saved = 0

        def remember(results: list[dict]) -> None:
            nonlocal saved
            answered = applied_by(results, plan.fingerprints, keep_ids=stage.gives_ids, sources=plan.sources)
            applied.remember(district_key, stage.entity, answered)
            saved += len(answered)
            run.progress.page_applied(pages_of(len(results), mapping.PAGE_ROWS))
            ports.report_progress(run, throttle)

        if before_pages is not None:  # told what goes, and what was remembered, before the pages go
            before_pages(plan, earlier)
        with calling(stage.method):
            sent = send_pages(stage, call, payload, plan.to_send, labels=labels, on_answered=remember)
        run.progress.stage_applied(stage.entity)
        result = with_unsent(sent, plan)
        if SOURCE_FILES[stage.entity] in full_files:
            applied.forget(district_key, stage.entity, _stale(earlier, plan.keys,
                                                              lambda: applied.keys(district_key, stage.entity)))
        if whole is not None and not whole_unchanged and saved == sending and not result.refusals:
            applied.remember(district_key, STAGE_DIGESTS, {stage.entity: AppliedRow(whole, None)})
        refused = {refusal.label for refusal in result.refusals if refusal.label}
        run.record(stage.entity, result, mapping.source_lines(snapshot, stage.entity, refused))
        if not quiet or throttle.due(ports.clock()):
            ports.runs.save(run)  # progress: get_sync_run shows each entity as it lands
        return result

    schools = apply(SCHOOLS, directory.upsert_schools, in_district, lambda: mapping.school_rows(snapshot))
    apply(CLASSROOMS, directory.upsert_classrooms,
          {**in_district, "unarchive_reappearing": settings.unarchive_classrooms_that_reappear},
          lambda: mapping.classroom_rows(snapshot))

    def people_and_accounts() -> None:
        # A scope of their own: the people's schools and ids (a quarter of a million each) are let go before the
        # enrollments' rows are built, not held through the rest of the run.
        with collector_paused():
            people_schools = mapping.people_schools(snapshot)
            schools_of_people = people_schools.by_source_id
            # Each person's context numbered once, for both stages' source fingerprints.
            contexts = mapping.PersonContexts(schools_of_people, snapshot.people,
                                              schools_in_order=people_schools.in_order)
        person_sources = mapping.PersonSources(schools_of_people, contexts)
        district_source_id = mapping.district_source_of(snapshot)
        account_sources = mapping.AccountSources(schools_of_people, schools.ids, district_source_id,
                                                 request["region"], contexts)

        accounts_ahead: Callable[[], SourcedColumns] | None = None

        def start_accounts_sources(plan: SendPlan, earlier: Mapping[str, AppliedRow]) -> None:
            # While the people's pages are in flight, the accounts' keys and source fingerprints, by the ids
            # remembered: once the directory has answered, only the people whose ids turn out otherwise (the new
            # ones, any it refused or made anew) are worked out again.
            nonlocal accounts_ahead
            known = remembered_ids(plan, earlier)
            if known and not request["full"]:
                accounts_ahead = ports.ahead(lambda: _paused(lambda: sourced_ahead(
                    snapshot.people, key=_source_id, ids=known, sources=account_sources,
                    pause=ports.let_others_run)))

        people = apply(PEOPLE, directory.upsert_people, in_district, sourced=SourcedRows(
            snapshot.people, key=_source_id,
            sources=lambda people, _keys: person_sources(people),
            build=lambda person: mapping.person_row(person, schools_of_people[person.source_id])),
            before_pages=start_accounts_sources)
        # Accounts are keyed by the directory's person ids; errors name the source's ids.
        person_ids, school_ids = people.ids, schools.ids

        def accounts_sourced() -> SourcedColumns:
            with collector_paused():
                return sourced_as_now(accounts_ahead(), key=_source_id, ids=person_ids, sources=account_sources)

        def account_row(person: Person) -> dict | None:
            person_id = person_ids.get(person.source_id)
            if person_id is None:  # the directory refused the person: no account
                return None
            return mapping.account_row(person, person_id, schools_of_people[person.source_id], school_ids,
                                       district_source_id)

        apply(ACCOUNTS, identity.upsert_accounts,
              {**in_district, "region": request["region"],
               "update_contact_details_of_active_users": settings.sync_updates_contact_details_of_active_users},
              labels=SourceIdsOf(people.ids),
              sourced=SourcedRows(
                  snapshot.people, key=lambda person: person_ids.get(person.source_id), sources=account_sources,
                  build=account_row, made=accounts_sourced if accounts_ahead is not None else None))
        if settings.enable_student_accounts_automatically:
            _enable_students(snapshot, people.ids, district_id, district_key, request, run, ports)

    def ahead(stage: Stage, work: Callable[[], Any]) -> Callable[[], Any] | None:
        # A stage remembered whole is summarised while the people's and accounts' pages are in flight (the other
        # services working, rostering waiting): only worth it when its summary can spare building its rows.
        if request["full"] or whole_digests.get(stage.entity) is None:
            return None
        return ports.ahead(lambda: _paused(work))

    enrollments_ahead = ahead(ENROLLMENTS, lambda: _summarised_enrollments(snapshot, ports.let_others_run,
                                                                           ports.enrollment_digests))
    links_ahead = ahead(GUARDIAN_LINKS, lambda: stage_summaries.guardian_links_summary(
        snapshot, pause=ports.let_others_run))
    people_and_accounts()
    unmapped_count = 0

    def note_unmapped(unmapped: Sequence[mapping.Unmapped]) -> None:
        nonlocal unmapped_count
        run.errors += [unmapped_row(row) for row in unmapped]
        unmapped_count = len(unmapped)

    def enrollments_summary() -> StageSummary:
        summary, unmapped = enrollments_ahead()
        note_unmapped(unmapped)
        return summary

    def enrollment_rows() -> list[dict]:
        # Built inside the stage, so that nothing but the stage's plan holds the rows while they are sent.
        rows, unmapped = mapping.enrollment_rows(snapshot)
        if enrollments_ahead is None:  # else noted with the summary
            note_unmapped(unmapped)
        return rows

    def each_enrollment_row() -> Iterator[dict]:
        # Only with the summary, which noted the ones no class role fits.
        return mapping.rows_of(mapping.enrollment_columns(snapshot, []))

    enrolled = apply(ENROLLMENTS, directory.upsert_enrollments, in_district, enrollment_rows,
                     summary=enrollments_summary if enrollments_ahead is not None else None,
                     each_row=each_enrollment_row)
    enrolled.counts.failed += unmapped_count
    apply(GUARDIAN_LINKS, directory.upsert_guardian_links, in_district, lambda: mapping.guardian_link_rows(snapshot),
          summary=links_ahead, each_row=lambda: mapping.rows_of(mapping.guardian_link_columns(snapshot)))


_source_id = attrgetter("source_id")  # a person's


class SourceIdsOf(Mapping[str, str]):
    """Each directory person id's source id: the people's ids (source id -> person id) turned round, only once a
    key is asked. Accounts are keyed by person ids and their refusals name source ids; a run refuses few accounts or
    none, so a district's quarter of a million ids are seldom turned round (0.07 s of a 1 % delta's CPU)."""

    def __init__(self, person_ids: Mapping[str, str]) -> None:
        self._person_ids = person_ids

    @functools.cached_property
    def _source_ids(self) -> dict[str, str]:
        return {person_id: source_id for source_id, person_id in self._person_ids.items()}

    def __getitem__(self, person_id: str) -> str:
        return self._source_ids[person_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._source_ids)

    def __len__(self) -> int:
        return len(self._source_ids)


def _paused(work: Callable[[], Any]) -> Any:
    with collector_paused():
        return work()


def _summarised_enrollments(snapshot: Snapshot, pause: Callable[[], object],
                            kept: stage_summaries.KeptDigests | None) -> tuple[StageSummary, list[mapping.Unmapped]]:
    """The enrollments' summary, and the ones no class role fits (reported by the stage); no row is kept."""
    unmapped: list[mapping.Unmapped] = []
    return stage_summaries.enrollments_summary(snapshot, unmapped, pause=pause, kept=kept), unmapped


def _stale(earlier: Mapping[str, AppliedRow], listed: frozenset[str],
           every_key: Callable[[], Iterable[str]]) -> list[str]:
    """Remembered keys a full file no longer lists; with only the changed rows read back (RememberedSources),
    every remembered key is read only when some are not listed."""
    if isinstance(earlier, RememberedSources):
        return earlier.stale_keys(listed, every_key)
    return stale_keys(earlier, listed)


def _enable_students(snapshot: Snapshot, person_ids: Mapping[str, str], district_id: str, district_key: str,
                     request: Mapping, run: SyncRun, ports: ImportPorts) -> None:
    """The district enables its students' accounts automatically: each student not enabled by an earlier run, a
    page per call, remembered as each page is answered (domain/student_enablement.py)."""
    remembered = {} if request["full"] else ports.applied.load(district_key, STUDENT_ACCOUNTS)
    wanted = students_to_enable(snapshot.people, person_ids, remembered)
    total = Tally(EntityCounts(), {}, [])
    with calling("directory.enable_synced_student_accounts"):
        for page in mapping.pages(wanted):
            answer = ports.directory.enable_synced_student_accounts({
                "district_id": district_id, "student_ids": [person_id for _, person_id in page],
                "enabled_by": f"sync:{run.run_id}"})
            tally, enabled = enablement_results(answer["results"], {pid: sid for sid, pid in page})
            ports.applied.remember(district_key, STUDENT_ACCOUNTS, enabled)
            total = added(total, tally)
    run.record(STUDENT_ACCOUNTS, total, mapping.source_lines(snapshot, "people", {r.label for r in total.refusals}))

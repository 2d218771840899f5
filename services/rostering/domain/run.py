"""A sync run: what was read, what the other services did with it, what went wrong."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from .mapping import Unmapped
from .progress import RunProgress
from .run_ids import short
from .snapshot import RowProblem

RUNNING = "running"
COMPLETED = "completed"
REJECTED = "rejected"
FAILED = "failed"
# Held by the mass-change guard: nothing applied until an administrator approves (then running) or
# rejects it (rejected), or a newer import of the district supersedes it.
AWAITING_APPROVAL = "awaiting_approval"
SUPERSEDED = "superseded"

# The file each entity's rows come from, so a refused item still names where to look.
SOURCE_FILES = {
    "schools": "orgs.csv",
    "classrooms": "classes.csv",
    "people": "users.csv",
    "accounts": "users.csv",
    "enrollments": "enrollments.csv",
    "guardian_links": "users.csv",
    "student_accounts": "users.csv",
}

# Contract fields that come straight from a CSV column, for errors an administrator can find.
SOURCE_COLUMNS = {
    "source_id": "sourcedId",
    "name": "name",
    "title": "title",
    "class_code": "classCode",
    "school_source_id": "schoolSourcedId",
    "given_name": "givenName",
    "family_name": "familyName",
    "middle_name": "middleName",
    "identifier": "identifier",
    "grade": "grades",
    "email": "email",
    "mobile_phone": "sms",
    "home_phone": "phone",
    "classroom_source_id": "classSourcedId",
    "person_source_id": "userSourcedId",
    "guardian_source_id": "agentSourcedIds",
    "student_source_id": "agentSourcedIds",
}

SAVED_OUTCOMES = ("created", "updated", "unchanged")

# A run whose worker has not said it is alive for this long was left by a dead process: it is failed.
ABANDONED_AFTER = timedelta(seconds=60)
ABANDONED = ("the process working on this run stopped (it was killed or crashed) before the run ended: what was "
             "applied stays applied and is remembered, so the next run sends only the rest")


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Refusal:
    """Why an item was not saved; `label` names it as the source does (its sourcedId), when known."""

    entity: str
    label: str | None
    field: str | None
    reason: str

    def as_problem(self, line: int | None = None) -> dict:
        return {
            "file": SOURCE_FILES[self.entity],
            "line": line,
            "column": SOURCE_COLUMNS.get(self.field, self.field) if self.field else None,
            "value": self.label,
            "reason": self.reason,
            # A link has no record of its own: its label is the guardian:student pair.
            **({"source_id": self.label} if self.label and self.entity != "guardian_links" else {}),
        }


@dataclass(frozen=True)
class Tally:
    """What one entity's bulk calls did: counts, the ids of saved items, and refusals."""

    counts: EntityCounts
    ids: dict[str, str]
    refusals: list[Refusal]


def tally(entity: str, results: Iterable[Mapping], *, sent: int,
          labels: Mapping[str, str] | None = None) -> Tally:
    """Count the per-item results of `sent` items; items that got no result count as failed.

    `labels` turns result keys into source ids where they differ (accounts
    are keyed by directory person ids).
    """
    counting = Tallying(entity, labels)
    counting.add(results)
    return counting.done(sent)


class Tallying:
    """A tally taken a window of results at a time, so a stage's half million results are never all held.

    Without `keep_ids` the ids of saved items are not kept: only stages whose ids later stages use need them.
    """

    def __init__(self, entity: str, labels: Mapping[str, str] | None = None, *, keep_ids: bool = True) -> None:
        # `labels` is asked only of refused items, never made true or false (importing.SourceIdsOf is lazy).
        self.entity, self.labels, self.keep_ids = entity, {} if labels is None else labels, keep_ids
        self.counts = EntityCounts()
        self.ids: dict[str, str] = {}
        self.refusals: list[Refusal] = []
        self.answered = 0

    def add(self, results: Iterable[Mapping]) -> None:
        counts, ids, keep_ids = self.counts, self.ids, self.keep_ids
        for result in results:
            self.answered += 1
            key, outcome = result["key"], result["outcome"]
            if outcome in SAVED_OUTCOMES:
                setattr(counts, outcome, getattr(counts, outcome) + 1)
                if keep_ids and result.get("id"):
                    ids[key] = result["id"]
            elif outcome == "skipped":
                counts.skipped += 1
            else:
                counts.failed += 1
                label = self.labels.get(key, key)
                problems = result.get("problems") or [{"field": None, "reason": f"not saved ({outcome})"}]
                self.refusals += [Refusal(self.entity, label, problem["field"], problem["reason"])
                                  for problem in problems]

    def done(self, sent: int) -> Tally:
        """The tally of `sent` items: those without a result count as failed. The ids are handed over, not copied
        (a district's people are a quarter of a million)."""
        counts, refusals = replace(self.counts), list(self.refusals)
        if self.answered < sent:
            counts.failed += sent - self.answered
            refusals.append(Refusal(self.entity, None, None,
                                    f"{sent - self.answered} item(s) got no result from the service"))
        return Tally(counts, self.ids, refusals)


def named_as_reported(rows: Iterable[dict], names: Mapping[str, str]) -> list[dict]:
    """Report rows (errors, warnings, changes) with each file named as the source's report calls it."""
    return list(each_named_as_reported(rows, names))


def each_named_as_reported(rows: Iterable[dict], names: Mapping[str, str]) -> Iterator[dict]:
    """named_as_reported one row at a time, for rows too many to hold twice (a district's changes)."""
    for row in rows:
        yield {**row, "file": names[row["file"]]} if row.get("file") in names else row


def problem_row(problem: RowProblem) -> dict:
    return problem.as_row()


def unmapped_row(unmapped: Unmapped) -> dict:
    return {"file": unmapped.file, "line": unmapped.line, "column": unmapped.column, "value": unmapped.value,
            "reason": unmapped.reason, "source_id": unmapped.source_id}


@dataclass
class SyncRun:
    run_id: str
    source: str
    started_at: datetime
    state: str = RUNNING
    district_id: str | None = None
    finished_at: datetime | None = None
    counts: dict[str, EntityCounts] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    message: str | None = None
    diff: dict | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    progress: RunProgress = field(default_factory=RunProgress)
    # The district as its source names it, set once the source is read: one running run per district.
    district_key: str | None = None

    def record(self, entity: str, result: Tally, lines: Mapping[str, int] | None = None) -> None:
        """An entity's counts and refusals; `lines` names the source line of a refused row by its label."""
        self.counts[entity] = result.counts
        lines = lines or {}
        self.errors += [refusal.as_problem(lines.get(refusal.label) if refusal.label else None)
                        for refusal in result.refusals]

    def reject(self, message: str, at: datetime) -> None:
        self._finish(REJECTED, at, message)

    def hold(self, message: str, diff: dict, at: datetime) -> None:
        """Stopped by the mass-change guard before anything was applied: waits for a decision."""
        self._finish(AWAITING_APPROVAL, at, message)
        self.diff = diff

    def approve(self, by: str, at: datetime) -> None:
        """An administrator confirmed the held diff: the run goes on from where it stopped."""
        self._decide(by, at)
        self.state, self.finished_at = RUNNING, None
        self.message = f"approved by {by}; applying"

    def decline(self, by: str, at: datetime, reason: str | None) -> None:
        self._decide(by, at)
        self.state, self.finished_at = REJECTED, at
        self.message = f"rejected by {by}" + (f": {reason}" if reason else "") + "; nothing was applied"

    def supersede(self, newer_run_id: str, at: datetime) -> None:
        if self.state != AWAITING_APPROVAL:
            raise ValueError(f"run {self.run_id} is {self.state}, not awaiting approval")
        self.state, self.finished_at = SUPERSEDED, at
        self.message = f"superseded by run {newer_run_id} before anyone decided; nothing was applied"

    def _decide(self, by: str, at: datetime) -> None:
        if self.state != AWAITING_APPROVAL:
            raise ValueError(f"run {self.run_id} is {self.state}, not awaiting approval")
        self.decided_by, self.decided_at = by, at

    def fail(self, message: str, at: datetime) -> None:
        self._finish(FAILED, at, message)

    def complete(self, at: datetime) -> None:
        failed = sum(counts.failed for counts in self.counts.values())
        message = None
        if self.errors:
            message = f"{len(self.errors)} row error(s)" + (f"; {failed} item(s) not saved" if failed else "")
        self._finish(COMPLETED, at, message)

    def _finish(self, state: str, at: datetime, message: str | None) -> None:
        if self.state != RUNNING:
            raise ValueError(f"run {self.run_id} already finished ({self.state})")
        self.state, self.finished_at, self.message = state, at, message

    def heading(self, now: datetime | None) -> dict:
        """What every view of the run starts with: its ids, state, times and progress."""
        return {
            "run_id": self.run_id,
            "short_id": short(self.run_id),
            "state": self.state,
            "source": self.source,
            "district_id": self.district_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "progress": self.progress.as_payload(now if self.state == RUNNING else None),
        }

    def as_payload(self, now: datetime | None = None) -> dict:
        """The run as the rostering contract's SyncRun describes it (`now` gives a running run its ETA)."""
        return {
            **self.heading(now),
            "counts": self.counts_payload(),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "message": self.message,
            "diff": self.diff,
        }

    def counts_payload(self) -> dict:
        return {entity: asdict(counts) for entity, counts in self.counts.items()}

    def completion_event(self) -> dict:
        return {"run_id": self.run_id, "state": self.state, "district_id": self.district_id,
                "error_count": len(self.errors)}


@dataclass(frozen=True)
class FollowedRun:
    """A run as read to be followed while it runs: everything but its findings and archive diff, which are not
    read at all (a district's run holds thousands of row errors, and a client polls every half second); their
    counts stand for the findings. Not a SyncRun, so it is never saved in place of one."""

    run: SyncRun  # its errors, warnings and diff left unread: empty
    error_count: int
    warning_count: int

    def as_payload(self, now: datetime | None = None) -> dict:
        """The run as the rostering contract's FollowedSyncRun describes it."""
        return {**self.as_summary(now), "counts": self.run.counts_payload(), "message": self.run.message}

    def as_summary(self, now: datetime | None = None) -> dict:
        """The run as the rostering contract's SyncRunSummary describes it."""
        return {**self.run.heading(now), "error_count": self.error_count, "warning_count": self.warning_count}


class DistrictBusy(Exception):
    """Another run of the district is running: `running` is that run."""

    def __init__(self, running: SyncRun) -> None:
        super().__init__(running.run_id)
        self.running = running


def busy_refusal(what: str, running: SyncRun) -> str:
    """Why a run may not start while another run of the same district (or package) is going."""
    return (f"{what} is already being synced by run {short(running.run_id)} (running since "
            f"{running.started_at.isoformat(timespec='seconds')}, from {running.source}): nothing was applied; "
            f"follow it with `schoolctl roster follow {short(running.run_id)}` and start again when it ends")

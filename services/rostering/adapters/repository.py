"""Sync runs in the rostering database; every method commits its own unit of work.

A write that tells others of the run (queued, approved, completed) takes an `announce` that stages those events
(shared/outbox.py) inside the write's own transaction: they commit with the run as saved, and a refused write
(a district busy) rolls them back with it. Staged before the write instead, they would be dropped by the
rollback that starts each write afresh."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import sync_runs
from services.rostering.domain.progress import RunProgress
from services.rostering.domain.run import FAILED, RUNNING, DistrictBusy, EntityCounts, FollowedRun, SyncRun
from services.rostering.domain.run_ids import the_one, usable_prefix
from shared.db import as_utc
from shared.outbox import Announce, nothing_to_announce

T = TypeVar("T")


class SyncRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, run: SyncRun, *, announce: Announce = nothing_to_announce) -> None:
        self.session.execute(insert(sync_runs).values(id=run.run_id, **_columns(run)))
        announce()
        self.session.commit()

    def save(self, run: SyncRun, *, announce: Announce = nothing_to_announce) -> None:
        # Every method here commits its own work, so nothing is pending; but a statement that failed
        # (the reason the run is being saved as failed) leaves the transaction aborted: start afresh.
        self.session.rollback()
        try:
            self.session.execute(update(sync_runs).where(sync_runs.c.id == run.run_id).values(**_columns(run)))
            announce()  # after the statement a busy district refuses: a refusal has staged nothing
            self.session.commit()
        except IntegrityError:  # a held run approved while another run of its district is running
            self.session.rollback()
            running = self.running_in(run.district_key) if run.district_key else None
            if running is None:
                raise
            raise DistrictBusy(running) from None

    def take_up(self, run: SyncRun, owner: str, at: datetime) -> None:
        """`owner` works on the run from now on: its heartbeat keeps it alive, its silence fails it."""
        self.session.rollback()
        self.session.execute(update(sync_runs).where(sync_runs.c.id == run.run_id).values(
            owner=owner, heartbeat_at=at))
        self.session.commit()

    def claim(self, run: SyncRun, district_key: str, owner: str, at: datetime) -> None:
        """Make `run` the district's one running run, worked on by `owner`; DistrictBusy when another is."""
        self.session.rollback()
        try:
            self.session.execute(update(sync_runs).where(sync_runs.c.id == run.run_id).values(
                district_key=district_key, owner=owner, heartbeat_at=at))
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            running = self.running_in(district_key)
            if running is None:  # it ended between the two statements: try once more
                return self.claim(run, district_key, owner, at)
            raise DistrictBusy(running) from None
        run.district_key = district_key

    def running_in(self, district_key: str) -> SyncRun | None:
        row = self.session.execute(select(sync_runs).where(
            sync_runs.c.district_key == district_key, sync_runs.c.state == RUNNING)).mappings().first()
        self.session.commit()
        return None if row is None else _run(row)

    def running_from(self, source: str) -> SyncRun | None:
        row = self.session.execute(select(sync_runs).where(
            sync_runs.c.source == source, sync_runs.c.state == RUNNING)).mappings().first()
        self.session.commit()
        return None if row is None else _run(row)

    def save_progress(self, run: SyncRun, at: datetime) -> None:
        """Only the progress (and the heartbeat it is): a narrow write, made in batches while the run works."""
        self.session.rollback()
        self.session.execute(update(sync_runs).where(sync_runs.c.id == run.run_id).values(
            progress=run.progress.as_stored(), heartbeat_at=at))
        self.session.commit()

    def beat(self, owner: str, at: datetime) -> int:
        """Every run `owner` is working on is still alive."""
        done = self.session.execute(update(sync_runs).where(
            sync_runs.c.owner == owner, sync_runs.c.state == RUNNING).values(heartbeat_at=at))
        self.session.commit()
        return done.rowcount

    def fail_abandoned(self, silent_since: datetime, message: str, at: datetime) -> list[str]:
        """Fail the runs a worker took up and stopped beating for before `silent_since`: its process died."""
        abandoned = self.session.execute(update(sync_runs).where(
            sync_runs.c.state == RUNNING, sync_runs.c.owner.is_not(None),
            sync_runs.c.heartbeat_at < silent_since).values(
            state=FAILED, finished_at=at, message=message).returning(sync_runs.c.id)).scalars().all()
        self.session.commit()
        return list(abandoned)

    def find(self, run_id: str) -> SyncRun | None:
        """The run with this id, or the one whose id starts with it (AmbiguousRunId when several do)."""
        return self._by_id_or_prefix(run_id, self.get)

    def follow(self, run_id: str) -> FollowedRun | None:
        """As find, read as FollowedRun: its findings counted in the database, neither they nor its archive diff
        read back (a poll of a district's run read thousands of row errors every half second)."""
        return self._by_id_or_prefix(run_id, self._followed)

    def get(self, run_id: str) -> SyncRun | None:
        row = self.session.execute(select(sync_runs).where(sync_runs.c.id == run_id)).mappings().first()
        # Close the read transaction now: the worker may go on to wait on other services.
        self.session.commit()
        return None if row is None else _run(row)

    def _followed(self, run_id: str) -> FollowedRun | None:
        row = self.session.execute(_FOLLOWED.where(sync_runs.c.id == run_id)).mappings().first()
        self.session.commit()
        return None if row is None else _followed(row)

    def _by_id_or_prefix(self, run_id: str, read: Callable[[str], T | None]) -> T | None:
        run = read(run_id)
        prefix = usable_prefix(run_id)
        if run is not None or prefix is None:
            return run
        matches = self.session.execute(select(sync_runs.c.id).where(
            sync_runs.c.id.startswith(prefix, autoescape=True)).limit(6)).scalars().all()
        self.session.commit()
        found = the_one(prefix, list(matches))
        return None if found is None else read(found)

    def recent(self, limit: int, *, state: str | None = None, district_id: str | None = None) -> list[SyncRun]:
        rows = self._recent(select(sync_runs), limit, state, district_id)
        return [_run(row) for row in rows]

    def recent_followed(self, limit: int, *, state: str | None = None,
                        district_id: str | None = None) -> list[FollowedRun]:
        """As recent, each run read as FollowedRun: a list of a hundred district runs read no findings."""
        return [_followed(row) for row in self._recent(_FOLLOWED, limit, state, district_id)]

    def _recent(self, query: Select, limit: int, state: str | None, district_id: str | None) -> list:
        query = query.order_by(sync_runs.c.started_at.desc(), sync_runs.c.id).limit(limit)
        if state is not None:
            query = query.where(sync_runs.c.state == state)
        if district_id is not None:
            query = query.where(sync_runs.c.district_id == district_id)
        rows = self.session.execute(query).mappings().all()
        self.session.commit()
        return rows


# Every column but the findings and the diff, and how many findings there are (JSON arrays, counted where they lie).
_FOLLOWED = select(*(column for column in sync_runs.c if column.name not in ("errors", "warnings", "diff")),
                   func.json_array_length(sync_runs.c.errors).label("error_count"),
                   func.json_array_length(sync_runs.c.warnings).label("warning_count"))


def _columns(run: SyncRun) -> dict:
    return {
        "state": run.state,
        "source": run.source,
        "district_id": run.district_id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "counts": {entity: asdict(counts) for entity, counts in run.counts.items()},
        "errors": run.errors,
        "warnings": run.warnings,
        "message": run.message,
        "diff": run.diff,
        "decided_by": run.decided_by,
        "decided_at": run.decided_at,
        "progress": run.progress.as_stored(),
    }


def _followed(row) -> FollowedRun:
    return FollowedRun(_run({**row, "errors": (), "warnings": (), "diff": None}), row["error_count"],
                       row["warning_count"])


def _run(row) -> SyncRun:
    return SyncRun(
        run_id=row["id"],
        source=row["source"],
        started_at=as_utc(row["started_at"]),
        state=row["state"],
        district_id=row["district_id"],
        finished_at=as_utc(row["finished_at"]),
        counts={entity: EntityCounts(**counts) for entity, counts in row["counts"].items()},
        errors=list(row["errors"]),
        warnings=list(row["warnings"]),
        message=row["message"],
        diff=row["diff"],
        decided_by=row["decided_by"],
        decided_at=as_utc(row["decided_at"]),
        progress=RunProgress.from_stored(row["progress"]),
        district_key=row["district_key"],
    )


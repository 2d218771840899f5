"""Sync runs in the rostering database; every method commits its own unit of work."""
from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import sync_runs
from services.rostering.domain.run import EntityCounts, SyncRun
from shared.db import as_utc


class SyncRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, run: SyncRun) -> None:
        self.session.execute(insert(sync_runs).values(id=run.run_id, **_columns(run)))
        self.session.commit()

    def save(self, run: SyncRun) -> None:
        # Every method here commits its own work, so nothing is pending; but a statement that failed
        # (the reason the run is being saved as failed) leaves the transaction aborted: start afresh.
        self.session.rollback()
        self.session.execute(update(sync_runs).where(sync_runs.c.id == run.run_id).values(**_columns(run)))
        self.session.commit()

    def get(self, run_id: str) -> SyncRun | None:
        row = self.session.execute(select(sync_runs).where(sync_runs.c.id == run_id)).mappings().first()
        # Close the read transaction now: the worker may go on to wait on other services.
        self.session.commit()
        return None if row is None else _run(row)

    def recent(self, limit: int, *, state: str | None = None, district_id: str | None = None) -> list[SyncRun]:
        query = select(sync_runs).order_by(sync_runs.c.started_at.desc(), sync_runs.c.id).limit(limit)
        if state is not None:
            query = query.where(sync_runs.c.state == state)
        if district_id is not None:
            query = query.where(sync_runs.c.district_id == district_id)
        rows = self.session.execute(query).mappings().all()
        self.session.commit()
        return [_run(row) for row in rows]


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
    }


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
    )


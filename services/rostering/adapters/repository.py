"""Sync runs in the rostering database; every method commits its own unit of work."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import sync_runs
from services.rostering.domain.run import EntityCounts, SyncRun


class SyncRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, run: SyncRun) -> None:
        self.session.execute(insert(sync_runs).values(id=run.run_id, **_columns(run)))
        self.session.commit()

    def save(self, run: SyncRun) -> None:
        self.session.execute(update(sync_runs).where(sync_runs.c.id == run.run_id).values(**_columns(run)))
        self.session.commit()

    def get(self, run_id: str) -> SyncRun | None:
        row = self.session.execute(select(sync_runs).where(sync_runs.c.id == run_id)).mappings().first()
        # Close the read transaction now: the worker may go on to wait on other services.
        self.session.commit()
        return None if row is None else _run(row)

    def recent(self, limit: int) -> list[SyncRun]:
        rows = self.session.execute(
            select(sync_runs).order_by(sync_runs.c.started_at.desc(), sync_runs.c.id).limit(limit)).mappings().all()
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
    }


def _run(row) -> SyncRun:
    return SyncRun(
        run_id=row["id"],
        source=row["source"],
        started_at=_utc(row["started_at"]),
        state=row["state"],
        district_id=row["district_id"],
        finished_at=_utc(row["finished_at"]),
        counts={entity: EntityCounts(**counts) for entity, counts in row["counts"].items()},
        errors=list(row["errors"]),
        warnings=list(row["warnings"]),
        message=row["message"],
    )


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every moment stored here was UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment

"""Bulk-action jobs: what was asked, how far it got, and what became of each item."""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.directory.adapters.tables import jobs
from services.directory.domain.jobs import JobRecord
from shared.db import as_utc


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, job: JobRecord) -> None:
        self.session.execute(insert(jobs).values(**_columns(job)))
        self.session.commit()

    def save(self, job: JobRecord) -> None:
        self.session.execute(update(jobs).where(jobs.c.id == job.id).values(**_columns(job)))
        self.session.commit()

    def get(self, job_id: str) -> JobRecord | None:
        row = self.session.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        # Close the read transaction: the caller may go on to work for a while.
        self.session.commit()
        if row is None:
            return None
        return JobRecord(id=row["id"], district_id=row["district_id"], action=row["action"],
                         requested_by=row["requested_by"], request=row["request"], state=row["state"],
                         total=row["total"], processed=row["processed"], results=list(row["results"]),
                         message=row["message"], created_at=as_utc(row["created_at"]),
                         finished_at=as_utc(row["finished_at"]))


def _columns(job: JobRecord) -> dict:
    return {"id": job.id, "district_id": job.district_id, "action": job.action, "requested_by": job.requested_by,
            "request": job.request, "state": job.state, "total": job.total, "processed": job.processed,
            "summary": job.summary(), "results": job.results, "message": job.message,
            "created_at": job.created_at, "finished_at": job.finished_at}


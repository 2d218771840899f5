"""A bulk action as a job: small ones are done before the answer, large ones page by page in the background.

A job keeps the ids it is for (resolved once, when it is accepted, so "everything matching" means what
matched then), how many are processed, and one result per processed item. Working through a page is
idempotent: an item already in the wanted state answers `already`, so a page repeated after a crash
changes nothing twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

QUEUED, RUNNING, COMPLETED, FAILED = "queued", "running", "completed", "failed"
# Items a request may have done before its answer; more go to the background.
INLINE_ITEMS = 1000
# Items per transaction while a job works in the background.
JOB_PAGE = 1000


@dataclass
class JobRecord:
    id: str
    district_id: str | None
    action: str
    requested_by: str
    request: dict[str, Any]  # the viewer and the ids, as accepted
    created_at: datetime
    state: str = QUEUED
    total: int = 0
    processed: int = 0
    results: list[dict] = field(default_factory=list)
    message: str | None = None
    finished_at: datetime | None = None

    @property
    def item_ids(self) -> list[str]:
        return self.request["ids"]

    def next_page(self, size: int) -> list[str]:
        return self.item_ids[self.processed:self.processed + size]

    def record(self, results: list[dict], now: datetime) -> None:
        """One page's results; the job completes with its last page."""
        self.results += results
        self.processed += len(results)
        self.state = RUNNING
        if self.processed >= self.total:
            self.state, self.finished_at = COMPLETED, now

    def fail(self, message: str, now: datetime) -> None:
        self.state, self.message, self.finished_at = FAILED, message, now

    @property
    def finished(self) -> bool:
        return self.state in (COMPLETED, FAILED)

    def summary(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for result in self.results:
            counted[result["outcome"]] = counted.get(result["outcome"], 0) + 1
        return counted

    def as_payload(self) -> dict:
        """The job as the directory contract's Job describes it."""
        return {"job_id": self.id, "action": self.action, "state": self.state, "total": self.total,
                "processed": self.processed, "summary": self.summary(), "results": list(self.results),
                "message": self.message, "created_at": self.created_at, "finished_at": self.finished_at}

"""Keep a job's receipts through a database blip: `record_answers` and `record_job` are tried again in place
before giving up.

Once the provider has answered, a failure to keep its answer sends the job round
again, and what went unrecorded goes out a second time. A deadlock, a dropped
connection (a terminated backend) or SQLite's busy lock usually clears within
moments, so the write is retried here first. Each is one transaction, applied
wholly or not at all, so trying it again is safe.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from services.notify.domain.delivery import Channel, ProviderReceipt
from services.notify.queue.jobs import DeliveryJob
from services.notify.ports import (
    CommunicationContent,
    DeliveryStore,
    FallbackContext,
    JobPage,
    JobRecord,
    PageDelivery,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# About 12 s in all: longer than a deadlock or a failover blip; a longer outage is the job retry's business.
RECORD_PAUSES_SECONDS = (0.2, 1.0, 3.0, 8.0)


class PatientRecording:
    """A DeliveryStore whose `record_job` outlasts transient database errors; the rest passes through."""

    def __init__(self, store: DeliveryStore, *, pauses: Sequence[float] = RECORD_PAUSES_SECONDS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._store = store
        self._pauses = tuple(pauses)
        self._sleep = sleep

    def record_job(self, record: JobRecord, *, now: datetime) -> list[tuple[str, Channel]]:
        return self._patiently(lambda: self._store.record_job(record, now=now),
                               f"recording {len(record.results)} results of {record.communication_id}")

    def record_answers(self, communication_id: str, channel: Channel, answers: Mapping[str, ProviderReceipt], *,
                       job_id: str, now: datetime) -> None:
        self._patiently(lambda: self._store.record_answers(communication_id, channel, answers, job_id=job_id, now=now),
                        f"keeping {len(answers)} {channel.value} answers of job {job_id}")

    def _patiently(self, write: Callable[[], T], what: str) -> T:
        for attempt, pause in enumerate(self._pauses, start=1):
            try:
                return write()
            except OperationalError as error:
                log.warning("%s failed (attempt %d): %s; again in %.1f s", what, attempt, error.orig, pause)
                self._sleep(pause)
        return write()

    def answered_sends(self, communication_id: str, channel: Channel, deliveries: Sequence[PageDelivery], *,
                       job_id: str) -> dict[str, ProviderReceipt]:
        return self._store.answered_sends(communication_id, channel, deliveries, job_id=job_id)

    def load_page(self, job: DeliveryJob) -> JobPage:
        return self._store.load_page(job)

    def claim_sends(self, communication_id: str, channel: Channel, deliveries: Sequence[PageDelivery], *,
                    job_id: str, now: datetime) -> set[str]:
        return self._store.claim_sends(communication_id, channel, deliveries, job_id=job_id, now=now)

    def deliver_to_inbox(self, communication_id: str, deliveries: Sequence[PageDelivery], *,
                         now: datetime) -> int:
        return self._store.deliver_to_inbox(communication_id, deliveries, now=now)

    def device_tokens(self, person_ids: Sequence[str]) -> Mapping[str, Sequence[str]]:
        return self._store.device_tokens(person_ids)

    def forget_device_tokens(self, tokens: Sequence[str]) -> None:
        self._store.forget_device_tokens(tokens)

    def load_fallback_context(self, communication: CommunicationContent,
                              person_ids: Sequence[str]) -> FallbackContext:
        return self._store.load_fallback_context(communication, person_ids)

    def mark_queued(self, delivery_ids: Sequence[str], *, now: datetime) -> None:
        self._store.mark_queued(delivery_ids, now=now)

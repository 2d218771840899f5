"""From a queue message to `process_job`, and from its outcome to what happens to the message.

- not a job, or a job no worker can process (unknown communication, no
  provider for its channel): dead-lettered at once, logged with the reason;
- the broker connection went away mid-job: it stops sending after the answer in hand (the broker has
  handed the job to another worker, which takes up the answers kept so far and the rest);
- processing raised (database away, a bug): the same job, under the same
  message id, goes round the retry path with backoff (JOB_RETRY), and is
  dead-lettered once those attempts are used up;
- otherwise acked, after every follow-up job it made was confirmed.

Dead-lettering publishes the message to the dead-letter exchange with its
reason in the headers (domain.stuck_jobs), confirmed, then acks it; only if
that publish fails is it rejected for the broker to dead-letter without ours.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from services.notify.domain.delivery import Channel, ProviderChannel
from services.notify.domain.retry import DELIVERY_RETRY, JOB_RETRY, Draw, RetryPolicy
from services.notify.domain.stuck_jobs import DeadLetter, DeadReason, dead_letter_headers
from services.notify.queue.consumer import Disposition, ReceivedJob
from services.notify.queue.jobs import InvalidJob, parse_job
from services.notify.queue.publisher import REQUEST_ID_HEADER, DelayedJob, PublishFailed, RawMessage
from services.notify.ports import DeliveryStore, FollowUpPublisher
from services.notify.worker.process_job import JobAbandoned, PoisonJob, process_job
from shared.logs import REQUEST_ID

log = logging.getLogger(__name__)


class DeliveryJobHandler:
    def __init__(self, *, deliveries: DeliveryStore, channels: Mapping[Channel, ProviderChannel],
                 follow_ups: FollowUpPublisher, clock: Callable[[], datetime], draw: Draw,
                 delivery_retry: RetryPolicy = DELIVERY_RETRY, job_retry: RetryPolicy = JOB_RETRY) -> None:
        self._deliveries = deliveries
        self._channels = channels
        self._follow_ups = follow_ups
        self._clock = clock
        self._draw = draw
        self._delivery_retry = delivery_retry
        self._job_retry = job_retry

    def __call__(self, message: ReceivedJob) -> Disposition:
        # Every job our publisher sends has an id; anything else is named by its content, so a
        # redelivery of it still recognises the ledger rows it wrote.
        job_id = message.message_id or hashlib.sha256(message.body).hexdigest()[:32]
        # The request that caused the job names this job's log lines and follow-up jobs (else the job's own id).
        traced = REQUEST_ID.set(str(message.headers.get(REQUEST_ID_HEADER) or job_id))
        try:
            return self._handle(message, job_id)
        finally:
            REQUEST_ID.reset(traced)

    def _handle(self, message: ReceivedJob, job_id: str) -> Disposition:
        try:
            job = parse_job(message.body)
        except InvalidJob as error:
            log.error("dead-lettering message %s: %s", job_id, error)
            return self._dead_letter(message, DeadLetter(DeadReason.INVALID_JOB, str(error)))
        try:
            summary = process_job(job, job_id=job_id, deliveries=self._deliveries, channels=self._channels,
                                  follow_ups=self._follow_ups, clock=self._clock, draw=self._draw,
                                  policy=self._delivery_retry, still_held=message.still_held)
        except JobAbandoned as error:
            log.warning("%s", error)
            return Disposition.REQUEUE  # the broker already handed it on; nothing to settle
        except PoisonJob as error:
            log.error("dead-lettering job %s (%s, %d deliveries): %s", job_id, job.channel.value,
                      len(job.delivery_ids), error)
            return self._dead_letter(message, DeadLetter(DeadReason.POISON_JOB, str(error)))
        except Exception as error:  # noqa: BLE001 — the job goes round again, or to the dead letters; never dropped
            return self._try_again_later(message, job, job_id, message.failures + 1, error)
        log.info("job %s done (%s x%d of %s%s): sent %d, failed %d, fell back %d, retrying %d, skipped %d",
                 job_id, job.channel.value, len(job.delivery_ids), job.communication_id,
                 ", redelivered" if message.redelivered else "", summary.sent, summary.failed, summary.fell_back,
                 summary.retrying, summary.skipped)
        return Disposition.ACK

    def _try_again_later(self, message: ReceivedJob, job, job_id: str, failures: int,
                         error: Exception) -> Disposition:
        delay = self._job_retry.delay(failures, self._draw)
        if delay is None:
            log.exception("dead-lettering job %s: processing failed %d times", job_id, failures)
            return self._dead_letter(message, DeadLetter(
                DeadReason.RETRIES_EXHAUSTED, f"processing failed {failures} times, last: {error!r}"),
                failures=failures)
        log.exception("job %s failed (%d of %d); trying again in %.1f s", job_id, failures,
                      self._job_retry.max_attempts, delay)
        # Same message id: ledger rows this run left 'sending' stay claimable by this job only.
        self._follow_ups.publish_later([DelayedJob(job, delay, message_id=job_id, failures=failures)])
        return Disposition.ACK

    def _dead_letter(self, message: ReceivedJob, letter: DeadLetter, *, failures: int = 0) -> Disposition:
        headers = dead_letter_headers(letter, now=self._clock(), failures=failures, original=message.headers)
        try:
            self._follow_ups.publish_dead_letter(RawMessage(message.body, message.message_id, headers))
        except PublishFailed as error:
            log.warning("could not write the reason of dead letter %s (%s); rejecting it without",
                        message.message_id, error)
            return Disposition.DEAD_LETTER
        return Disposition.ACK

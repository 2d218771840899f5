"""The use case: process one delivery job — a page of one communication's deliveries on one channel.

1. Load the page (deliveries, their credentials' health, the communication).
2. Publish again any fallback an earlier run of this job created but died before queueing.
3. Fail, without a provider call, deliveries whose credential is bad or opted out (F1 follows).
4. Claim the rest in the send ledger, committed BEFORE the provider call; skip what is claimed.
5. Send the claimed ones in the provider's batches, writing each provider request's answers into the
   ledger as they come ('answered', with the receipt), before the next request.
6. Judge each answer (verdicts.py), plan fallbacks for the failures (planner.plan_fallback).
7. Record everything in one transaction; then publish fallback and retry jobs, confirmed.

The caller acks the job only after this returns. A crash anywhere loses
nothing: before step 4 nothing happened; between 4 and 7 the job comes back,
takes the answers its earlier run kept as if just given (no provider call) and
re-sends only what that run had claimed and not heard back about: the one
request in flight; after 7 the ledger and the statuses skip everything done.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.notify.domain.delivery import (
    PERSONAL_COMMUNICATIONS,
    SENDABLE_STATUSES,
    Answered,
    Channel,
    Communication,
    CredentialState,
    DeliveryStatus,
    OutboundMessage,
    Outcome,
    ProviderChannel,
    ProviderReceipt,
)
from services.notify.domain.messages import compose
from services.notify.domain.planner import plan_fallback
from services.notify.domain.retry import DELIVERY_RETRY, Draw, RetryPolicy
from services.notify.queue.jobs import DeliveryJob, pages_of
from services.notify.queue.publisher import DelayedJob
from services.notify.ports import (
    CommunicationContent,
    DeliveryResult,
    DeliveryStore,
    Fallback,
    FollowUpPublisher,
    JobRecord,
    LedgerAction,
    PageDelivery,
)
from services.notify.worker.push_job import PushChannel, push_verdicts
from services.notify.worker.verdicts import Verdict, judge_expired, judge_receipt, judge_unsendable
from shared.metrics import PROVIDER_CALL_SECONDS, PROVIDER_RECEIPTS

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class PoisonJob(ValueError):
    """A well-formed job no worker can ever process; it belongs in the dead-letter queue."""


class JobAbandoned(RuntimeError):
    """This worker no longer holds the job (its broker connection is gone, the job went to another worker):
    stop sending after the answer just kept; the other worker's run takes the kept answers and the rest."""


class AnswersNotKept(RuntimeError):
    """The ledger could not take a provider's answers: stop sending (the job goes round again, and its next
    run sends again only what went unrecorded), and never mistake it for the provider failing."""


@dataclass(frozen=True, slots=True)
class JobSummary:
    sent: int = 0  # accepted or delivered by the provider (or the inbox)
    failed: int = 0  # failed for good: fell back, or unreachable
    fell_back: int = 0  # fallback deliveries created and queued
    retrying: int = 0  # queued again after a backoff
    skipped: int = 0  # already done, or claimed by another job


def process_job(job: DeliveryJob, *, job_id: str, deliveries: DeliveryStore,
                channels: Mapping[Channel, ProviderChannel], follow_ups: FollowUpPublisher, clock: Clock,
                draw: Draw, policy: RetryPolicy = DELIVERY_RETRY,
                still_held: Callable[[], bool] = lambda: True) -> JobSummary:
    page = deliveries.load_page(job)
    communication = page.communication
    if communication is None:
        raise PoisonJob(f"communication {job.communication_id} does not exist")
    if page.unqueued_fallbacks:
        queue_fallbacks(job.communication_id, page.unqueued_fallbacks, deliveries, follow_ups, clock)
    sendable = [delivery for delivery in page.deliveries if delivery.status in SENDABLE_STATUSES]
    done_before = len(job.delivery_ids) - len(sendable)
    if job.channel is Channel.APP:
        added = deliveries.deliver_to_inbox(job.communication_id, sendable, now=clock())
        return JobSummary(sent=len(sendable), skipped=done_before + len(sendable) - added)
    if job.channel is Channel.PUSH:
        return _push(job, communication, sendable, done_before, job_id=job_id, deliveries=deliveries,
                     push=channels.get(Channel.PUSH), follow_ups=follow_ups, clock=clock, draw=draw, policy=policy)
    provider = channels.get(job.channel)
    if provider is None:
        raise PoisonJob(f"this worker has no provider for {job.channel.value}")

    expired = [delivery for delivery in sendable if _expired(delivery, communication.kind)]
    sendable = [delivery for delivery in sendable if not _expired(delivery, communication.kind)]
    unsendable = [delivery for delivery in sendable if not _can_send(delivery, communication.kind)]
    ready = [delivery for delivery in sendable if _can_send(delivery, communication.kind)]
    claimed_ids = deliveries.claim_sends(job.communication_id, job.channel, ready, job_id=job_id, now=clock())
    claimed = [delivery for delivery in ready if delivery.id in claimed_ids]
    unclaimed = [delivery for delivery in ready if delivery.id not in claimed_ids]
    kept = deliveries.answered_sends(job.communication_id, job.channel, unclaimed, job_id=job_id) \
        if unclaimed else {}
    verdicts = [judge_expired(delivery) for delivery in expired]
    verdicts += [judge_unsendable(delivery) for delivery in unsendable]
    verdicts += [judge_receipt(delivery, kept[delivery.id], policy) for delivery in unclaimed if delivery.id in kept]
    verdicts += _send(provider, claimed, communication, policy,
                      _keeper(job, claimed, job_id=job_id, deliveries=deliveries, clock=clock,
                              still_held=still_held))

    fallbacks = plan_fallbacks(communication, [v.delivery for v in verdicts if v.fall_back], deliveries)
    created = deliveries.record_job(JobRecord(
        job.communication_id, job.channel, tuple(v.result for v in verdicts),
        tuple(v.credential for v in verdicts if v.credential is not None), tuple(fallbacks)), now=clock())
    if created:
        queue_fallbacks(job.communication_id, created, deliveries, follow_ups, clock)
    retries = [v for v in verdicts if v.retry]
    if retries:
        follow_ups.publish_later(_retry_jobs(job, retries, policy, draw))
    return JobSummary(
        sent=sum(1 for v in verdicts if v.result.status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)),
        failed=sum(1 for v in verdicts if v.result.status is DeliveryStatus.FAILED),
        fell_back=len(created), retrying=len(retries), skipped=done_before + len(unclaimed) - len(kept))


def _keeper(job: DeliveryJob, claimed: Sequence[PageDelivery], *, job_id: str, deliveries: DeliveryStore,
            clock: Clock, still_held: Callable[[], bool]) -> Answered:
    """Step 5's write: each provider request's answers into the ledger before the next request, which goes
    out only while this worker still holds the job."""
    person_of = {delivery.id: delivery.person_id for delivery in claimed}

    def keep(receipts: Sequence[ProviderReceipt]) -> None:
        answers = {person_of[receipt.delivery_id]: receipt for receipt in receipts
                   if receipt.delivery_id in person_of}
        if not answers:
            return
        try:
            deliveries.record_answers(job.communication_id, job.channel, answers, job_id=job_id, now=clock())
        except Exception as error:  # noqa: BLE001 — raised again as what it means to the send loop
            raise AnswersNotKept(f"{len(answers)} {job.channel.value} answers of job {job_id} could not be kept: "
                                 f"{error!r}") from error
        if not still_held():
            raise JobAbandoned(f"job {job_id} went to another worker with the broker connection; stopped "
                               f"sending after {len(answers)} more {job.channel.value} answers")

    return keep


def _push(job: DeliveryJob, communication: CommunicationContent, sendable: Sequence[PageDelivery],
          done_before: int, *, job_id: str, deliveries: DeliveryStore, push: PushChannel | None,
          follow_ups: FollowUpPublisher, clock: Clock, draw: Draw, policy: RetryPolicy) -> JobSummary:
    """Steps 4-7 for push: claim, push to each person's devices, forget stale tokens, record, retry."""
    if push is None:
        # Push is optional (a deployment without FCM settings): the inbox item went out; the push cannot.
        deliveries.record_job(JobRecord(job.communication_id, job.channel, tuple(
            DeliveryResult(delivery.id, delivery.person_id, DeliveryStatus.FAILED, outcome=None, attempted=False,
                           ledger=LedgerAction.NONE, reason="push is not configured (FCM_PROJECT_ID)")
            for delivery in sendable)), now=clock())
        return JobSummary(failed=len(sendable), skipped=done_before)
    claimed_ids = deliveries.claim_sends(job.communication_id, job.channel, sendable, job_id=job_id, now=clock())
    claimed = [delivery for delivery in sendable if delivery.id in claimed_ids]
    tokens = deliveries.device_tokens([delivery.person_id for delivery in claimed]) if claimed else {}
    verdicts, stale = push_verdicts(claimed, communication, tokens, push, policy)
    if stale:
        deliveries.forget_device_tokens(stale)
    deliveries.record_job(JobRecord(job.communication_id, job.channel, tuple(v.result for v in verdicts)),
                          now=clock())
    retries = [v for v in verdicts if v.retry]
    if retries:
        follow_ups.publish_later(_retry_jobs(job, retries, policy, draw))
    return JobSummary(sent=sum(1 for v in verdicts if v.result.status is DeliveryStatus.SENT),
                      failed=sum(1 for v in verdicts if v.result.status is DeliveryStatus.FAILED),
                      retrying=len(retries), skipped=done_before + len(sendable) - len(claimed))


def _expired(delivery: PageDelivery, kind: Communication) -> bool:
    return kind in PERSONAL_COMMUNICATIONS and not delivery.personal


def _can_send(delivery: PageDelivery, kind: Communication) -> bool:
    if delivery.address is None:
        return False
    # A verification code goes to a bad address too: proving control of it is how its owner resets it.
    # Never to an opted-out mobile: only START from that number lifts a STOP.
    if kind is Communication.VERIFICATION:
        return delivery.credential_state is not CredentialState.OPTED_OUT
    return delivery.credential_state is CredentialState.GOOD


def _send(provider: ProviderChannel, claimed: Sequence[PageDelivery], communication: CommunicationContent,
          policy: RetryPolicy, answered: Answered) -> list[Verdict]:
    verdicts = []
    batch_size = max(1, provider.max_batch)
    for start in range(0, len(claimed), batch_size):
        batch = claimed[start:start + batch_size]
        messages = [_message(delivery, communication) for delivery in batch]
        provider_outage, no_answer = False, "the provider gave no answer for this message"
        started = time.perf_counter()
        try:
            receipts = {receipt.delivery_id: receipt for receipt in provider.send(messages, answered)}
        except (AnswersNotKept, JobAbandoned):
            raise
        # The ProviderChannel contract: send raises only when it could attempt none of the batch,
        # whatever the cause; every message is then retried like a temporary failure.
        except Exception as error:  # noqa: BLE001 — turned into retries, never swallowed
            log.warning("%s provider could not take a batch of %d: %r", provider.channel.value, len(batch), error)
            receipts, provider_outage, no_answer = {}, True, f"provider unavailable: {error}"
        PROVIDER_CALL_SECONDS.labels(provider.channel.value, "no" if provider_outage else "yes").observe(
            time.perf_counter() - started)
        for delivery in batch:
            receipt = receipts.get(delivery.id) or ProviderReceipt(delivery.id, Outcome.TRANSIENT, reason=no_answer)
            PROVIDER_RECEIPTS.labels(provider.channel.value, receipt.outcome.value).inc()
            verdicts.append(judge_receipt(delivery, receipt, policy, provider_outage=provider_outage))
    return verdicts


def _message(delivery: PageDelivery, communication: CommunicationContent) -> OutboundMessage:
    subject, body = communication.text_for(delivery.language)
    text = compose(communication.kind, delivery.channel, subject=subject, body=body,
                   label=delivery.label, personal=delivery.personal)
    return OutboundMessage(delivery.id, delivery.channel, delivery.address, text.body, text.subject, text.reply_to)


def plan_fallbacks(communication: CommunicationContent, failed: Sequence[PageDelivery],
                    deliveries: DeliveryStore) -> list[Fallback]:
    if not failed or communication.kind is Communication.VERIFICATION:  # its address is the point: no fallback
        return []
    context = deliveries.load_fallback_context(communication, sorted({delivery.person_id for delivery in failed}))
    fallbacks = []
    for delivery in failed:
        recipient = context.recipients.get(delivery.person_id)
        if recipient is None:
            continue  # notify no longer knows this person: nothing to fall back to
        planned = plan_fallback(recipient, context.request, failed_channel=delivery.channel,
                                already_sent=context.channels_used.get(delivery.person_id, frozenset()))
        if planned is not None:
            fallbacks.append(Fallback(delivery.id, delivery.person_id, planned.channel, planned.to, planned.label))
    return fallbacks


def queue_fallbacks(communication_id: str, fallbacks: Sequence[tuple[str, Channel]], deliveries: DeliveryStore,
                     follow_ups: FollowUpPublisher, clock: Clock) -> None:
    follow_ups.publish_jobs(pages_of(communication_id, fallbacks))
    deliveries.mark_queued([delivery_id for delivery_id, _ in fallbacks], now=clock())


def _retry_jobs(job: DeliveryJob, retries: Sequence[Verdict], policy: RetryPolicy, draw: Draw) -> list[DelayedJob]:
    # One delayed job per attempt count: deliveries that failed together mostly come back together,
    # each group after its own jittered delay.
    grouped: dict[tuple[int, bool], list[str]] = {}
    for verdict in retries:
        grouped.setdefault((verdict.attempts, verdict.provider_outage), []).append(verdict.delivery.id)
    delayed = []
    for (attempts, provider_outage), ids in sorted(grouped.items()):
        delay = policy.delay(attempts, draw, provider_outage=provider_outage)
        delayed += [DelayedJob(page, delay) for page in pages_of(job.communication_id, [(i, job.channel) for i in ids])]
    return delayed

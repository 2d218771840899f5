"""The sweeper: deliveries left `queued` longer than a bound, with no job waiting on their channel's queue,
have lost their job (dead-lettered between queues, lost with a broker, or held by a worker that never
finished); put them back on the queue. Called from notify's recovery timer.

Safe because the send ledger stops repeats: a swept delivery that was in fact sent (its receipt not yet
recorded) is claimed by nobody again, and one another job left `sending` stays that job's (a replay of its
dead letter, `schoolctl dead-letters replay`, takes it up under its own id).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from services.notify.domain.delivery import QUEUED_CHANNELS, Channel
from services.notify.domain.stuck_jobs import SWEEP_BATCH, QueuedDelivery, channels_to_sweep, stuck, sweep_cutoff
from services.notify.queue.jobs import DeliveryJob, pages_of
from shared.metrics import OLDEST_QUEUED_SECONDS

log = logging.getLogger(__name__)


class SweptDeliveries(Protocol):
    def queued_before(self, cutoff: datetime, channels: Sequence[Channel], *, limit: int) -> list[QueuedDelivery]: ...

    def touch_queued(self, delivery_ids: Sequence[str], *, now: datetime) -> int: ...

    def oldest_queued(self) -> Mapping[Channel, datetime]: ...


class SweepQueue(Protocol):
    def ready_jobs(self, channels: Sequence[Channel]) -> Mapping[Channel, int | None]: ...

    def publish_jobs(self, jobs: Sequence[DeliveryJob]) -> None: ...


def measure_queue_age(*, deliveries: SweptDeliveries, clock: Callable[[], datetime]) -> dict[Channel, float]:
    """How long the oldest queued delivery of each channel has waited, in seconds, exported as a gauge."""
    now, oldest = clock(), deliveries.oldest_queued()
    ages = {channel: max((now - oldest[channel]).total_seconds(), 0.0) if channel in oldest else 0.0
            for channel in QUEUED_CHANNELS}
    for channel, age in ages.items():
        OLDEST_QUEUED_SECONDS.labels(channel.value).set(age)
    return ages


def sweep_stuck_deliveries(*, deliveries: SweptDeliveries, queue: SweepQueue, clock: Callable[[], datetime],
                           sweep_after: timedelta, limit: int = SWEEP_BATCH) -> int:
    """Queue again what lost its job; how many deliveries."""
    now = clock()
    cutoff = sweep_cutoff(now, sweep_after)
    channels = channels_to_sweep(queue.ready_jobs(QUEUED_CHANNELS))
    swept = stuck(deliveries.queued_before(cutoff, channels, limit=limit), cutoff=cutoff, channels=channels)
    if not swept:
        return 0
    by_communication: dict[str, list[tuple[str, Channel]]] = {}
    for delivery in swept:
        by_communication.setdefault(delivery.communication_id, []).append((delivery.id, delivery.channel))
    # Confirmed on the queue before they are marked: a crash in between only sweeps them again.
    queue.publish_jobs([job for communication_id, pairs in by_communication.items()
                        for job in pages_of(communication_id, pairs)])
    deliveries.touch_queued([delivery.id for delivery in swept], now=now)
    log.warning("swept %d deliveries of %d communications left queued since before %s back onto the queue",
                len(swept), len(by_communication), cutoff.isoformat(timespec="seconds"))
    return len(swept)

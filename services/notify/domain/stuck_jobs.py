"""Rules for delivery jobs that cannot go on: why a job is dead-lettered, how that is written down, and
which `queued` deliveries a sweeper may put back on the queue. Pure: no broker, no database.

A dead letter carries its reason in its headers, so an operator listing the
dead-letter queue reads why each job is there without searching the logs:

    x-notify-dead-reason   invalid_job | poison_job | retries_exhausted | delivery_limit | rejected
    x-notify-dead-detail   one line for a person (the validation error, the exception…)
    x-notify-dead-at       ISO 8601 with zone
    x-notify-job-failures  how many times processing raised before (worker jobs only)

Jobs the broker dead-letters on its own (a quorum queue's delivery limit: the
job crashed worker after worker) carry RabbitMQ's `x-death` header instead;
`dead_letter_reason` reads either.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.notify.domain.delivery import Channel

REASON_HEADER = "x-notify-dead-reason"
DETAIL_HEADER = "x-notify-dead-detail"
DEAD_AT_HEADER = "x-notify-dead-at"
# A header value stays one readable line, whatever an exception's text holds.
MAX_DETAIL_LENGTH = 500

# At most this many deliveries per sweep: a sweep is one timer tick, the next tick takes the rest.
SWEEP_BATCH = 5000


class DeadReason(StrEnum):
    INVALID_JOB = "invalid_job"  # not a delivery job at all (poison): cannot be parsed or validated
    POISON_JOB = "poison_job"  # a well-formed job no worker can process (its communication is gone…)
    RETRIES_EXHAUSTED = "retries_exhausted"  # processing raised on every attempt the job retry allows
    DELIVERY_LIMIT = "delivery_limit"  # the broker handed it out too often (workers died holding it)
    REJECTED = "rejected"  # rejected without a reason of ours (the reason's publish failed)
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """What a worker does with a job it gives up on: a reason for the dead-letter queue."""

    reason: DeadReason
    detail: str


def dead_letter_headers(letter: DeadLetter, *, now: datetime, failures: int = 0,
                        original: Mapping[str, object] | None = None) -> dict[str, object]:
    """The job's own headers plus the reason, to publish it to the dead-letter exchange with."""
    if now.tzinfo is None:
        raise ValueError("the time a job died must carry its zone")
    headers = dict(original or {})
    headers.update({REASON_HEADER: letter.reason.value, DETAIL_HEADER: one_line(letter.detail),
                    DEAD_AT_HEADER: now.isoformat()})
    if failures:
        headers["x-notify-job-failures"] = failures
    return headers


def one_line(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_DETAIL_LENGTH else flat[:MAX_DETAIL_LENGTH - 1] + "…"


def dead_letter_reason(headers: Mapping[str, object] | None) -> tuple[DeadReason, str]:
    """Why a message is in the dead-letter queue: our own header first, else the broker's x-death."""
    headers = headers or {}
    ours = _text(headers.get(REASON_HEADER))
    if ours:
        try:
            return DeadReason(ours), _text(headers.get(DETAIL_HEADER))
        except ValueError:
            return DeadReason.UNKNOWN, f"{ours}: {_text(headers.get(DETAIL_HEADER))}"
    deaths = headers.get("x-death")
    if isinstance(deaths, Sequence) and deaths and isinstance(deaths[0], Mapping):
        latest = deaths[0]  # RabbitMQ keeps the most recent death first
        broker_reason = _text(latest.get("reason"))
        where = _text(latest.get("queue"))
        if broker_reason == "delivery_limit":
            return DeadReason.DELIVERY_LIMIT, f"handed out too many times by {where}"
        if broker_reason == "rejected":
            return DeadReason.REJECTED, f"rejected by a worker of {where}"
        return DeadReason.UNKNOWN, f"{broker_reason or 'dead-lettered'} by {where}"
    return DeadReason.UNKNOWN, ""


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


# --- the sweeper ---

@dataclass(frozen=True, slots=True)
class QueuedDelivery:
    id: str
    communication_id: str
    channel: Channel
    updated_at: datetime


def sweep_cutoff(now: datetime, sweep_after: timedelta) -> datetime:
    """Deliveries `queued` since before this, with no job on their queue, are put back on it (the bound is
    NOTIFY_SWEEP_AFTER_SECONDS)."""
    if sweep_after <= timedelta(0):
        raise ValueError("the sweep bound must be positive")
    return now - sweep_after


def channels_to_sweep(ready_jobs: Mapping[Channel, int | None]) -> list[Channel]:
    """Channels whose queue holds no job waiting: an old `queued` delivery there has lost its job.

    A channel with jobs still waiting is only behind (a district-wide fan-out takes a while);
    sweeping it would queue its backlog twice. None: the queue could not be looked at — left alone.
    """
    return sorted((channel for channel, ready in ready_jobs.items() if ready == 0), key=lambda c: c.value)


def stuck(deliveries: Iterable[QueuedDelivery], *, cutoff: datetime,
          channels: Iterable[Channel]) -> list[QueuedDelivery]:
    """The deliveries to put back on the queue: queued before the cutoff, on a channel to sweep."""
    sweepable = frozenset(channels)
    return [delivery for delivery in deliveries
            if delivery.channel in sweepable and delivery.updated_at < cutoff]

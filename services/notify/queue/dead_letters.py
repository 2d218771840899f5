"""The dead-letter queue for an operator: read it, replay jobs from it, purge it (pika, like the rest of the queue).

Reading takes messages without acking them and closes the channel, which
returns them all: listing changes nothing. Replaying publishes each chosen
job back onto its channel's queue under its own message id, confirmed, and
only then acks its dead letter, so a failure in between leaves a copy in both
places (harmless: the send ledger skips what was sent) and never in neither.
Keeping the message id matters: ledger rows a job left `sending` when its
worker died are that job's to take up again; under a new id they would stay
unsent. A message that is not a delivery job cannot be replayed, only purged.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pika
from pika.adapters.blocking_connection import BlockingChannel

from services.notify.domain.stuck_jobs import DEAD_AT_HEADER, DeadReason, dead_letter_reason
from services.notify.queue.jobs import DeliveryJob, InvalidJob, parse_job
from services.notify.queue.publisher import DeliveryPublisher
from services.notify.queue.topology import DEAD_QUEUE, declare_topology

# How many dead letters one call reads at most: each is held unacked until the call ends.
MAX_DEAD_LETTERS = 1000
MAX_BODY_PREVIEW = 200


@dataclass(frozen=True, slots=True)
class DeadLetterEntry:
    message_id: str | None
    reason: DeadReason
    detail: str
    dead_at: str | None
    job: DeliveryJob | None  # None: not a delivery job (it can only be purged)
    body_preview: str


@dataclass(frozen=True, slots=True)
class ReplayResult:
    replayed: list[str]
    skipped: dict[str, str]  # message id -> why it was left in the dead-letter queue


def describe(body: bytes, message_id: str | None, headers: dict | None) -> DeadLetterEntry:
    reason, detail = dead_letter_reason(headers)
    try:
        job = parse_job(body)
    except InvalidJob:
        job = None
    dead_at = (headers or {}).get(DEAD_AT_HEADER)
    preview = body[:MAX_BODY_PREVIEW].decode("utf-8", "replace")
    return DeadLetterEntry(message_id, reason, detail, None if dead_at is None else str(dead_at), job, preview)


class DeadLetterQueue:
    def __init__(self, amqp_uri: str, *, publisher: DeliveryPublisher | None = None) -> None:
        self._amqp_uri = amqp_uri
        self._publisher = publisher or DeliveryPublisher(amqp_uri)

    def count(self) -> int:
        with self._channel() as channel:
            return channel.queue_declare(DEAD_QUEUE, passive=True).method.message_count

    def read(self, *, limit: int = MAX_DEAD_LETTERS) -> list[DeadLetterEntry]:
        """Up to `limit` dead letters, oldest first; all of them stay in the queue."""
        with self._channel() as channel:
            return [describe(body, properties.message_id, properties.headers)
                    for _tag, properties, body in _take(channel, limit)]

    def replay(self, message_ids: Collection[str] | None = None, *, limit: int = MAX_DEAD_LETTERS) -> ReplayResult:
        """The chosen dead letters (None: every one) back onto their channels' queues."""
        replayed, skipped, acks = [], {}, []
        jobs: list[tuple[DeliveryJob, str | None]] = []
        with self._channel() as channel:
            for tag, properties, body in _take(channel, limit):
                if not _chosen(properties.message_id, message_ids):
                    continue
                entry = describe(body, properties.message_id, properties.headers)
                if entry.job is None:
                    skipped[properties.message_id or "(no id)"] = "not a delivery job; purge it instead"
                    continue
                jobs.append((entry.job, properties.message_id))
                replayed.append(properties.message_id or "(no id)")
                acks.append(tag)
            if jobs:
                self._publisher.replay(jobs)  # confirmed, or it raises and nothing is acked
            for tag in acks:
                channel.basic_ack(tag)
        return ReplayResult(replayed, skipped)

    def purge(self, message_ids: Collection[str] | None = None, *, limit: int = MAX_DEAD_LETTERS) -> int:
        """Delete the chosen dead letters (None: the whole queue); how many."""
        with self._channel() as channel:
            if message_ids is None:
                return channel.queue_purge(DEAD_QUEUE).method.message_count
            tags = [tag for tag, properties, _body in _take(channel, limit)
                    if _chosen(properties.message_id, message_ids)]
            for tag in tags:
                channel.basic_ack(tag)
            return len(tags)

    @contextmanager
    def _channel(self) -> Iterator[BlockingChannel]:
        connection = pika.BlockingConnection(pika.URLParameters(self._amqp_uri))
        try:
            channel = connection.channel()
            declare_topology(channel)
            yield channel
        finally:
            if connection.is_open:
                connection.close()  # what was taken and not acked goes back to the queue


def _take(channel: BlockingChannel, limit: int) -> Iterator[tuple[int, pika.BasicProperties, bytes]]:
    """Every message up to the limit, unacked: each is seen once, because it is held until the channel closes."""
    for _ in range(limit):
        method, properties, body = channel.basic_get(DEAD_QUEUE, auto_ack=False)
        if method is None:
            return
        yield method.delivery_tag, properties, body


def _chosen(message_id: str | None, wanted: Collection[str] | None) -> bool:
    return wanted is None or message_id in wanted


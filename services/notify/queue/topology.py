"""The broker objects the delivery queue needs, declared idempotently by whoever connects first.

    notify.deliveries (direct exchange), routing key = queue name
        ├─ notify.deliveries.email      quorum queues, one per channel the workers send on; a worker
        ├─ notify.deliveries.sms        consumes only the channels it has a provider for (app: all).
        ├─ …                            x-delivery-limit, then ↓
    notify.deliveries.dead (fanout)
        └─ notify.deliveries.dead       quorum queue: jobs given up on, each with its reason (domain.stuck_jobs)
    notify.deliveries.delay (direct)
        └─ notify.deliveries.delay.<N>s classic durable queues, N = 1, 2, 4 … 512, no consumers: a message
                                         waits out its own `expiration`, then is dead-lettered
                                         back to notify.deliveries under its channel's routing key

A queue per channel, so that a worker without (say) Twilio settings never
takes an SMS job only to dead-letter it: scaling is adding workers, whatever
each one is configured with.

Why the retry path looks like this: a queue expires messages only from its
head, so one retry queue with a per-message expiration would hold a 2-second
retry behind a 5-minute one; and per-delay queues with a fixed queue TTL
would quantise the jittered delays back into a fixed ladder. Buckets of
doubling width keep both: a job goes to the smallest bucket at least as long
as its delay, with its own expiration, and so waits at least its delay and
less than twice it. A bucket sets no dead-letter routing key: a delayed job is
published with its channel's routing key in `CC`, and dead-lettering keeps the
routing keys a message was published with (CC included), so one set of buckets
serves every channel.

The work and dead-letter queues are quorum queues (replicated once there is a
cluster; a work queue needs one for x-delivery-limit). Dead-lettering stays
RabbitMQ's default, at-most-once: at-least-once dead-lettering runs a
dead-letter worker per queue, and on RabbitMQ 3.10 churning vhosts that hold
such queues (every integration test makes one) crashed their supervisor until
the broker refused every later quorum queue with INTERNAL_ERROR. What
at-most-once can lose is a job in transit between queues while the broker
itself crashes; its deliveries then stay `queued` in the database, and notify's
sweeper queues them again (handlers_sweeper). The retry buckets are
classic durable queues: they only hold messages until their expiration, and
classic dead-lettering needs no per-queue worker.

Before per-channel queues there was one work queue, `notify.deliveries`, and
buckets named `notify.deliveries.retry.<N>s`; nothing publishes to them now.
A broker upgraded in place keeps them: once they are empty, delete them (the
sweeper re-queues whatever deliveries they held).

Declaring an existing queue with different arguments fails (PRECONDITION_FAILED):
changing an argument here means a new queue name or a broker policy.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pika.adapters.blocking_connection import BlockingChannel

from services.notify.domain.delivery import Channel

WORK_EXCHANGE = "notify.deliveries"
DEAD_EXCHANGE = "notify.deliveries.dead"
DEAD_QUEUE = "notify.deliveries.dead"
RETRY_EXCHANGE = "notify.deliveries.delay"
# Channels with a queue of their own: every channel a job can be for (queue.jobs.PAGE_SIZES).
QUEUED_JOB_CHANNELS = tuple(Channel)

# A job is handed out at most this many times more before it is dead-lettered: it crashed worker
# after worker, or was requeued that often. Set explicitly: RabbitMQ 4.0 defaults it to 20 silently.
# A graceful worker restart also returns its few prefetched jobs, so leave room for rolling deploys.
DELIVERY_LIMIT = 10

# Upper bounds of the retry buckets; the longest covers domain.retry's five-minute cap.
RETRY_BUCKETS_SECONDS = tuple(2 ** n for n in range(10))  # 1 s … 512 s


@dataclass(frozen=True, slots=True)
class QueueSpec:
    name: str
    arguments: dict = field(default_factory=dict)
    exchange: str = ""
    routing_key: str = ""


@dataclass(frozen=True, slots=True)
class Topology:
    exchanges: tuple[tuple[str, str], ...]  # (name, type)
    queues: tuple[QueueSpec, ...]


def work_queue(channel: Channel) -> str:
    """The queue (and routing key on WORK_EXCHANGE) of one channel's jobs."""
    return f"{WORK_EXCHANGE}.{Channel(channel).value}"


WORK_QUEUES = tuple(work_queue(channel) for channel in QUEUED_JOB_CHANNELS)


def retry_queue_name(bucket_seconds: int) -> str:
    return f"{RETRY_EXCHANGE}.{bucket_seconds}s"


def retry_route(delay_seconds: float) -> tuple[str, int]:
    """(routing key on RETRY_EXCHANGE, per-message expiration in ms) for a job to come back after the delay."""
    delay_ms = max(0, round(delay_seconds * 1000))
    for bucket in RETRY_BUCKETS_SECONDS:
        if delay_ms <= bucket * 1000:
            return retry_queue_name(bucket), delay_ms
    longest = RETRY_BUCKETS_SECONDS[-1]
    return retry_queue_name(longest), longest * 1000


def _topology() -> Topology:
    work = tuple(QueueSpec(name, {
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": DEAD_EXCHANGE,
    }, WORK_EXCHANGE, name) for name in WORK_QUEUES)
    dead = QueueSpec(DEAD_QUEUE, {"x-queue-type": "quorum"}, DEAD_EXCHANGE, "")
    retries = tuple(
        QueueSpec(retry_queue_name(bucket), {
            "x-queue-type": "classic",
            "x-dead-letter-exchange": WORK_EXCHANGE,
        }, RETRY_EXCHANGE, retry_queue_name(bucket))
        for bucket in RETRY_BUCKETS_SECONDS
    )
    return Topology(
        exchanges=((WORK_EXCHANGE, "direct"), (DEAD_EXCHANGE, "fanout"), (RETRY_EXCHANGE, "direct")),
        queues=(*work, dead, *retries),
    )


TOPOLOGY = _topology()


def declare_topology(channel: BlockingChannel, topology: Topology = TOPOLOGY) -> None:
    """Declare every exchange, queue and binding; declaring again what exists changes nothing."""
    for name, exchange_type in topology.exchanges:
        channel.exchange_declare(name, exchange_type, durable=True)
    for queue in topology.queues:
        channel.queue_declare(queue.name, durable=True, arguments=queue.arguments)
        channel.queue_bind(queue.name, queue.exchange, routing_key=queue.routing_key)

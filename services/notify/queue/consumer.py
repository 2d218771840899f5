"""Consume delivery jobs with prefetch and manual acks, keeping heartbeats alive through long jobs.

pika's recommended pattern for slow work: the connection lives in the thread
that calls `run()` and never stops serving it (`process_data_events`), so
heartbeats flow however long a provider takes; jobs run one at a time in a
processing thread, which hands its ack back with `add_callback_threadsafe`
(a pika connection must only be touched by its own thread). A blocked
heartbeat would make the broker drop the connection and hand the job in
hand to another worker while this one is still sending it.

One processing thread per process on purpose: a page is already up to a
thousand sends, and the way to scale is more worker processes (PLATFORM-NOTES:
the client CPU of one HTTP call per message is the limit, per core).

`stop()` (from a signal handler or another thread) cancels the consumer,
returns jobs not yet started to the queue, lets the job in hand finish and be
acked, then `run()` returns. Jobs go back only once the broker has confirmed
the cancel: a job requeued to a consumer still registered comes straight back
to it, and each round counts towards the work queue's delivery limit, so a
few stops could dead-letter a job that never failed.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import partial

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from services.notify.queue.publisher import FAILURES_HEADER
from services.notify.queue.topology import WORK_QUEUES, declare_topology

log = logging.getLogger(__name__)

# How long the connection thread waits for broker traffic before checking for stop() and finished jobs.
POLL_SECONDS = 0.25
# How long a stopping consumer waits for its last acks to go out.
SETTLE_SECONDS = 5.0
DEFAULT_HEARTBEAT_SECONDS = 30


class Disposition(Enum):
    ACK = "ack"  # done, or handed on (retry, fallback) with a confirmed publish
    DEAD_LETTER = "dead_letter"  # rejected without requeue: the queue's dead-letter exchange takes it
    REQUEUE = "requeue"  # not started; another worker may take it


@dataclass(frozen=True, slots=True)
class ReceivedJob:
    body: bytes
    message_id: str | None
    redelivered: bool
    headers: Mapping[str, object] = field(default_factory=dict)
    # Whether this worker still holds the job: False once its broker connection is gone, when the broker
    # hands the job to another worker; the job in hand then stops sending (the other takes it up).
    still_held: Callable[[], bool] = lambda: True

    @property
    def failures(self) -> int:
        """How many times processing this job raised before (the job went round the retry path)."""
        return int(self.headers.get(FAILURES_HEADER, 0) or 0)

    @property
    def delivery_count(self) -> int:
        """How many times the quorum queue handed this message out before."""
        return int(self.headers.get("x-delivery-count", 0) or 0)


JobHandler = Callable[[ReceivedJob], Disposition]


class ConsumerCrashed(RuntimeError):
    """The job handler raised; the job goes back to the queue when the connection closes."""


_STOP = object()


class JobConsumer:
    def __init__(self, amqp_uri: str, handle: JobHandler, *, prefetch: int,
                 heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS, queues: Sequence[str] = WORK_QUEUES) -> None:
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1")
        if not queues:
            raise ValueError("a consumer needs at least one queue")
        self._amqp_uri = amqp_uri
        self._handle = handle
        self._prefetch = prefetch
        self._heartbeat_seconds = heartbeat_seconds
        self._queues = tuple(queues)
        self._stopping = threading.Event()
        self._crash: BaseException | None = None
        self._inbox: queue.Queue = queue.Queue()
        self._scheduled = 0  # settlements the processing thread handed to the connection thread
        self._settled = 0
        self.connected = False  # run() got as far as consuming: a connection lost later is a new outage
        self._lost = threading.Event()  # the connection went away under the job in hand
        # No delivery comes after this: the consumers are cancelled, or the connection is closing.
        self._deliveries_over = threading.Event()

    def stop(self) -> None:
        """Finish the job in hand and return from run(); safe from a signal handler."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self) -> None:
        parameters = pika.URLParameters(self._amqp_uri)
        parameters.heartbeat = self._heartbeat_seconds
        connection = pika.BlockingConnection(parameters)
        worker = None
        try:
            channel = connection.channel()
            declare_topology(channel)
            # Per consumer (quorum queues know no global prefetch): each channel's queue gets its own.
            channel.basic_qos(prefetch_count=self._prefetch)
            consumer_tags = [channel.basic_consume(name, partial(self._on_message, connection))
                             for name in self._queues]
            worker = threading.Thread(target=self._work, args=(connection, channel), name="notify-job",
                                      daemon=True)
            worker.start()
            log.info("consuming %s with prefetch %d", ", ".join(self._queues), self._prefetch)
            self.connected = True
            while worker.is_alive():
                try:
                    connection.process_data_events(time_limit=POLL_SECONDS)
                except AMQPError:
                    self._lost.set()
                    raise
                if self._stopping.is_set() and consumer_tags:
                    for tag in consumer_tags:
                        channel.basic_cancel(tag)  # also returns deliveries pika holds undispatched
                    consumer_tags = []
                    self._deliveries_over.set()
                    self._inbox.put(_STOP)
            # The last acks and requeues were handed over just before the processing thread ended.
            deadline = time.monotonic() + SETTLE_SECONDS
            while self._settled < self._scheduled and time.monotonic() < deadline:
                connection.process_data_events(time_limit=POLL_SECONDS)
        finally:
            self._stopping.set()
            self._deliveries_over.set()
            self._inbox.put(_STOP)
            if worker is not None:
                # On a lost connection the job in hand stops sending after the answer in hand (still_held);
                # its ack is lost and the broker hands the job out again, which the send ledger makes harmless.
                worker.join()
            if connection.is_open:
                connection.close()
        if self._crash is not None:
            raise ConsumerCrashed(f"the job handler raised: {self._crash!r}") from self._crash

    def _on_message(self, connection, channel: BlockingChannel, method, properties, body: bytes) -> None:
        # Even when stopping: the processing thread requeues it once the consumers are cancelled.
        self._inbox.put((method.delivery_tag, ReceivedJob(body, properties.message_id, method.redelivered,
                                                          dict(properties.headers or {}), self._held)))

    def _held(self) -> bool:
        return not self._lost.is_set()

    def _work(self, connection: pika.BlockingConnection, channel: BlockingChannel) -> None:
        while True:
            item = self._inbox.get()
            if item is _STOP:
                return
            delivery_tag, job = item
            if self._stopping.is_set():
                disposition = Disposition.REQUEUE
                self._deliveries_over.wait()
            else:
                try:
                    disposition = self._handle(job)
                except BaseException as error:
                    # Left unacked: the broker requeues it when run() closes the connection, and counts
                    # the delivery, so a job that crashes every worker ends in the dead-letter queue.
                    self._crash = error
                    self._stopping.set()
                    return
            try:
                connection.add_callback_threadsafe(partial(self._settle, channel, delivery_tag, disposition))
                self._scheduled += 1
            except AMQPError as error:
                log.warning("could not %s job %s, the connection is gone: %r; the broker will hand it out again",
                            disposition.value, job.message_id, error)

    def _settle(self, channel: BlockingChannel, delivery_tag: int, disposition: Disposition) -> None:
        if disposition is Disposition.ACK:
            channel.basic_ack(delivery_tag)
        else:
            channel.basic_nack(delivery_tag, requeue=disposition is Disposition.REQUEUE)
        self._settled += 1

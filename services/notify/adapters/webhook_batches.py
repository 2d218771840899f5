"""notify.webhooks consumed in batches: `@applies_webhook_batches` marks the service method that applies one.

A thread of the container's own consumes the queue (pika, green under eventlet) with a prefetch of two
batches, gathers up to `max_batch` posts or what came within `max_wait` seconds of the first, and runs the
method in a worker with the batch's posts, loaded through the contract's schema (VerifiedWebhook). Only once
that worker returned (its transaction committed) are the batch's messages acknowledged; while it runs, the
connection keeps serving heartbeats and the next batch gathers. Whatever goes wrong, nothing is acknowledged
that was not applied:

- a database that cannot take the batch (unreachable, read-only, busy): the same batch is tried again after a
  pause (1 s, doubling to 30 s), its messages held meanwhile, so an outage never spends the delivery limit;
- any other error: each post of the batch is applied alone; one that still fails is a poison message,
  dead-lettered to notify.webhooks.dead with its reason and error in its headers, the others acknowledged;
- a message that is not a VerifiedWebhook: dead-lettered the same way, unread;
- the process dies mid-batch: the broker hands the messages out again (repeats change nothing), and the
  queue's delivery limit dead-letters one that kills notify every time.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import eventlet
import pika
from eventlet.event import Event
from marshmallow import ValidationError
from nameko.extensions import Entrypoint
from pika.exceptions import AMQPError

from shared.contracts.provider_webhooks import (
    DEAD_DETAIL_HEADER,
    DEAD_REASON_HEADER,
    POISON_WEBHOOK,
    UNREADABLE_WEBHOOK,
    WEBHOOK_DEAD_EXCHANGE,
    WEBHOOK_QUEUE,
)
from shared.database_faults import database_fault
from shared.metrics import DEPENDENCY_FAILURES
from shared.webhook_queue import declare_with_pika, load_verified_webhook

log = logging.getLogger(__name__)

MAX_BATCH = 500
MAX_WAIT_SECONDS = 0.05
HEARTBEAT_SECONDS = 30
PAUSES_SECONDS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


@dataclass(frozen=True, slots=True)
class _Message:
    tag: int
    body: bytes


class WebhookBatches(Entrypoint):
    def __init__(self, max_batch: int = MAX_BATCH, max_wait_seconds: float = MAX_WAIT_SECONDS, **kwargs) -> None:
        self.max_batch = max_batch
        self.max_wait_seconds = max_wait_seconds
        super().__init__(**kwargs)

    def setup(self) -> None:
        self._amqp_uri = self.container.config["AMQP_URI"]
        self._stopping = False
        self._connected = False

    def start(self) -> None:
        self.container.spawn_managed_thread(self._consume_while_running, identifier="webhook_batches")

    def stop(self) -> None:
        self._stopping = True

    def kill(self) -> None:
        self._stopping = True

    def _consume_while_running(self) -> None:
        failures = 0
        while not self._stopping:
            self._connected = False
            try:
                self._consume()
            except (AMQPError, OSError) as lost:
                failures = 0 if self._connected else failures + 1
                pause = PAUSES_SECONDS[min(failures, len(PAUSES_SECONDS) - 1)]
                log.warning("the webhook queue's connection failed (%s); consuming again in %.0f s", lost, pause)
                eventlet.sleep(pause)

    def _consume(self) -> None:
        parameters = pika.URLParameters(self._amqp_uri)
        parameters.heartbeat = HEARTBEAT_SECONDS
        connection = pika.BlockingConnection(parameters)
        try:
            channel = connection.channel()
            declare_with_pika(channel)
            channel.confirm_delivery()  # a dead letter is published confirmed before its message is acked
            channel.basic_qos(prefetch_count=2 * self.max_batch)
            pending: list[_Message] = []
            channel.basic_consume(WEBHOOK_QUEUE, lambda _ch, method, _props, body: pending.append(
                _Message(method.delivery_tag, body)))
            self._connected = True
            while not self._stopping:
                connection.process_data_events(time_limit=0.2)
                if not pending:
                    continue
                deadline = time.monotonic() + self.max_wait_seconds
                while len(pending) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                    connection.process_data_events(time_limit=left)
                batch = pending[:self.max_batch]
                del pending[:len(batch)]
                self._settle(connection, channel, batch)
        finally:
            if connection.is_open:
                try:
                    connection.close()
                except AMQPError:  # closing a connection that is failing: the broker requeues what it held
                    log.debug("the webhook queue's connection did not close cleanly")

    def _settle(self, connection, channel, batch: Sequence[_Message]) -> None:
        readable = []
        for message in batch:
            try:
                readable.append((message, load_verified_webhook(message.body)))
            except (ValueError, ValidationError) as unreadable:
                self._dead_letter(channel, message, UNREADABLE_WEBHOOK, str(unreadable))
        if not readable:
            return
        pauses = iter(PAUSES_SECONDS)
        while True:
            failure = self._run(connection, [webhook for _, webhook in readable])
            if failure is None:
                channel.basic_ack(readable[-1][0].tag, multiple=True)
                return
            fault = database_fault(failure)
            if fault is None or self._stopping:
                break
            DEPENDENCY_FAILURES.labels("notify", "database", fault).inc()
            pause = next(pauses, PAUSES_SECONDS[-1])
            log.warning("%s: a batch of %d webhooks waits %.0f s for the database: %s", fault, len(readable), pause,
                        failure)
            connection.sleep(pause)
        if self._stopping:
            return  # unacknowledged: the broker hands them out again
        self._apply_one_by_one(connection, channel, readable)

    def _apply_one_by_one(self, connection, channel, readable) -> None:
        for message, webhook in readable:
            failure = self._run(connection, [webhook])
            if failure is None:
                channel.basic_ack(message.tag)
            elif database_fault(failure) is not None:
                # The database went away meanwhile: the rest stays unacknowledged for the next connection.
                raise ConnectionAbortedError(f"the database failed mid-batch: {failure}")
            else:
                self._dead_letter(channel, message, POISON_WEBHOOK, f"{type(failure).__name__}: {failure}")

    def _run(self, connection, webhooks: list[dict]) -> BaseException | None:
        """The method in a worker; the connection keeps serving the broker meanwhile."""
        failure = Event()  # sent None on success, else the exception the worker raised

        def finished(worker_ctx, result, exc_info):
            failure.send(None if exc_info is None else exc_info[1])
            return result, exc_info

        self.container.spawn_worker(self, (webhooks,), {}, handle_result=finished)
        while not failure.ready():
            connection.process_data_events(time_limit=0.05)
        return failure.wait()

    def _dead_letter(self, channel, message: _Message, reason: str, detail: str) -> None:
        log.error("dead-lettered a webhook message (%s): %s", reason, detail)
        channel.basic_publish(WEBHOOK_DEAD_EXCHANGE, "", message.body, pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent, headers={DEAD_REASON_HEADER: reason,
                                                                 DEAD_DETAIL_HEADER: detail[:1000]}),
            mandatory=True)
        channel.basic_ack(message.tag)


applies_webhook_batches = WebhookBatches.decorator

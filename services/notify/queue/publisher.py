"""Publish many delivery jobs safely and fast: persistent, mandatory, confirmed in a window.

A publish is safe only when the broker confirms it AND it was routed to a
queue (RabbitMQ confirms even a message no queue took, so every message is
`mandatory` and a returned one is an error). Waiting for each confirm caps a
publisher at ~760 msg/s here; a pika SelectConnection keeps up to `window`
messages unconfirmed instead and refills the window as confirms arrive.

`publish_jobs` returns only once every message is confirmed, and raises
`PublishFailed` if any was returned, nacked or left unconfirmed (connection
lost, timeout): the caller then publishes again. Duplicates are harmless, the
workers' send ledger makes a job idempotent; a lost job is not.

Each call opens its own connection (≈10 ms on loopback) and runs its own I/O
loop in the calling thread, so one publisher serves any number of threads.
Under eventlet's monkey-patching (a nameko service) the loop's `select` is
green, so publishing blocks only the calling green thread, never the hub.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import pika
from pika.exceptions import AMQPError
from pika.spec import Basic

from services.notify.domain.delivery import Channel
from services.notify.queue.jobs import DeliveryJob
from services.notify.queue.topology import (
    DEAD_EXCHANGE,
    RETRY_EXCHANGE,
    WORK_EXCHANGE,
    declare_topology,
    retry_route,
    work_queue,
)

# PLATFORM-NOTES: ~1,000 unconfirmed messages is where confirms stop being the bottleneck.
DEFAULT_WINDOW = 1000
DEFAULT_TIMEOUT_SECONDS = 60.0
JOB_CONTENT_TYPE = "application/json"
JOB_TYPE = "notify.delivery_job"
# How many times processing this job has raised so far (see worker.consume).
FAILURES_HEADER = "x-notify-job-failures"
PERSISTENT = pika.DeliveryMode.Persistent


class PublishFailed(RuntimeError):
    """Some jobs may not be on the queue; publishing all of them again is safe."""

    def __init__(self, reason: str, *, returned: list[str], nacked: list[str], unconfirmed: int) -> None:
        super().__init__(f"{reason} (returned: {len(returned)}, nacked: {len(nacked)}, unconfirmed: {unconfirmed})")
        self.reason = reason
        self.returned = returned
        self.nacked = nacked
        self.unconfirmed = unconfirmed


@dataclass(frozen=True, slots=True)
class DelayedJob:
    """A job to come back to the work queue after `delay_seconds`.

    `message_id` is kept when a job goes round again after its processing raised: the send
    ledger rows it left half-written belong to that id (see adapters.delivery_repository).
    """

    job: DeliveryJob
    delay_seconds: float
    message_id: str | None = None
    failures: int = 0


@dataclass(frozen=True, slots=True)
class _Outgoing:
    exchange: str
    routing_key: str
    body: bytes
    properties: pika.BasicProperties


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A message as it came off a queue, to publish on unchanged but for its headers."""

    body: bytes
    message_id: str | None
    headers: dict


class DeliveryPublisher:
    def __init__(self, amqp_uri: str, *, window: int = DEFAULT_WINDOW,
                 timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS, declare: bool = True) -> None:
        if window < 1:
            raise ValueError("the confirm window holds at least one message")
        self._amqp_uri = amqp_uri
        self._window = window
        self._timeout_seconds = timeout_seconds
        # Declaring first means an early publish cannot be returned for want of a queue; tests turn it off
        # to see what an undeclared queue does.
        self._declare = declare
        self._declared = False

    def publish_jobs(self, jobs: Iterable[DeliveryJob]) -> None:
        self._publish([_Outgoing(WORK_EXCHANGE, work_queue(job.channel), job.to_json(), _properties())
                       for job in jobs])

    def publish_dead_letter(self, message: RawMessage) -> None:
        """The message, with its reason in `headers`, onto the dead-letter queue; confirmed."""
        self._publish([_Outgoing(DEAD_EXCHANGE, "", message.body, _properties(
            message_id=message.message_id, headers=message.headers))])

    def replay(self, jobs: Iterable[tuple[DeliveryJob, str | None]]) -> None:
        """Dead jobs back onto their channels' queues, each under its id (the ledger rows it left are its own)."""
        self._publish([_Outgoing(WORK_EXCHANGE, work_queue(job.channel), job.to_json(),
                                 _properties(message_id=message_id)) for job, message_id in jobs])

    def publish_later(self, delayed: Iterable[DelayedJob]) -> None:
        outgoing = []
        for item in delayed:
            routing_key, expiration_ms = retry_route(item.delay_seconds)
            properties = _properties(message_id=item.message_id, expiration_ms=expiration_ms,
                                     headers=_failures(item.failures),
                                     # Dead-lettered back from the bucket under the routing keys it was
                                     # published with, CC included: so it lands on its channel's queue.
                                     cc=work_queue(item.job.channel))
            outgoing.append(_Outgoing(RETRY_EXCHANGE, routing_key, item.job.to_json(), properties))
        self._publish(outgoing)

    def ready_jobs(self, channels: Iterable[Channel]) -> dict[Channel, int | None]:
        """Jobs waiting (not handed out) on each channel's queue; None where the broker would not say."""
        counts: dict[Channel, int | None] = {}
        try:
            connection = pika.BlockingConnection(self._parameters())
        except AMQPError:
            return dict.fromkeys(channels)
        try:
            for channel in channels:
                try:
                    counts[channel] = connection.channel().queue_declare(
                        work_queue(channel), passive=True).method.message_count
                except AMQPError:  # not declared yet (404 closes that channel only)
                    counts[channel] = None
        finally:
            if connection.is_open:
                connection.close()
        return counts

    def declare_topology(self) -> None:
        connection = pika.BlockingConnection(self._parameters())
        try:
            declare_topology(connection.channel())
        finally:
            connection.close()
        self._declared = True

    def _publish(self, messages: list[_Outgoing]) -> None:
        if not messages:
            return
        if self._declare and not self._declared:
            self.declare_topology()
        _WindowedPublish(self._parameters(), messages, self._window, self._timeout_seconds).run()

    def _parameters(self) -> pika.URLParameters:
        parameters = pika.URLParameters(self._amqp_uri)
        # A broker short of memory or disk blocks publishers; give up rather than hang the caller.
        parameters.blocked_connection_timeout = self._timeout_seconds
        return parameters


def _failures(failures: int) -> dict | None:
    return {FAILURES_HEADER: failures} if failures else None


def _properties(*, message_id: str | None = None, expiration_ms: int | None = None,
                headers: dict | None = None, cc: str | None = None) -> pika.BasicProperties:
    if cc is not None:
        headers = {**(headers or {}), "CC": [cc]}
    return pika.BasicProperties(
        delivery_mode=PERSISTENT,
        content_type=JOB_CONTENT_TYPE,
        type=JOB_TYPE,
        message_id=message_id or uuid.uuid4().hex,
        expiration=None if expiration_ms is None else str(expiration_ms),
        headers=headers or None,
    )


class _WindowedPublish:
    """One connection's worth of publishing: open, publish with a window of unconfirmed messages, close."""

    def __init__(self, parameters: pika.URLParameters, messages: list[_Outgoing], window: int,
                 timeout_seconds: float) -> None:
        self._parameters = parameters
        self._messages = messages
        self._window = window
        self._timeout_seconds = timeout_seconds
        self._next_index = 0
        self._next_tag = 1
        self._outstanding: dict[int, str] = {}  # delivery tag -> message id, oldest first
        self._returned: list[str] = []
        self._nacked: list[str] = []
        self._failure: str | None = None
        self._finished = False
        self._connection: pika.SelectConnection | None = None

    def run(self) -> None:
        connection = pika.SelectConnection(
            self._parameters,
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_connection_open_error,
            # Without it the loop would run on after the connection closed and the caller would hang.
            on_close_callback=self._on_connection_closed,
        )
        self._connection = connection
        connection.ioloop.call_later(self._timeout_seconds, self._on_timeout)
        try:
            connection.ioloop.start()
        finally:
            connection.ioloop.close()
        unconfirmed = len(self._outstanding) + len(self._messages) - self._next_index
        if self._failure or self._returned or self._nacked or unconfirmed:
            reason = self._failure or ("returned as unroutable" if self._returned else "nacked by the broker")
            raise PublishFailed(reason, returned=self._returned, nacked=self._nacked, unconfirmed=unconfirmed)

    def _on_connection_open(self, connection: pika.SelectConnection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_open_error(self, connection: pika.SelectConnection, error: BaseException) -> None:
        self._failure = f"cannot connect to the broker: {error!r}"
        connection.ioloop.stop()

    def _on_connection_closed(self, connection: pika.SelectConnection, reason: BaseException) -> None:
        if not self._finished:
            self._failure = self._failure or f"connection closed: {reason!r}"
        connection.ioloop.stop()

    def _on_channel_open(self, channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self._fill_window())

    def _on_channel_closed(self, _channel, reason: BaseException) -> None:
        # An unknown exchange, for one, closes the channel (404 NOT_FOUND).
        if not self._finished:
            self._failure = self._failure or f"channel closed: {reason!r}"
        self._close()

    def _fill_window(self) -> None:
        while len(self._outstanding) < self._window and self._next_index < len(self._messages):
            message = self._messages[self._next_index]
            self._channel.basic_publish(message.exchange, message.routing_key, message.body,
                                        message.properties, mandatory=True)
            self._outstanding[self._next_tag] = message.properties.message_id
            self._next_tag += 1
            self._next_index += 1
        if not self._outstanding and self._next_index == len(self._messages):
            self._finished = True
            self._close()

    def _on_confirm(self, frame) -> None:
        method = frame.method
        nacked = isinstance(method, Basic.Nack)
        if method.multiple:
            # Tags were handed out in order and the dict keeps that order: pop from the oldest.
            while self._outstanding and next(iter(self._outstanding)) <= method.delivery_tag:
                self._settle(next(iter(self._outstanding)), nacked)
        else:
            self._settle(method.delivery_tag, nacked)
        self._fill_window()

    def _settle(self, tag: int, nacked: bool) -> None:
        message_id = self._outstanding.pop(tag, None)
        if nacked and message_id is not None:
            self._nacked.append(message_id)

    def _on_return(self, _channel, _method, properties: pika.BasicProperties, _body: bytes) -> None:
        # The broker sends basic.return before the confirm of the same message.
        self._returned.append(properties.message_id)

    def _on_timeout(self) -> None:
        self._failure = f"not confirmed within {self._timeout_seconds} s"
        self._close()

    def _close(self) -> None:
        connection = self._connection
        if connection.is_closing:
            return  # already on its way: its close callback stops the loop
        if connection.is_closed:
            connection.ioloop.stop()
            return
        # Open, or still opening (pika aborts the opening and calls the open-error callback).
        connection.close()

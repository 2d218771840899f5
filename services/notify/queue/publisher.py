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

Opening a connection costs ≈10 ms on loopback (19 % of notify's CPU when
every inbound reply opened one), so connections and their confirmed channels
are kept open between publishes in a small pool: a call takes one for itself,
runs its I/O loop in the calling thread, stops the loop (the connection stays)
once every message is settled and gives it back; concurrent calls each use
their own, so one publisher serves any number of threads. A channel that failed
is closed, never reused; a kept one the broker closed while idle is replaced by
a fresh one and the publish is repeated. Under eventlet's monkey-patching (a
nameko service) the loop's `select` is green, so publishing blocks only the
calling green thread, never the hub.
"""
from __future__ import annotations

import uuid
import threading
import time
from collections.abc import Callable, Iterable
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
from shared.amqp_confirms import settled_tags
from shared.logs import REQUEST_ID

# PLATFORM-NOTES: ~1,000 unconfirmed messages is where confirms stop being the bottleneck.
DEFAULT_WINDOW = 1000
DEFAULT_TIMEOUT_SECONDS = 60.0
# Connections kept open between publishes; more concurrent publishes open more and close the extra after.
MAX_IDLE_CHANNELS = 8
# Nothing answers the broker's heartbeats while a kept connection's loop is stopped; reusing one idle well
# within the heartbeat timeout (60 s by default) spares a publish that would find it closed.
MAX_IDLE_SECONDS = 20.0
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
        # Channels between publishes. A channel serves one publish at a time, so a thread (or green thread)
        # takes one out for its publish and puts it back after; concurrent publishes each get their own.
        self._idle: list[_ConfirmedChannel] = []
        self._idle_lock = threading.Lock()

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
        channel, reused = self._take_channel()
        try:
            channel.publish(messages, self._window)
        except PublishFailed as failed:
            channel.close()
            if not (reused and _broken_between_publishes(failed)):
                raise
            # The broker may have closed a connection while it sat idle (a restart, missed heartbeats):
            # publishing all of them again on a fresh one is safe.
            channel, _ = self._take_channel(fresh=True)
            try:
                channel.publish(messages, self._window)
            except PublishFailed:
                channel.close()
                raise
        self._give_back(channel)

    def close(self) -> None:
        """Close the channels kept between publishes (the service stopping)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for channel in idle:
            channel.close()

    def _take_channel(self, *, fresh: bool = False) -> tuple[_ConfirmedChannel, bool]:
        if not fresh:
            with self._idle_lock:
                while self._idle:
                    channel = self._idle.pop()
                    if channel.usable:
                        return channel, True
                    channel.close()
        return _ConfirmedChannel(self._parameters(), self._timeout_seconds), False

    def _give_back(self, channel: _ConfirmedChannel) -> None:
        with self._idle_lock:
            if channel.usable and len(self._idle) < MAX_IDLE_CHANNELS:
                self._idle.append(channel)
                return
        channel.close()

    def _parameters(self) -> pika.URLParameters:
        parameters = pika.URLParameters(self._amqp_uri)
        # A broker short of memory or disk blocks publishers; give up rather than hang the caller.
        parameters.blocked_connection_timeout = self._timeout_seconds
        return parameters


def _failures(failures: int) -> dict | None:
    return {FAILURES_HEADER: failures} if failures else None


def _broken_between_publishes(failed: PublishFailed) -> bool:
    return not failed.returned and not failed.nacked and failed.reason.startswith(("connection closed",
                                                                                   "channel closed"))


REQUEST_ID_HEADER = "x-request-id"


def _properties(*, message_id: str | None = None, expiration_ms: int | None = None,
                headers: dict | None = None, cc: str | None = None) -> pika.BasicProperties:
    if cc is not None:
        headers = {**(headers or {}), "CC": [cc]}
    # The job carries the id of the request that caused it (shared/request_tracing.py), for the worker's log lines.
    if (request_id := REQUEST_ID.get()) and REQUEST_ID_HEADER not in (headers or {}):
        headers = {**(headers or {}), REQUEST_ID_HEADER: request_id}
    return pika.BasicProperties(
        delivery_mode=PERSISTENT,
        content_type=JOB_CONTENT_TYPE,
        type=JOB_TYPE,
        message_id=message_id or uuid.uuid4().hex,
        expiration=None if expiration_ms is None else str(expiration_ms),
        headers=headers or None,
    )


class _ConfirmedChannel:
    """One connection and its confirmed channel, kept open between publishes.

    The connection's I/O loop runs only while a publish is under way (in the publishing thread) and is
    stopped, not closed, when every message of it is settled, so the next publish goes out on the same
    channel. Anything that goes wrong leaves the channel broken; the publisher then closes it and opens a
    fresh one.
    """

    def __init__(self, parameters: pika.URLParameters, timeout_seconds: float) -> None:
        self._timeout_seconds = timeout_seconds
        self._next_tag = 1  # delivery tags count on across the publishes of one channel
        self._batch: _Batch | None = None
        self._failure: str | None = None
        self._ready = False
        self._channel = None
        self._stop_when: Callable[[], bool] | None = None
        self._idle_since = time.monotonic()
        self._connection = pika.SelectConnection(
            parameters,
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_connection_open_error,
            # Without it the loop would run on after the connection closed and the caller would hang.
            on_close_callback=self._on_connection_closed,
        )
        self._run_until(lambda: self._ready, "not open")
        if self._failure:
            self.close()
            raise PublishFailed(self._failure, returned=[], nacked=[], unconfirmed=0)

    @property
    def usable(self) -> bool:
        return (self._failure is None and self._connection.is_open and self._channel.is_open
                and time.monotonic() - self._idle_since < MAX_IDLE_SECONDS)

    def publish(self, messages: list[_Outgoing], window: int) -> None:
        batch = _Batch(messages, window)
        self._batch = batch
        try:
            self._fill_window()
            self._run_until(lambda: batch.done, "not confirmed")
        finally:
            self._batch = None
            self._idle_since = time.monotonic()
        unconfirmed = len(batch.outstanding) + len(messages) - batch.next_index
        if self._failure or batch.returned or batch.nacked or unconfirmed:
            reason = self._failure or ("returned as unroutable" if batch.returned else "nacked by the broker")
            raise PublishFailed(reason, returned=batch.returned, nacked=batch.nacked, unconfirmed=unconfirmed)

    def close(self) -> None:
        connection = self._connection
        if not (connection.is_closing or connection.is_closed):
            self._failure = self._failure or "closed"
            # Open, or still opening (pika aborts the opening and calls the open-error callback).
            connection.close()
            self._run_until(lambda: connection.is_closed, "not closed")
        connection.ioloop.close()

    def _run_until(self, finished: Callable[[], bool], what: str) -> None:
        """Run the I/O loop until `finished()` or a failure; the loop stops, the connection stays."""
        if finished() or self._failure:
            return
        ioloop = self._connection.ioloop

        def on_timeout() -> None:
            self._failure = self._failure or f"{what} within {self._timeout_seconds} s"
            self._check_finished()

        self._stop_when = finished
        timer = ioloop.call_later(self._timeout_seconds, on_timeout)
        try:
            ioloop.start()
        finally:
            ioloop.remove_timeout(timer)
            self._stop_when = None

    def _check_finished(self) -> None:
        # Callbacks run only inside the loop; a stop() outside it would end the next run before it began.
        stop_when = self._stop_when
        if stop_when is not None and (self._failure or stop_when()):
            self._connection.ioloop.stop()

    def _on_connection_open(self, connection: pika.SelectConnection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_open_error(self, connection: pika.SelectConnection, error: BaseException) -> None:
        self._failure = f"cannot connect to the broker: {error!r}"
        self._check_finished()

    def _on_connection_closed(self, connection: pika.SelectConnection, reason: BaseException) -> None:
        self._failure = self._failure or f"connection closed: {reason!r}"
        self._check_finished()

    def _on_channel_open(self, channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=self._on_confirm_mode)

    def _on_confirm_mode(self, _frame) -> None:
        self._ready = True
        self._check_finished()

    def _on_channel_closed(self, _channel, reason: BaseException) -> None:
        # An unknown exchange, for one, closes the channel (404 NOT_FOUND).
        self._failure = self._failure or f"channel closed: {reason!r}"
        self._check_finished()

    def _fill_window(self) -> None:
        batch = self._batch
        if batch is None:
            return
        messages = batch.messages
        while len(batch.outstanding) < batch.window and batch.next_index < len(messages):
            message = messages[batch.next_index]
            self._channel.basic_publish(message.exchange, message.routing_key, message.body,
                                        message.properties, mandatory=True)
            batch.outstanding[self._next_tag] = message.properties.message_id
            self._next_tag += 1
            batch.next_index += 1
        self._check_finished()

    def _on_confirm(self, frame) -> None:
        batch = self._batch
        if batch is None:
            return  # only a broken channel can still hear of an earlier publish, and it is never reused
        method = frame.method
        nacked = isinstance(method, Basic.Nack)
        for tag in settled_tags(batch.outstanding, method):
            batch.settle(tag, nacked)
        self._fill_window()

    def _on_return(self, _channel, _method, properties: pika.BasicProperties, _body: bytes) -> None:
        # The broker sends basic.return before the confirm of the same message.
        if self._batch is not None:
            self._batch.returned.append(properties.message_id)
        else:
            self._failure = self._failure or "returned outside a publish"


class _Batch:
    """One publish's messages: those not yet sent, and those sent but not yet settled."""

    def __init__(self, messages: list[_Outgoing], window: int) -> None:
        self.messages = messages
        self.window = window
        self.next_index = 0
        self.outstanding: dict[int, str] = {}  # delivery tag -> message id, oldest first
        self.returned: list[str] = []
        self.nacked: list[str] = []

    @property
    def done(self) -> bool:
        return not self.outstanding and self.next_index == len(self.messages)

    def settle(self, tag: int, nacked: bool) -> None:
        message_id = self.outstanding.pop(tag, None)
        if nacked and message_id is not None:
            self.nacked.append(message_id)

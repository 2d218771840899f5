"""One kept AMQP channel in confirm mode, shared by every green thread of a process that publishes on it.

Waiting for a broker's confirm before the next message is published costs a full round trip per message (the
quorum queue's write included), serialised: under a stream of provider posts that wait was the gateway's ceiling.
Here one green thread owns a pika SelectConnection and runs its I/O loop for as long as the process publishes;
a caller hands it a message and waits for that message's own confirm, while other callers' messages go out on
the same channel behind it. The broker confirms them in order, often several in one frame (`multiple`).

What a caller learns for its message, and only for its message:
- `CONFIRMED`: the broker holds it (routed to a queue: every message is `mandatory`; persistent unless the
  caller asks for a transient one);
- `RETURNED`: no queue took it (the broker sends basic.return before the confirm of the same message);
- `NACKED`, or `PublishNotConfirmed` raised: the broker refused it, the connection failed before its confirm,
  the broker could not be reached, or no confirm came within the timeout. The message may or may not be held;
  publishing it again is the caller's safe choice (its consumers take a repeat as a repeat).

Under eventlet's monkey-patching (a nameko service) pika's `select` is green: the loop's green thread waits on
its socket without blocking the hub, and a caller wakes it through the loop's thread-safe callback.
"""
from __future__ import annotations

import itertools
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field

import eventlet
import pika
from eventlet.event import Event
from pika.spec import Basic

from shared.amqp_confirms import settled_tags

log = logging.getLogger(__name__)

CONFIRMED, RETURNED, NACKED = "confirmed", "returned", "nacked"
PERSISTENT = pika.DeliveryMode.Persistent


class PublishNotConfirmed(ConnectionError):
    """No confirm for the message: the broker could not be reached, the connection failed under it, or none came
    in time."""


@dataclass(frozen=True)
class ChannelSettings:
    """How hard to try before a caller hears its message was not confirmed."""

    timeout_seconds: float = 10.0  # for one message's confirm, from the moment it was handed over
    connect_attempts: int = 3  # opening a connection, in a row, while messages wait; then they fail
    retry_delay_seconds: float = 0.2  # between those attempts


@dataclass(eq=False)
class _Pending:
    exchange: str
    routing_key: str
    body: bytes
    properties: pika.BasicProperties
    done: Event = field(default_factory=Event)
    returned: bool = False
    abandoned: bool = False  # its caller stopped waiting before it went out: it never goes out


class ConfirmedChannel:
    """`publish(exchange, routing_key, body, ...)` -> CONFIRMED, RETURNED or NACKED for that message; any number
    of green threads at once. The connection opens on the first publish and is kept; after a failure the next
    publish opens a fresh one. `close()` ends it (the service stopping)."""

    def __init__(self, amqp_uri: str, settings: ChannelSettings = ChannelSettings()) -> None:
        self._parameters = pika.URLParameters(amqp_uri)
        # A broker short of memory or disk blocks publishers: the connection is given up rather than kept waiting.
        self._parameters.blocked_connection_timeout = settings.timeout_seconds
        self._settings = settings
        self._waiting: deque[_Pending] = deque()  # handed over, not yet published
        self._outstanding: dict[int, _Pending] = {}  # published, by delivery tag, oldest first
        self._by_message_id: dict[str, _Pending] = {}  # published, for basic.return
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._next_tag = 1
        self._flush_scheduled = False
        self._owner = None  # the green thread running the loop
        self._wake_owner = Event()
        self._closing = False
        # Message ids tell a basic.return's message apart: unique per channel is enough, so a random prefix
        # per publisher and a count, without a uuid4's read of the system's randomness per message.
        self._id_prefix = f"{uuid.uuid4().hex[:16]}-"
        self._ids = itertools.count(1)

    def publish(self, exchange: str, routing_key: str, body: bytes, *, content_type: str,
                content_encoding: str | None = None, delivery_mode: int = PERSISTENT, reply_to: str | None = None,
                correlation_id: str | None = None, headers: dict | None = None) -> str:
        if self._closing:
            raise PublishNotConfirmed("the publisher is closed")
        pending = _Pending(exchange, routing_key, body, pika.BasicProperties(
            delivery_mode=delivery_mode, content_type=content_type, content_encoding=content_encoding,
            reply_to=reply_to, correlation_id=correlation_id, headers=headers,
            message_id=f"{self._id_prefix}{next(self._ids)}"))
        self._waiting.append(pending)
        self._wake()
        outcome = pending.done.wait(self._settings.timeout_seconds)
        if outcome is None:
            pending.abandoned = True
            raise PublishNotConfirmed(f"not confirmed within {self._settings.timeout_seconds} s")
        if isinstance(outcome, BaseException):
            raise PublishNotConfirmed(str(outcome)) from outcome
        return outcome

    def close(self, wait_seconds: float = 10.0) -> None:
        """No more publishes; the connection closed and its owner ended, waiting for that `wait_seconds` at most."""
        self._closing = True
        connection = self._connection
        if connection is not None and not (connection.is_closing or connection.is_closed):
            connection.ioloop.add_callback_threadsafe(connection.close)
        owner = self._owner
        if owner is not None and not owner.dead:
            if not self._wake_owner.ready():
                self._wake_owner.send(None)  # an owner waiting for work sees the publisher closed
            with eventlet.Timeout(wait_seconds, False):
                owner.wait()

    # -- on the caller's green thread

    def _wake(self) -> None:
        if self._owner is None or self._owner.dead:
            self._wake_owner = Event()
            self._owner = eventlet.spawn(self._run)
            return
        connection = self._connection
        if connection is None or self._channel is None:
            if not self._wake_owner.ready():
                self._wake_owner.send(None)  # between connections: the owner opens one
            return
        if not self._flush_scheduled:
            self._flush_scheduled = True
            connection.ioloop.add_callback_threadsafe(self._flush)

    # -- on the owner's green thread

    def _run(self) -> None:
        failures = 0
        while not self._closing:
            if not self._waiting:
                self._wake_owner = Event()
                if not self._waiting:
                    self._wake_owner.wait()
                continue
            opened = self._serve_one_connection()
            failures = 0 if opened else failures + 1
            if failures >= self._settings.connect_attempts:
                self._fail_waiting(PublishNotConfirmed("cannot reach the broker"))
                failures = 0
            elif not opened:
                eventlet.sleep(self._settings.retry_delay_seconds)
        self._fail_waiting(PublishNotConfirmed("the publisher is closed"))

    def _serve_one_connection(self) -> bool:
        """Open a connection and publish on it until it closes; whether it ever opened."""
        opened = [False]

        def on_channel_open(channel) -> None:
            channel.add_on_close_callback(lambda _channel, reason: self._connection.close()
                                          if self._connection.is_open else None)
            channel.add_on_return_callback(self._on_return)
            channel.confirm_delivery(self._on_confirm, callback=lambda _frame: ready(channel))

        def ready(channel) -> None:
            self._channel = channel
            opened[0] = True
            self._flush()

        def on_closed(connection, reason) -> None:
            self._channel = None
            self._fail_outstanding(PublishNotConfirmed(f"connection closed: {reason!r}"))
            connection.ioloop.stop()

        def on_open_error(connection, error) -> None:
            log.warning("cannot open a connection to the broker: %r", error)
            connection.ioloop.stop()

        self._next_tag = 1
        self._flush_scheduled = False
        self._connection = pika.SelectConnection(
            self._parameters, on_open_callback=lambda connection: connection.channel(on_open_callback=on_channel_open),
            on_open_error_callback=on_open_error, on_close_callback=on_closed)
        try:
            self._connection.ioloop.start()
        finally:
            self._channel = None
            self._fail_outstanding(PublishNotConfirmed("connection closed"))
            self._connection.ioloop.close()
            self._connection = None
        return opened[0]

    def _flush(self) -> None:
        self._flush_scheduled = False
        channel = self._channel
        if channel is None or not channel.is_open:
            return
        while self._waiting:
            pending = self._waiting.popleft()
            if pending.abandoned or pending.done.ready():
                continue
            channel.basic_publish(pending.exchange, pending.routing_key, pending.body, pending.properties,
                                  mandatory=True)
            self._outstanding[self._next_tag] = pending
            self._by_message_id[pending.properties.message_id] = pending
            self._next_tag += 1

    def _on_confirm(self, frame) -> None:
        method = frame.method
        outcome = NACKED if isinstance(method, Basic.Nack) else CONFIRMED
        for tag in settled_tags(self._outstanding, method):
            self._settle(tag, outcome)

    def _settle(self, tag: int, outcome: str) -> None:
        pending = self._outstanding.pop(tag, None)
        if pending is None:
            return
        self._by_message_id.pop(pending.properties.message_id, None)
        if outcome == CONFIRMED and pending.returned:
            outcome = RETURNED
        if not pending.done.ready():
            pending.done.send(outcome)

    def _on_return(self, _channel, _method, properties: pika.BasicProperties, _body: bytes) -> None:
        pending = self._by_message_id.get(properties.message_id)
        if pending is not None:
            pending.returned = True

    def _fail_outstanding(self, error: BaseException) -> None:
        outstanding, self._outstanding, self._by_message_id = self._outstanding, {}, {}
        for pending in outstanding.values():
            if not pending.done.ready():
                pending.done.send(error)

    def _fail_waiting(self, error: BaseException) -> None:
        while self._waiting:
            pending = self._waiting.popleft()
            if not pending.done.ready():
                pending.done.send(error)


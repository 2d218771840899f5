"""baseline_publish_msgs_per_s and baseline_consume_msgs_per_s: raw pika on a scratch vhost.

Publish: persistent 300-byte messages to a durable classic queue over a
SelectConnection, `mandatory`, with up to WINDOW messages unconfirmed (as
notify's DeliveryPublisher does). Consume: the same messages back, prefetch
PREFETCH, one manual ack each. The vhost is deleted at the end, whatever happens.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import pika
import requests

from bench.context import AMQP_URI, RABBIT_API, Context
from bench.report import Row

WINDOW = 1000
PREFETCH = 200
BODY = b"x" * 300
QUEUE = "bench.baseline"
TIMEOUT_SECONDS = 120.0


@contextmanager
def scratch_vhost() -> Iterator[str]:
    """A fresh vhost for guest; yields its AMQP URI."""
    api = urlsplit(RABBIT_API)
    auth = (api.username or "guest", api.password or "guest")
    base = urlunsplit((api.scheme, f"{api.hostname}:{api.port}", "", "", ""))
    name = f"bench-{uuid.uuid4().hex[:12]}"
    encoded = quote(name, safe="")
    requests.put(f"{base}/api/vhosts/{encoded}", auth=auth, timeout=10).raise_for_status()
    try:
        requests.put(f"{base}/api/permissions/{encoded}/{auth[0]}", auth=auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        amqp = urlsplit(AMQP_URI)
        yield urlunsplit((amqp.scheme, amqp.netloc, "/" + encoded, "", ""))
    finally:
        requests.delete(f"{base}/api/vhosts/{encoded}", auth=auth, timeout=30)


class _WindowedPublisher:
    def __init__(self, uri: str, count: int) -> None:
        self.count = count
        self.sent = 0
        self.confirmed = 0
        self.failure: str | None = None
        self.started = self.finished = 0.0
        self._outstanding = 0
        self._closing = False
        self._properties = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
        self._connection = pika.SelectConnection(
            pika.URLParameters(uri), on_open_callback=self._on_open,
            on_open_error_callback=self._on_error, on_close_callback=self._on_closed)

    def run(self) -> None:
        self._connection.ioloop.call_later(TIMEOUT_SECONDS, self._on_timeout)
        try:
            self._connection.ioloop.start()
        finally:
            self._connection.ioloop.close()
        if self.failure or self.confirmed != self.count:
            raise RuntimeError(f"publish failed: {self.failure} ({self.confirmed}/{self.count} confirmed)")

    def _on_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel)

    def _on_error(self, connection, error) -> None:
        self.failure = repr(error)
        connection.ioloop.stop()

    def _on_closed(self, connection, reason) -> None:
        if not self._closing:
            self.failure = self.failure or repr(reason)
        connection.ioloop.stop()

    def _on_timeout(self) -> None:
        self.failure = self.failure or "timed out"
        self._close()

    def _close(self) -> None:
        if not self._closing:
            self._closing = True
            self._connection.close()

    def _on_channel(self, channel) -> None:
        self._channel = channel
        channel.add_on_return_callback(self._on_return)
        channel.queue_declare(QUEUE, durable=True, callback=lambda _f: channel.confirm_delivery(
            self._on_confirm, callback=lambda _f: self._start()))

    def _on_return(self, _channel, _method, _properties, _body) -> None:
        self.failure = "a message was returned as unroutable"
        self._close()

    def _start(self) -> None:
        self.started = time.perf_counter()
        self._fill()

    def _fill(self) -> None:
        while self._outstanding < WINDOW and self.sent < self.count:
            self._channel.basic_publish("", QUEUE, BODY, self._properties, mandatory=True)
            self.sent += 1
            self._outstanding += 1

    def _on_confirm(self, frame) -> None:
        method = frame.method
        if isinstance(method, pika.spec.Basic.Nack):
            self.failure = "nacked by the broker"
            self._close()
            return
        # With multiple=True one frame confirms every tag up to delivery_tag.
        acked = method.delivery_tag - self.confirmed if method.multiple else 1
        self.confirmed += acked
        self._outstanding -= acked
        if self.confirmed >= self.count:
            self.finished = time.perf_counter()
            self._close()
        else:
            self._fill()


def publish(uri: str, count: int) -> float:
    publisher = _WindowedPublisher(uri, count)
    publisher.run()
    return count / (publisher.finished - publisher.started)


def consume(uri: str, count: int) -> float:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=PREFETCH)
        received = 0

        def on_message(ch, method, _properties, _body) -> None:
            nonlocal received
            ch.basic_ack(method.delivery_tag)
            received += 1
            if received >= count:
                ch.stop_consuming()

        channel.basic_consume(QUEUE, on_message)
        started = time.perf_counter()
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while received < count and time.monotonic() < deadline:
            connection.process_data_events(time_limit=1)
        elapsed = time.perf_counter() - started
        if received < count:
            raise RuntimeError(f"consumed only {received}/{count} messages")
        return count / elapsed
    finally:
        connection.close()


def run(ctx: Context) -> list[Row]:
    count = ctx.sizes.messages
    with scratch_vhost() as uri:
        ctx.progress(f"publishing {count:,} persistent 300-byte messages, confirm window {WINDOW}")
        published = publish(uri, count)
        ctx.progress(f"consuming them back, prefetch {PREFETCH}, one ack each")
        consumed = consume(uri, count)
    return [Row("baseline_publish_msgs_per_s", published, "msgs/s"),
            Row("baseline_consume_msgs_per_s", consumed, "msgs/s")]

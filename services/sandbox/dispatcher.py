"""Posting webhooks from background threads, so the API answer never waits for a receiver.

Each worker keeps one keep-alive connection per target (http.client, not
requests: a webhook per message must cost little CPU when the sandbox is under
benchmark load). A failed post is retried a few times with backoff, then
counted as failed — as the providers give up eventually too.
"""
from __future__ import annotations

import http.client
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from services.sandbox.outbox import OutgoingRequest, sendgrid_events_request

log = logging.getLogger("sandbox.webhooks")

RETRY_DELAYS_SECONDS = (0.1, 0.5, 1.5)
POST_TIMEOUT_SECONDS = 5.0
MAX_EVENTS_PER_BATCH = 1000


class _Connections:
    """One worker's keep-alive connections, by (scheme, host:port)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def post(self, request: OutgoingRequest) -> int:
        parts = urlsplit(request.url)
        key = (parts.scheme, parts.netloc)
        connection = self._open.get(key)
        if connection is None:
            factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            connection = self._open[key] = factory(parts.netloc, timeout=POST_TIMEOUT_SECONDS)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.request("POST", target, body=request.body, headers=dict(request.headers))
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            del self._open[key]
            raise
        if response.will_close:
            connection.close()
            del self._open[key]
        return response.status

    def close(self) -> None:
        for connection in self._open.values():
            connection.close()
        self._open.clear()


class WebhookDispatcher:
    def __init__(self, workers: int = 4, retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS) -> None:
        self._queue: queue.Queue[OutgoingRequest | None] = queue.Queue()
        self._retry_delays = tuple(retry_delays)
        self._threads = [threading.Thread(target=self._work, name=f"webhooks-{n}", daemon=True)
                         for n in range(workers)]
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, request: OutgoingRequest) -> None:
        self._queue.put(request)

    def discard_pending(self) -> None:
        while True:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                return
            if request is None:  # stopping: leave the sentinel for a worker
                self._queue.put(None)
                return

    def stats(self) -> dict[str, int]:
        with self._stats_lock:
            return {**self._stats, "pending": self._queue.qsize()}

    def stop(self, drain_seconds: float = 2.0) -> None:
        """Posts what is queued for up to drain_seconds, then lets the daemon threads go."""
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + drain_seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _count(self, what: str) -> None:
        with self._stats_lock:
            self._stats[what] += 1

    def _work(self) -> None:
        connections = _Connections()
        try:
            while (request := self._queue.get()) is not None:
                self._deliver(connections, request)
        finally:
            connections.close()

    def _deliver(self, connections: _Connections, request: OutgoingRequest) -> None:
        for attempt, delay in enumerate((0.0, *self._retry_delays)):
            if delay:
                time.sleep(delay)
            try:
                status = connections.post(request)
            except (OSError, http.client.HTTPException) as error:
                log.info("webhook %s to %s: attempt %d could not connect: %s", request.kind, request.url,
                         attempt + 1, error)
                continue
            if 200 <= status < 300 or not request.retry_on_error_status:
                self._count(f"{request.kind}.answered_{status // 100}xx")
                return
            log.info("webhook %s to %s: attempt %d answered %d", request.kind, request.url, attempt + 1, status)
        self._count(f"{request.kind}.gave_up")
        log.warning("webhook %s to %s: gave up after %d attempts", request.kind, request.url,
                    len(self._retry_delays) + 1)


class SendGridEventBatcher:
    """SendGrid posts events in batches every few seconds; the sandbox every flush interval."""

    def __init__(self, dispatcher: WebhookDispatcher, key: ec.EllipticCurvePrivateKey,
                 target_url: Callable[[], str | None], flush_seconds: float) -> None:
        self._dispatcher = dispatcher
        self._key = key
        self._target_url = target_url
        self._flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._pending: list[dict] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sendgrid-events", daemon=True)
        self.discarded = 0  # events produced while no events URL was configured

    def start(self) -> None:
        self._thread.start()

    def add(self, events: Sequence[dict]) -> None:
        with self._lock:
            self._pending.extend(events)

    def discard_pending(self) -> None:
        with self._lock:
            self._pending = []

    def flush(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        if not events:
            return
        url = self._target_url()
        if url is None:
            self.discarded += len(events)
            return
        for start in range(0, len(events), MAX_EVENTS_PER_BATCH):
            self._dispatcher.submit(sendgrid_events_request(url, events[start:start + MAX_EVENTS_PER_BATCH],
                                                            self._key))

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(self._flush_seconds + 1.0)
        self.flush()

    def _run(self) -> None:
        while not self._stopping.wait(self._flush_seconds):
            self.flush()

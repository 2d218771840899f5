"""The worker process's composition root: configuration, database, providers, queue, signals.

A worker consumes only the queues of the channels it can send on: the app
channel (no provider needed) and each channel it has a provider for. A worker
started without Twilio settings never takes an SMS job, so workers of any
configuration can be added beside each other.

Runs until SIGTERM or SIGINT, then finishes the job in hand, acks it and
exits 0. A lost broker connection is retried with backoff; a job handler that
raises unexpectedly ends the process (exit 1) so a supervisor restarts it,
and its job goes back to the queue.
"""
from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Iterable
from datetime import datetime, timezone

from pika.exceptions import AMQPConnectionError
from sqlalchemy.orm import Session

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.domain.delivery import Channel
from services.notify.queue.consumer import ConsumerCrashed, JobConsumer
from services.notify.queue.publisher import DeliveryPublisher
from services.notify.queue.topology import QUEUED_JOB_CHANNELS, work_queue
from services.notify.worker.handle_message import DeliveryJobHandler
from services.notify.worker.recording import PatientRecording
from services.notify.worker.settings import WorkerSettings
from shared.db import make_engine

log = logging.getLogger(__name__)

RECONNECT_CEILING_SECONDS = 30.0


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _Shutdown:
    """The SIGTERM/SIGINT handler: take no more jobs, finish the one in hand."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.consumer: JobConsumer | None = None

    def __call__(self, signum, _frame) -> None:
        log.info("received %s: finishing the job in hand", signal.Signals(signum).name)
        self.requested.set()
        if self.consumer is not None:
            self.consumer.stop()

    def watch(self, consumer: JobConsumer) -> None:
        self.consumer = consumer
        if self.requested.is_set():  # the signal came while the consumer was being made
            consumer.stop()


# What a worker needs in its environment to take each channel's jobs (adapters/providers/settings.py).
CHANNEL_SETTINGS = {
    Channel.EMAIL: "SENDGRID_API_KEY and SENDGRID_FROM_EMAIL",
    Channel.SMS: "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID)",
    Channel.VOICE: "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER",
    Channel.PUSH: "FCM_PROJECT_ID and FCM_CREDENTIALS_FILE (or FCM_CREDENTIALS_JSON)",
}


def channels_to_consume(provided: Iterable[Channel]) -> list[Channel]:
    """The channels whose jobs this worker takes: app always (the inbox needs no provider), the rest
    only with their provider."""
    wanted = {Channel.APP, *provided}
    return [channel for channel in QUEUED_JOB_CHANNELS if channel in wanted]


def run_worker(settings: WorkerSettings) -> int:
    # pika logs every connection step at INFO; a worker's log should say what it did with jobs.
    logging.getLogger("pika").setLevel(logging.WARNING)
    # One processing thread: a small pool is plenty, and the engine is disposed on the way out.
    engine = make_engine(settings.database_url, **_pool_options(settings.database_url))
    session = Session(engine, expire_on_commit=False)
    channels = settings.provider_channels()
    follow_ups = DeliveryPublisher(settings.amqp_uri)
    repository = DeliveryRepository(session)
    handler = DeliveryJobHandler(deliveries=PatientRecording(repository), channels=channels,
                                 follow_ups=follow_ups, clock=utc_now,
                                 draw=random.random)
    shutdown = _Shutdown()
    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    consumed = channels_to_consume(channels)
    left = [channel for channel in QUEUED_JOB_CHANNELS if channel not in consumed]
    log.info("notify worker starting: providers for %s; taking jobs for %s%s",
             ", ".join(sorted(c.value for c in channels)) or "none", ", ".join(c.value for c in consumed),
             f"; leaving {', '.join(c.value for c in left)} to workers configured for them" if left else "")
    for channel in left:
        log.warning("this worker takes no %s jobs: it needs %s", channel.value, CHANNEL_SETTINGS[channel])
    try:
        failures = 0
        while not shutdown.requested.is_set():
            consumer = JobConsumer(settings.amqp_uri, handler, prefetch=settings.prefetch,
                                   heartbeat_seconds=settings.heartbeat_seconds,
                                   queues=[work_queue(channel) for channel in consumed])
            shutdown.watch(consumer)
            try:
                consumer.run()
                failures = 0
            except AMQPConnectionError as error:
                # Backoff grows over failed attempts in a row; a connection that was up starts it again, so
                # outages hours apart do not add up to the 30 s ceiling.
                failures = 1 if consumer.connected else failures + 1
                delay = min(RECONNECT_CEILING_SECONDS, 2.0 ** failures)
                log.warning("broker connection lost or refused (%r); reconnecting in %.0f s", error, delay)
                shutdown.requested.wait(delay)
            except ConsumerCrashed:
                log.exception("stopping: a job handler crashed")
                return 1
        log.info("notify worker stopped")
        return 0
    finally:
        follow_ups.close()
        repository.close()
        session.close()
        engine.dispose()
        # Channels that hold HTTP connection pools offer close(); the Protocol does not ask for it.
        for channel in channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()


def _pool_options(url: str) -> dict:
    # No pre-ping: it is a round trip before every transaction, and a page takes four or five. A
    # connection that went stale (PostgreSQL restarted) fails its first statement instead, the pool
    # is invalidated, and the job goes round the retry path (recording retries in place) as for any
    # database blip.
    return {} if url.startswith("sqlite") else {"pool_size": 2, "max_overflow": 2, "pool_pre_ping": False}

"""The outbox's relay: publishes what a service's outbox holds (shared/outbox.py) to its nameko events exchange,
in order, with publisher confirms; marks each row sent once the broker confirmed it; backs off while the broker
is away; and prunes what was sent (and the processed event ids) long ago. One relay at a time per database
publishes (an advisory lock on PostgreSQL), so two processes of a service never reorder its events.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventlet.event import Event as Wakeup
from nameko.amqp.publish import Publisher
from nameko.constants import DEFAULT_SERIALIZER, HEADER_PREFIX, SERIALIZER_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared.contracts.base import with_event_id
from shared.metrics import OUTBOX_PENDING, OUTBOX_PUBLISHED
from shared.outbox import database_named, outbox, processed_events, utc_now

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RelaySettings:
    batch: int = 200
    # Seconds between looks when the outbox was empty: workers relay what they commit themselves, so the
    # thread mostly catches what they could not (the broker away, another relay holding the lock).
    interval: float = 1.0
    backoff_first: float = 0.5  # seconds, doubled while the broker stays away
    backoff_most: float = 30.0
    keep_sent: timedelta = timedelta(days=1)
    keep_processed: timedelta = timedelta(days=7)
    prune_every: timedelta = timedelta(minutes=10)


class BrokerAway(Exception):
    """The broker refused or dropped a publish: the relay keeps the rest and tries again later."""


@dataclass(frozen=True)
class Outgoing:
    seq: int
    event_id: str
    event: str
    payload: dict
    context: dict | None


Send = Callable[[Outgoing], None]


def relay_pending(engine: Engine, send: Send, *, lock_key: int, batch: int = 200,
                  clock: Callable[[], datetime] = utc_now) -> int:
    """Publish up to `batch` unsent rows in order, marking each sent once confirmed; how many were sent.

    One relay at a time per database (an advisory lock on PostgreSQL), so two processes of a service
    never publish out of order. A failed publish keeps it and everything after it for the next turn and
    raises BrokerAway once the ones before it are marked.
    """
    sent: list[int] = []
    with Session(engine) as session, session.begin():
        if not _take_relay_lock(session, lock_key):
            return 0
        rows = session.execute(select(outbox.c.seq, outbox.c.event_id, outbox.c.event, outbox.c.payload,
                                      outbox.c.context)
                               .where(outbox.c.sent_at.is_(None)).order_by(outbox.c.seq).limit(batch)).all()
        failure: Exception | None = None
        for row in rows:
            try:
                send(Outgoing(*row))
            except Exception as error:  # whatever the client raised, the row stays unsent
                failure = error
                break
            sent.append(row.seq)
        if sent:
            session.execute(update(outbox).where(outbox.c.seq.in_(sent)).values(sent_at=clock(), context=None))
    if failure is not None:
        raise BrokerAway(f"published {len(sent)} of {len(rows)} outbox rows: {failure!r}") from failure
    return len(sent)


def prune(engine: Engine, *, now: datetime, keep_sent: timedelta, keep_processed: timedelta) -> tuple[int, int]:
    """Delete sent outbox rows and remembered event ids older than kept; (outbox rows, processed ids)."""
    with engine.begin() as connection:
        sent = connection.execute(delete(outbox).where(outbox.c.sent_at < now - keep_sent)).rowcount
        seen = connection.execute(delete(processed_events)
                                  .where(processed_events.c.processed_at < now - keep_processed)).rowcount
    return sent, seen


def pending_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(outbox)
                                  .where(outbox.c.sent_at.is_(None))).scalar_one()


def _take_relay_lock(session: Session, key: int) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: one writer at a time already
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}).scalar())


def relay_lock_key(service: str) -> int:
    """A stable 63-bit key per service for the relay's advisory lock."""
    return int(uuid.uuid5(uuid.NAMESPACE_URL, f"outbox-relay/{service}").int >> 65)


class OutboxRelay(DependencyProvider):
    """Publishes the service's outbox to its nameko events exchange, in a thread of its own: with confirms,
    in order, backing off while the broker is away, and pruning what was sent long ago."""

    def __init__(self, *, database: str, settings: RelaySettings | None = None):
        self.database_attribute = database
        self.settings = settings or RelaySettings()
        self._stopped = False
        self._wakeup = None

    def setup(self) -> None:
        self.database = database_named(self.container, self.database_attribute)
        config = self.container.config
        self.service = self.container.service_name
        self.exchange = get_event_exchange(self.service, config)
        self.publisher = Publisher(config["AMQP_URI"], serializer=config.get(SERIALIZER_CONFIG_KEY,
                                                                                DEFAULT_SERIALIZER),
                                   declare=[self.exchange], retry=False)
        self.lock_key = relay_lock_key(self.service)

    def start(self) -> None:
        self._stopped = False
        self._wakeup = Wakeup()
        self.container.spawn_managed_thread(self._run, identifier=f"{self.service}.outbox_relay")

    def stop(self) -> None:
        self._stopped = True
        self.nudge()

    def kill(self) -> None:
        self.stop()

    def relay_now(self) -> None:
        """Publish what is pending from the calling worker; what fails is left to the relay's thread."""
        try:
            sent = relay_pending(self.database.engine, self.send, lock_key=self.lock_key, batch=self.settings.batch)
        except Exception as failure:  # the broker away: the thread backs off and retries
            log.info("%s outbox: publishing left to the relay: %s", self.service, failure)
            self.nudge()
            return
        OUTBOX_PUBLISHED.labels(self.service).inc(sent)
        if sent in (0, self.settings.batch):  # another relay held the lock, or more is waiting: the thread looks
            self.nudge()

    def nudge(self) -> None:
        """Look at the outbox now rather than at the next interval."""
        if self._wakeup is not None and not self._wakeup.ready():
            self._wakeup.send()

    def send(self, row: Outgoing) -> None:
        headers = {f"{HEADER_PREFIX}.{key}": value for key, value in (row.context or {}).items()}
        self.publisher.publish(with_event_id(row.payload, row.event_id), exchange=self.exchange,
                               routing_key=row.event, extra_headers=headers)

    def _run(self) -> None:
        settings, backoff, away_since = self.settings, self.settings.backoff_first, None
        next_prune = utc_now()
        while not self._stopped:
            wait = settings.interval
            try:
                sent = relay_pending(self.database.engine, self.send, lock_key=self.lock_key,
                                     batch=settings.batch)
                OUTBOX_PUBLISHED.labels(self.service).inc(sent)
                if away_since is not None:
                    log.info("%s outbox relay: the broker is back after %s", self.service, utc_now() - away_since)
                    away_since, backoff = None, settings.backoff_first
                if sent == settings.batch:
                    wait = 0
                if utc_now() >= next_prune:
                    pruned = prune(self.database.engine, now=utc_now(), keep_sent=settings.keep_sent,
                                   keep_processed=settings.keep_processed)
                    next_prune = utc_now() + settings.prune_every
                    if any(pruned):
                        log.info("%s outbox relay pruned %d sent rows and %d processed event ids",
                                 self.service, *pruned)
                OUTBOX_PENDING.labels(self.service).set(pending_count(self.database.engine))
            except Exception as failure:  # the broker or the database away: keep the rows, back off, retry
                if away_since is None:
                    away_since = utc_now()
                    log.warning("%s outbox relay cannot publish, retrying with backoff: %s", self.service, failure)
                wait, backoff = backoff, min(backoff * 2, settings.backoff_most)
            self._sleep(wait)

    def _sleep(self, seconds: float) -> None:
        if seconds <= 0 or self._stopped:
            return
        self._wakeup.wait(timeout=seconds)
        if self._wakeup.ready():
            self._wakeup = Wakeup()

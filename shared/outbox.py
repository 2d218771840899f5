"""No lost events: a service's events are written to its own `outbox` table in the transaction of the change
they describe, and a relay publishes them afterwards (at least once, in order, with publisher confirms).

A service declares, beside its Database dependency,

    store = Database(directory.NAME, DirectoryStore)
    publish = Outbox(directory.contract, database="store")   # publish(event, payload), as EventPublisher did
    relay = OutboxRelay(database="store")                    # publishes what the outbox holds

and adds the tables to its metadata (`add_event_tables(metadata)`) and its migration chain.

`publish(event, payload)` validates and dumps the payload through the contract (a publisher's mistake is its own
error) and keeps the row on the worker's session; the row is inserted just before that session's next commit,
so the change and its events commit together or not at all, and the outbox's order is the order in which
conflicting changes committed (their row locks are held when the row takes its place). A handler publishes
before the repository call that commits its change; one that publishes after its last commit still has its
rows committed when it returns (`Outbox.worker_result`), and a worker that failed drops them with its change.

Consumers are idempotent on the event id every payload carries (shared/contracts/base.py EVENT_ID): the
`processed_events` table remembers what a service has handled (shared.messaging.handles skips a repeat).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from eventlet.event import Event as Wakeup
from nameko.amqp.publish import Publisher
from nameko.constants import CALL_ID_STACK_CONTEXT_KEY, DEFAULT_SERIALIZER, HEADER_PREFIX, SERIALIZER_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    event as sa_event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared.contracts.base import Event, ServiceContract, with_event_id
from shared.db import Database, dialect_insert, new_metadata
from shared.logs import REQUEST_ID
from shared.metrics import OUTBOX_PENDING, OUTBOX_PUBLISHED
from shared.request_tracing import REQUEST_ID_CONTEXT_KEY

log = logging.getLogger(__name__)

OUTBOX = "outbox"
PROCESSED_EVENTS = "processed_events"
# Rows staged on a session, waiting for its commit (Session.info key).
_STAGED = "outbox.staged"
_LISTENING = "outbox.listening"

_tables = new_metadata()
outbox = Table(
    OUTBOX, _tables,
    # The order the relay publishes in: the order the rows were inserted, each just before its commit.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(32), nullable=False, unique=True),
    Column("event", String(120), nullable=False),  # the contract event's wire name (`people_upserted.v1`)
    Column("payload", JSON, nullable=False),  # dumped through the contract schema, without the event id
    Column("request_id", String(64), nullable=True),
    # The nameko context the event carries as EventDispatcher sent it (the request id, the credential of the
    # person the work is for: a consumer's calls act for them); cleared once sent.
    Column("context", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
)
# What the relay looks for: the unsent rows, in order (a partial index stays as small as the backlog).
Index("ix_outbox_unsent", outbox.c.seq, postgresql_where=outbox.c.sent_at.is_(None),
      sqlite_where=outbox.c.sent_at.is_(None))
processed_events = Table(
    PROCESSED_EVENTS, _tables,
    Column("event_id", String(32), primary_key=True),
    Column("event", String(160), nullable=False),  # `directory.people_upserted.v1`
    Column("processed_at", DateTime(timezone=True), nullable=False, index=True),
)


def add_event_tables(metadata: MetaData) -> None:
    """Add the outbox and processed-events tables to a service's own metadata (its migrations create them)."""
    for table in (outbox, processed_events):
        table.to_metadata(metadata)


def create_event_tables() -> None:
    """The body of each service's `*_outbox` migration (inside Alembic's `upgrade()`)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        OUTBOX,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("event", sa.String(120), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    unsent = sa.text("sent_at IS NULL")
    op.create_index("ix_outbox_unsent", OUTBOX, ["seq"], postgresql_where=unsent, sqlite_where=unsent)
    op.create_table(
        PROCESSED_EVENTS,
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("event", sa.String(160), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_processed_events"),
    )
    op.create_index("ix_processed_events_processed_at", PROCESSED_EVENTS, ["processed_at"])


def drop_event_tables() -> None:
    from alembic import op

    op.drop_table(PROCESSED_EVENTS)
    op.drop_table(OUTBOX)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_event_id() -> str:
    return uuid.uuid4().hex


# --- writing: in the change's transaction --------------------------------------------------------

def stage_event(session: Session, contract: ServiceContract, event: Event, payload: dict, *,
                request_id: str | None = None, context: dict | None = None,
                clock: Callable[[], datetime] = utc_now, new_id: Callable[[], str] = new_event_id) -> str:
    """Keep `event` on the session until its next commit, which inserts it with the change; its event id."""
    if contract.events.get(event.name) is not event:
        raise ValueError(f"{contract.name} does not publish {event.service}.{event.name}")
    event_id = new_id()
    row = {"event_id": event_id, "event": event.name, "payload": event.dump(payload),
           "request_id": request_id, "context": context or None, "created_at": clock()}
    if not session.info.get(_LISTENING):
        sa_event.listen(session, "before_commit", _insert_staged)
        sa_event.listen(session, "after_soft_rollback", _forget_staged)
        session.info[_LISTENING] = True
    # With the transaction it was staged in (None between transactions: then no rollback takes it back).
    session.info.setdefault(_STAGED, []).append((session.get_transaction(), row))
    return event_id


def staged_count(session: Session) -> int:
    return len(session.info.get(_STAGED, ()))


def _insert_staged(session: Session) -> None:
    staged = session.info.pop(_STAGED, None)
    if staged:
        session.execute(insert(outbox), [row for _, row in staged])


def _forget_staged(session: Session, previous_transaction) -> None:
    # Rolled back with the change they describe (a savepoint's rollback leaves the transaction going on);
    # staged between transactions, they describe a change committed before and wait for the next commit.
    if previous_transaction.nested or not session.info.get(_STAGED):
        return
    session.info[_STAGED] = [(transaction, row) for transaction, row in session.info[_STAGED]
                             if transaction is not previous_transaction]


class Outbox(DependencyProvider):
    """Hands each worker `publish(event, payload)`, writing to the outbox on the worker's session of
    `database` (the attribute name of the service's Database dependency).

    `publish.flush()`, which shared.messaging's entrypoints call when the handler returned and before its
    answer goes out, commits what was published after the handler's last commit and has the relay publish
    at once: a caller that got its answer finds the events on their way (the relay's thread retries
    whatever the broker refused)."""

    def __init__(self, contract: ServiceContract, *, database: str):
        self.contract = contract
        self.database_attribute = database

    def setup(self) -> None:
        self.database = _database_named(self.container, self.database_attribute)
        self.relay = next((dependency for dependency in self.container.dependencies
                           if isinstance(dependency, OutboxRelay)), None)

    def get_dependency(self, worker_ctx) -> OutboxPublisher:
        return OutboxPublisher(self, worker_ctx)

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        session = self.database.sessions.get(worker_ctx)
        if session is None or not staged_count(session):
            return
        if exc_info is None:
            # Published after the handler's last commit by an entrypoint that did not flush: committed now.
            session.commit()
            if self.relay is not None:
                self.relay.nudge()
        else:
            names = [row["event"] for _, row in session.info.pop(_STAGED)]
            log.warning("%s: a failed worker's events are dropped with its change: %s", self.contract.name, names)


class OutboxPublisher:
    """What a worker of a service with an Outbox calls `publish`."""

    def __init__(self, outbox: Outbox, worker_ctx) -> None:
        self._outbox = outbox
        self._worker_ctx = worker_ctx
        self._published = False

    def __call__(self, event: Event, payload: dict) -> None:
        worker_ctx = self._worker_ctx
        request_id = worker_ctx.data.get(REQUEST_ID_CONTEXT_KEY) or REQUEST_ID.get()
        context = {key: value for key, value in worker_ctx.context_data.items()
                   if value is not None and key != CALL_ID_STACK_CONTEXT_KEY}
        stage_event(_worker_session(self._outbox.database, worker_ctx), self._outbox.contract, event, payload,
                    request_id=request_id, context={**context, REQUEST_ID_CONTEXT_KEY: request_id})
        self._published = True

    def flush(self) -> None:
        if not self._published:
            return
        self._published = False
        session = _worker_session(self._outbox.database, self._worker_ctx)
        if staged_count(session):
            session.commit()
        if self._outbox.relay is not None:
            self._outbox.relay.relay_now()


def _worker_session(database: Database, worker_ctx) -> Session:
    # The worker's session is made when the Database hands out its repository (nameko injects every
    # dependency before the worker runs).
    if worker_ctx not in database.sessions:
        database.get_dependency(worker_ctx)
    return database.sessions[worker_ctx]


def _database_named(container, attribute: str) -> Database:
    for dependency in container.dependencies:
        if isinstance(dependency, Database) and dependency.attr_name == attribute:
            return dependency
    raise LookupError(f"{container.service_name} declares no Database dependency named {attribute!r}")


# --- relaying: after the commit ------------------------------------------------------------------

@dataclass(frozen=True)
class RelaySettings:
    batch: int = 200
    interval: float = 0.5  # seconds between looks when the outbox was empty
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
        self.database = _database_named(self.container, self.database_attribute)
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
        if sent == self.settings.batch:
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


# --- consuming: each event once ------------------------------------------------------------------

def already_processed(session: Session, event_id: str) -> bool:
    found = session.execute(select(processed_events.c.event_id)
                            .where(processed_events.c.event_id == event_id)).first() is not None
    session.commit()  # ends the read, so the handler's repositories begin their own transactions
    return found


def mark_processed(session: Session, event_id: str, event_name: str, *,
                   clock: Callable[[], datetime] = utc_now) -> None:
    """Remember a handled event, in its own commit after the handler's (a repeat finds it and does nothing)."""
    statement = dialect_insert(session, processed_events).values(
        event_id=event_id, event=event_name, processed_at=clock())
    session.execute(statement.on_conflict_do_nothing(index_elements=["event_id"]))
    session.commit()


class ProcessedEvents(DependencyProvider):
    """The events a service handled, on the worker's session of `database`; shared.messaging.handles asks
    it before calling a handler and tells it after."""

    def __init__(self, *, database: str):
        self.database_attribute = database

    def setup(self) -> None:
        self.database = _database_named(self.container, self.database_attribute)

    def get_dependency(self, worker_ctx):
        return ProcessedEventLog(lambda: _worker_session(self.database, worker_ctx))


class ProcessedEventLog:
    """What a worker asks of ProcessedEvents: its session is fetched only when first needed."""

    def __init__(self, session: Callable[[], Session]):
        self._session = session

    def already(self, event_id: str) -> bool:
        return already_processed(self._session(), event_id)

    def remember(self, event_id: str, event_name: str) -> None:
        mark_processed(self._session(), event_id, event_name)


# --- republishing: a district's current state again ------------------------------------------------

REPUBLISH_PAGE = 1000


def republish_in_pages(*, ids_after: Callable[[str | None, int], list[str]],
                       publish_page: Callable[[list[str]], None], page: int = REPUBLISH_PAGE) -> dict:
    """Walk a district's ids in order, a page at a time, publishing each page as it is now (an owner's
    `republish_district`); the Republished answer: events written and rows they describe."""
    events = rows = 0
    after = None
    while True:
        ids = ids_after(after, page)
        if not ids:
            return {"events": events, "rows": rows}
        publish_page(ids)
        events, rows, after = events + 1, rows + len(ids), ids[-1]

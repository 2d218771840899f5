"""No lost events: a service's events are written to its own `outbox` table in the transaction of the change
they describe, and a relay publishes them afterwards (at least once, in order, with publisher confirms).

A service declares, beside its Database dependency,

    store = Database(directory.NAME, DirectoryStore)
    publish = Outbox(directory.contract, database="store")   # publish(event, payload), as EventPublisher did
    relay = OutboxRelay(database="store")                    # shared/outbox_relay.py: publishes the outbox

and adds the tables to its metadata (`add_event_tables(metadata)`) and its migration chain.

`publish(event, payload)` validates and dumps the payload through the contract (a publisher's mistake is its own
error) and keeps the row on the worker's session; the row is inserted just before that session's next commit,
so the change and its events commit together or not at all, and the outbox's order is the order in which
conflicting changes committed (their row locks are held when the row takes its place). A handler publishes
before the repository call that commits its change, or hands that call an `Announce` that publishes inside its
transaction once the change is certain (a write that may find nothing to do, or that rolls back first); a
process killed right after the commit has its events in the outbox already. A handler that changes nothing (a
republish, a timer asking again) publishes on its own: that is committed when the handler returns
(`OutboxPublisher.flush`, called by shared.messaging's entrypoints, or `worker_result`), and a worker that failed
drops what it staged with its change.

Consumers are idempotent on the event id every payload carries (shared/contracts/base.py EVENT_ID): the
`processed_events` table remembers what a service has handled (shared.messaging.handles skips a repeat).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from nameko.constants import CALL_ID_STACK_CONTEXT_KEY
from nameko.extensions import DependencyProvider
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
    event as sa_event,
    insert,
    select,
)
from sqlalchemy.orm import Session

from shared.contracts.base import Event, ServiceContract
from shared.db import Database, dialect_insert, new_metadata
from shared.logs import REQUEST_ID
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

# What a handler hands a repository's write when the events depend on what the write finds (a first login that
# joined the account, a flag that is new) or when the write starts its transaction afresh: the repository calls
# it inside the change's transaction once the change is certain, so the events are staged on that transaction
# and commit with it, or go with its rollback.
Announce = Callable[[], None]


def nothing_to_announce() -> None:
    """The Announce of a write whose caller publishes nothing with it."""

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
        self.database = database_named(self.container, self.database_attribute)
        # The service's shared.outbox_relay.OutboxRelay, when it declares one.
        self.relay = next((dependency for dependency in self.container.dependencies
                           if callable(getattr(dependency, "relay_now", None))), None)

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


def database_named(container, attribute: str) -> Database:
    for dependency in container.dependencies:
        if isinstance(dependency, Database) and dependency.attr_name == attribute:
            return dependency
    raise LookupError(f"{container.service_name} declares no Database dependency named {attribute!r}")


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
        self.database = database_named(self.container, self.database_attribute)

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

"""Database seams: one engine per service process, one session per nameko worker.

A service declares `people = Database("directory", DirectoryRepository)` and its
workers receive `DirectoryRepository(session)`: an object with domain-level
methods, never a bare session. Under eventlet, psycopg2 is cooperative once
`eventlet.monkey_patch()` has run, so a slow query does not stall the
service's other green threads.

psycopg2 is a C library: monkey patching does not reach its sockets. Without a
wait callback, every query blocks the whole process, so one worker's query
stalls every other worker (and the AMQP heartbeats). `make_engine` installs an
eventlet wait callback when eventlet has patched the socket module, which
makes psycopg2 yield to the hub while it waits on the server.
"""
from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Generic, TypeVar

from eventlet.event import Event

from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData, Table, create_engine, event, exc, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from shared import prepared_statements
from shared.table_statistics import CHECK_EVERY_SECONDS, StatisticsKeeper

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
# nameko runs up to `max_workers` workers at once; each holds one connection.
POOL_SIZE = 20

# Tables of every service follow one naming scheme, so Alembic autogenerate and
# hand-written migrations agree on constraint names.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def eventlet_wait_callback(conn, timeout=-1):
    """psycopg2 wait callback that waits on the connection's socket through the eventlet hub."""
    import psycopg2.extensions
    from eventlet.hubs import trampoline

    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            break
        elif state == psycopg2.extensions.POLL_READ:
            trampoline(conn.fileno(), read=True)
        elif state == psycopg2.extensions.POLL_WRITE:
            trampoline(conn.fileno(), write=True)
        else:
            raise psycopg2.OperationalError(f"bad result from poll: {state!r}")


def make_psycopg2_green() -> bool:
    """Install the eventlet wait callback when eventlet has patched sockets; True when installed."""
    try:
        from eventlet import patcher
        import psycopg2.extensions
    except ImportError:
        return False
    if not patcher.is_monkey_patched("socket"):
        return False
    if psycopg2.extensions.get_wait_callback() is not eventlet_wait_callback:
        psycopg2.extensions.set_wait_callback(eventlet_wait_callback)
    return True


def make_engine(url: str, **options) -> Engine:
    # A database error names its statement but never its values (people's names, addresses, tokens), in the
    # exception's text and so in every log line that carries it.
    options.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if parsed.get_backend_name() == "postgresql":
        make_psycopg2_green()
    options.setdefault("pool_size", POOL_SIZE)
    options.setdefault("max_overflow", 10)
    # psycopg2 otherwise sends an executemany UPDATE one row at a time.
    options.setdefault("executemany_mode", "values_plus_batch")
    if "pool_pre_ping" in options:
        return prepared_statements.install(_ending_autocommit(create_engine(url, **options), options))
    # Instead of a ping (a round trip before every unit of work), each connection's socket is looked at as
    # it leaves the pool: one the server ended is replaced (check_server_ended).
    engine = create_engine(url, **options)
    event.listen(engine, "checkout", check_server_ended)
    return prepared_statements.install(_ending_autocommit(engine, options))


def _ending_autocommit(engine: Engine, options: dict) -> Engine:
    """end_autocommit on check-in, unless the engine's own isolation level was chosen (AUTOCOMMIT included)."""
    if "isolation_level" not in options:
        event.listen(engine, "checkin", end_autocommit)
    return engine


def check_server_ended(dbapi_connection, _record, _proxy) -> None:
    """Refuse a pooled PostgreSQL connection the server has ended; the pool then opens another.

    An idle connection has nothing to read from its server (no LISTEN here): when its socket is readable,
    the server has closed it or said why it did (pg_terminate_backend, a restart, idle_session_timeout).
    Looking takes a few microseconds where pool_pre_ping's SELECT 1 took a round trip (half a
    millisecond of waiting, and CPU in both processes, for every search). A server that vanished without
    closing its sockets is met by the first statement instead, as it would be mid-transaction.
    """
    readable, _, _ = _unpatched_select().select([dbapi_connection.fileno()], [], [], 0)
    if readable:
        raise exc.DisconnectionError("the server ended this connection while it sat in the pool")


def _unpatched_select():
    """The select module as the OS gives it: eventlet's green select would yield to the hub even with no wait."""
    try:
        from eventlet import patcher
    except ImportError:
        import select
        return select
    return patcher.original("select")


def _configure_sqlite(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; several service processes share the disk.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


Repo = TypeVar("Repo")


class Database(DependencyProvider, Generic[Repo]):
    """Hands each worker `repository(session)` for the service's own database."""

    def __init__(self, service: str, repository: Callable[[Session], Repo], *, vacuumed: Collection[str] = (),
                 statistics_every: float = CHECK_EVERY_SECONDS):
        self.service = service
        self.repository = repository
        self.vacuumed = vacuumed  # tables read index-only: see shared/table_statistics.py
        self.statistics_every = statistics_every
        self.engine: Engine | None = None
        self.sessions: dict = {}
        # The statistics keeper's own thread while the container runs (PostgreSQL only), and its stop signal.
        self._keeping = None
        self._stopping: Event | None = None

    def setup(self):
        url = self.container.config["DATABASES"][self.service]
        self.engine = make_engine(url)
        self.statistics = StatisticsKeeper(self.engine, every=self.statistics_every, vacuumed=self.vacuumed)

    def start(self):
        # Statistics kept up when the service goes quiet after writes, not left for the next worker to find.
        if self.engine.dialect.name == "postgresql":
            self._stopping = Event()
            self._keeping = self.container.spawn_managed_thread(
                lambda: self.statistics.keep_up(pause=self._stop_asked_within),
                identifier=f"{self.service}.table_statistics")

    def _stop_asked_within(self, seconds: float) -> bool:
        self._stopping.wait(timeout=seconds)
        return self._stopping.ready()

    def stop(self):
        # The keeper's thread first, and a check it has under way ends before the engine goes.
        if self._keeping is not None:
            if not self._stopping.ready():
                self._stopping.send()
            self._keeping.wait()
            self._keeping = None
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        if self._keeping is not None:
            self._keeping.kill()
            self._keeping = None
        self.stop()

    def get_dependency(self, worker_ctx) -> Repo:
        session = Session(self.engine, expire_on_commit=False)
        self.sessions[worker_ctx] = session
        return self.repository(session)

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
        # After the worker's answer went out; most calls find it is not time yet and return at once.
        self.statistics.check_when_due()


_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session: Session, table: Table):
    """An INSERT for the session's database that offers ON CONFLICT (PostgreSQL and SQLite spell it alike)."""
    return _DIALECT_INSERT[session.get_bind().dialect.name](table)


def read_without_transaction(session: Session) -> None:
    """The session's statements from now on run outside a transaction (autocommit), when it has not begun one.

    For a read whose every statement stands alone (a search: its page and count come from one statement):
    on PostgreSQL a transaction costs two more round trips, BEGIN before the first statement and ROLLBACK
    when the session closes, each a wait and some CPU in both processes. The pool gives the connection
    back with its usual isolation level."""
    if session.in_transaction():
        return
    engine = session.get_bind()
    if engine.dialect.driver == "psycopg2" and event.contains(engine, "checkin", end_autocommit):
        # psycopg2's own switch: SQLAlchemy's isolation level AUTOCOMMIT, set back to READ COMMITTED as the
        # connection returns, sent `SET default_transaction_isolation TO DEFAULT` to the server each time
        # (a round trip per search); the `autocommit` attribute changes only what psycopg2 sends before a
        # statement. end_autocommit turns it off again as the pool takes the connection back.
        session.connection().connection.dbapi_connection.autocommit = True
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def end_autocommit(dbapi_connection, _record) -> None:
    """A psycopg2 connection back in the pool begins transactions again (read_without_transaction)."""
    if dbapi_connection is not None and not dbapi_connection.closed and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


def read_one_snapshot(session: Session) -> None:
    """Make the session's just-begun transaction read one snapshot, so a page and its counts agree.

    PostgreSQL's default (READ COMMITTED) gives every statement its own snapshot, and pysqlite opens no
    transaction for a SELECT: either way a page read before another process's commit and its count read
    after it disagree. Call it first in the transaction, before any statement.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    elif dialect == "sqlite":
        # In WAL mode a read transaction keeps the snapshot of its first read until it ends.
        session.execute(text("BEGIN"))


def as_utc(moment: datetime | None) -> datetime | None:
    """An aware UTC datetime read back: SQLite hands back naive ones, and every moment stored is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment

"""Whether a service's database has settled after writes, and a bounded wait until it has.

Settled means: no table of the database's schema is due by the statistics keeper's own rule
(shared/table_statistics.py, `stale_tables`), and no VACUUM or ANALYZE of the database is running (the keeper's,
autovacuum's or anyone's; `pg_stat_activity` and the progress views). Until then a service's maintenance of the
writes before takes cores from whatever is measured next. The state must hold for STEADY_SECONDS, as a backend's
write counters reach the statistics views up to about a second after its transaction.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from shared.table_statistics import stale_tables

BOUND_SECONDS = 120.0
STEADY_SECONDS = 2.0
POLL_SECONDS = 0.5
PROGRESS_SECONDS = 10.0

# The statements' first words, as each backend reports them: a parallel worker shows its leader's statement.
_MAINTENANCE_RUNNING = text(r"""
    SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 80) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
      AND (query ~* '^\s*(vacuum|analyze|autovacuum:)' OR backend_type = 'autovacuum worker')
    UNION ALL
    SELECT 'VACUUM of ' || relid::regclass::text FROM pg_stat_progress_vacuum WHERE datname = current_database()
    UNION ALL
    SELECT 'ANALYZE of ' || relid::regclass::text FROM pg_stat_progress_analyze WHERE datname = current_database()
""")


def unsettled(connection: Connection, *, vacuumed: Collection[str] = ()) -> list[str]:
    """What keeps the connection's database from being settled, one line each; empty when it is settled."""
    due = [f"{table}: {' and '.join(what for what, is_due in (('ANALYZE', analyze), ('VACUUM', vacuum)) if is_due)}"
           " due" for table, analyze, vacuum in stale_tables(connection, vacuumed=vacuumed)]
    running = [f"running: {statement}" for (statement,) in connection.execute(_MAINTENANCE_RUNNING)]
    return due + running


@dataclass(frozen=True)
class Settling:
    seconds: float  # how long the wait lasted
    left: list[str]  # what was still unsettled when the bound was hit; empty once settled


def wait_until_settled(look: Callable[[], list[str]], *, bound: float = BOUND_SECONDS,
                       progress: Callable[[str], None] = lambda line: None,
                       clock: Callable[[], float] = time.monotonic,
                       sleep: Callable[[float], None] = time.sleep) -> Settling:
    """Ask `look` (unsettled() of a connection) every POLL_SECONDS until it finds nothing for STEADY_SECONDS, or
    until `bound` seconds have passed: never longer, and what was left is answered, not raised."""
    started = clock()
    quiet_since = None
    last_progress = started
    while True:
        left = look()
        now = clock()
        if left:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        if quiet_since is not None and now - quiet_since >= STEADY_SECONDS:
            return Settling(now - started, [])
        if now - started >= bound:
            return Settling(now - started, left or ["settled for less than STEADY_SECONDS"])
        if now - last_progress >= PROGRESS_SECONDS:
            progress(f"  not settled after {now - started:.0f}s: {'; '.join(left) or 'settling'}")
            last_progress = now
        sleep(POLL_SECONDS)


def wait_until_database_settled(url: str, *, vacuumed: Collection[str] = (), bound: float = BOUND_SECONDS,
                                progress: Callable[[str], None] = lambda line: None) -> Settling:
    """wait_until_settled on the database at the SQLAlchemy `url`, over one connection in autocommit (every look
    sees the statistics views anew)."""
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return wait_until_settled(lambda: unsettled(connection, vacuumed=vacuumed), bound=bound,
                                      progress=progress)
    finally:
        engine.dispose()

"""A database failure by name: what an operator reads in the log and the metrics, and a caller gets as a 503.

Three failures mean "try again shortly", never "you sent something wrong":
- database_unreachable: no connection (refused, dropped, the server terminated the backend, shutting down);
- database_read_only: the server takes no writes (a replica after a failover, a read-only transaction default,
  a read-only SQLite file);
- database_busy: a deadlock, a serialization failure, a lock or statement timeout, SQLite's busy lock, an
  exhausted connection pool.
Any other database error is a bug of ours (a constraint, a missing table) and stays what it is.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from shared.contracts.errors import StorageUnavailable
from shared.metrics import DEPENDENCY_FAILURES

log = logging.getLogger(__name__)

DATABASE_UNREACHABLE = "database_unreachable"
DATABASE_READ_ONLY = "database_read_only"
DATABASE_BUSY = "database_busy"

# PostgreSQL's SQLSTATEs (Appendix A); class 08 is every connection exception.
_READ_ONLY_STATES = {"25006"}
_BUSY_STATES = {"40001", "40P01", "55P03", "57014"}
_UNREACHABLE_STATES = {"57P01", "57P02", "57P03", "53300"}
_SQLITE_FAILURES = (("readonly database", DATABASE_READ_ONLY), ("database is locked", DATABASE_BUSY),
                    ("database table is locked", DATABASE_BUSY), ("unable to open database", DATABASE_UNREACHABLE),
                    ("disk i/o error", DATABASE_UNREACHABLE))


def database_fault(error: BaseException) -> str | None:
    """The failure's name, or None when the error is not the database's state but a bug of ours."""
    if isinstance(error, exc.TimeoutError):  # no connection free in the pool within its timeout
        return DATABASE_BUSY
    if isinstance(error, exc.DisconnectionError):
        return DATABASE_UNREACHABLE
    if not isinstance(error, exc.DBAPIError):
        return None
    if error.connection_invalidated:
        return DATABASE_UNREACHABLE
    state = getattr(error.orig, "pgcode", None)
    if state is not None:
        if state in _READ_ONLY_STATES:
            return DATABASE_READ_ONLY
        if state in _BUSY_STATES:
            return DATABASE_BUSY
        if state in _UNREACHABLE_STATES or state.startswith("08"):
            return DATABASE_UNREACHABLE
        return None
    message = str(error.orig).lower()
    for text, fault in _SQLITE_FAILURES:
        if text in message:
            return fault
    # psycopg2 raises OperationalError with no SQLSTATE when it cannot reach the server at all, and
    # InterfaceError on a connection already closed.
    if isinstance(error, (exc.OperationalError, exc.InterfaceError)) and "sqlite" not in type(error.orig).__module__:
        return DATABASE_UNREACHABLE
    return None


@contextmanager
def database_answers(service: str, work: str) -> Iterator[None]:
    """Turns a database failure inside into StorageUnavailable (a 503 at the gateway), logged and counted by
    its name; `work` says what could not be done. Other errors pass unchanged."""
    try:
        yield
    except exc.SQLAlchemyError as error:
        fault = database_fault(error)
        if fault is None:
            raise
        DEPENDENCY_FAILURES.labels(service, "database", fault).inc()
        cause = error.orig if isinstance(error, exc.DBAPIError) else error
        first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        log.error("%s: %s not done: %s (%s: %s)", service, work, fault, type(cause).__name__, first_line)
        raise StorageUnavailable(f"{service}'s database cannot take this now ({fault}); nothing was lost: "
                                 f"try again shortly.", {"database": [fault]}) from None

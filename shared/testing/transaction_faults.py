"""Faults between a change and the end of its handler, for the tests that show a service's events commit with
the change they describe or not at all (shared/outbox.py): the process dying just after the change's commit,
and the database refusing that commit. Each test drives a handler on a real session of the service's own
database, with `publish` staging on that session as the Outbox dependency does, then reads the outbox."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event as sa_event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared.contracts.base import Event, ServiceContract
from shared.outbox import outbox, stage_event


class ProcessKilled(BaseException):
    """The process died here, as under kill -9: nothing after this point runs, no handler code catches it
    (a BaseException), and the entrypoint's flush never happens."""


def staging_publish(session: Session, contract: ServiceContract) -> Callable[[Event, dict], None]:
    """A worker's `publish` (shared.outbox.OutboxPublisher) without nameko: the event is staged on `session`."""
    return lambda event, payload: stage_event(session, contract, event, payload)


class DiesAfter:
    """A repository whose process dies as soon as `method` returned: its commit happened, nothing else did."""

    def __init__(self, repository: object, method: str) -> None:
        self._repository, self._method = repository, method

    def __getattr__(self, name: str):
        found = getattr(self._repository, name)
        if name != self._method:
            return found

        def then_die(*args, **kwargs):
            found(*args, **kwargs)
            raise ProcessKilled(f"killed right after {name} committed")
        return then_die


@contextmanager
def commits_refused(engine: Engine, session: Session) -> Iterator[None]:
    """Every COMMIT on `session`'s connections fails as when PostgreSQL loses the backend at that moment
    (terminated from another connection): whatever the transaction wrote, the outbox rows included, is lost."""
    def terminate(connection) -> None:
        pid = connection.connection.dbapi_connection.get_backend_pid()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    sa_event.listen(engine, "commit", terminate)
    try:
        yield
    finally:
        sa_event.remove(engine, "commit", terminate)
        session.close()


def outbox_events(engine: Engine) -> list[tuple[str, dict]]:
    """What a service's outbox holds (each event's wire name and payload), in order, read afresh."""
    with engine.connect() as connection:
        return [(row.event, row.payload) for row in connection.execute(
            select(outbox.c.event, outbox.c.payload).order_by(outbox.c.seq))]

"""A database failure is named (unreachable, read-only, busy) and becomes a 503 the caller may retry; a bug is not."""
from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import exc, text

from services.gateway.errors import problem_for
from shared.contracts.errors import StorageUnavailable
from shared.database_faults import (
    DATABASE_BUSY,
    DATABASE_READ_ONLY,
    DATABASE_UNREACHABLE,
    database_answers,
    database_fault,
)
from shared.db import make_engine
from shared.metrics import DEPENDENCY_FAILURES


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failure_of(engine, statement: str) -> exc.SQLAlchemyError:
    with pytest.raises(exc.SQLAlchemyError) as failed, engine.begin() as connection:
        connection.execute(text(statement))
    return failed.value


@pytest.fixture
def read_only_sqlite(tmp_path):
    path = tmp_path / "notify.db"
    with make_engine(f"sqlite:///{path}").begin() as connection:
        connection.execute(text("CREATE TABLE receipts (id TEXT)"))
    return make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")


def test_a_postgresql_server_that_refuses_the_connection_is_unreachable():
    engine = make_engine(f"postgresql+psycopg2://school@127.0.0.1:{closed_port()}/notify", pool_pre_ping=False)

    assert database_fault(failure_of(engine, "SELECT 1")) == DATABASE_UNREACHABLE


def test_a_read_only_database_refusing_a_write_is_read_only(read_only_sqlite):
    assert database_fault(failure_of(read_only_sqlite, "INSERT INTO receipts VALUES ('r-1')")) == DATABASE_READ_ONLY


def test_a_missing_table_is_a_bug_of_ours_not_a_fault_of_the_database(read_only_sqlite):
    assert database_fault(failure_of(read_only_sqlite, "SELECT * FROM no_such_table")) is None


class PostgresError(Exception):
    def __init__(self, pgcode: str):
        super().__init__("as PostgreSQL says it")
        self.pgcode = pgcode


@pytest.mark.parametrize("pgcode, fault", [
    ("25006", DATABASE_READ_ONLY), ("40P01", DATABASE_BUSY), ("40001", DATABASE_BUSY), ("55P03", DATABASE_BUSY),
    ("57014", DATABASE_BUSY), ("57P01", DATABASE_UNREACHABLE), ("08006", DATABASE_UNREACHABLE),
    ("53300", DATABASE_UNREACHABLE), ("23505", None), ("42P01", None)],
    ids=["read-only transaction", "deadlock", "serialization", "lock not available", "statement timeout",
         "backend terminated", "connection failure", "too many connections", "unique violation", "no such table"])
def test_postgresql_states_are_named_by_their_sqlstate(pgcode, fault):
    assert database_fault(exc.OperationalError("INSERT ...", None, PostgresError(pgcode))) == fault


def test_an_exhausted_pool_is_busy():
    assert database_fault(exc.TimeoutError("QueuePool limit reached")) == DATABASE_BUSY


def test_a_named_failure_becomes_storage_unavailable_logged_and_counted(read_only_sqlite, caplog):
    counted = DEPENDENCY_FAILURES.labels("notify", "database", DATABASE_READ_ONLY)
    before = counted._value.get()

    with caplog.at_level(logging.ERROR), pytest.raises(StorageUnavailable) as refused, \
            database_answers("notify", "a twilio_status webhook"):
        with read_only_sqlite.begin() as connection:
            connection.execute(text("INSERT INTO receipts VALUES (:id)"), {"id": "secret-value"})

    assert refused.value.fields == {"database": [DATABASE_READ_ONLY]}
    assert counted._value.get() == before + 1
    assert "a twilio_status webhook not done: database_read_only" in caplog.text
    assert "secret-value" not in caplog.text and "secret-value" not in str(refused.value)


def test_a_bug_passes_through_unchanged(read_only_sqlite):
    with pytest.raises(exc.OperationalError), database_answers("notify", "a webhook"):
        with read_only_sqlite.begin() as connection:
            connection.execute(text("SELECT * FROM no_such_table"))


def test_the_gateway_answers_storage_unavailable_with_503_and_retry_after():
    problem = problem_for(StorageUnavailable("notify's database cannot take this now", {"database": ["x"]}))

    assert (problem.status, problem.code, problem.headers) == (503, "storage_unavailable", {"Retry-After": "10"})

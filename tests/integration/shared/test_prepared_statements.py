"""Statements executed with PREPARED run as server-side prepared statements on PostgreSQL: prepared once per
connection, executed by name afterwards, with the answers a plain execution gives."""
import pytest
from sqlalchemy import Integer, Text, bindparam, exc, text
from sqlalchemy.orm import Session

from shared import prepared_statements
from shared.db import make_engine
from shared.prepared_statements import PREPARED

pytestmark = pytest.mark.postgres

NUMBERS = text("SELECT n, n || :suffix AS label FROM generate_series(1, :upto) AS n "
               "WHERE (n::text || 'x') LIKE :pattern ESCAPE '/' OR :everyone ORDER BY n").bindparams(
    bindparam("suffix", type_=Text), bindparam("upto", type_=Integer), bindparam("pattern", type_=Text),
    bindparam("everyone"))
VALUES = {"suffix": "%_'s", "upto": 12, "pattern": "1%x", "everyone": False}


def prepared_on_server(session: Session) -> list[str]:
    return list(session.execute(text("SELECT name FROM pg_prepared_statements ORDER BY prepare_time")).scalars())


@pytest.fixture
def engine(pg_schema_url):
    engine = make_engine(pg_schema_url("prepared"), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_statement_is_prepared_once_per_connection_and_answers_as_a_plain_one(engine):
    with Session(engine) as session:
        plain = session.execute(NUMBERS, VALUES).all()
        assert prepared_on_server(session) == []
        answers = [session.execute(NUMBERS.execution_options(**{PREPARED: True}), VALUES).all() for _ in range(3)]
        other = session.execute(NUMBERS.execution_options(**{PREPARED: True}), {**VALUES, "everyone": True}).all()
        assert len(prepared_on_server(session)) == 1
    assert answers == [plain] * 3 == [[(1, "1%_'s"), (10, "10%_'s"), (11, "11%_'s"), (12, "12%_'s")]] * 3
    assert len(other) == 12


def test_the_next_connection_prepares_again(engine):
    with Session(engine) as session:
        session.execute(NUMBERS.execution_options(**{PREPARED: True}), VALUES).all()
        session.connection().invalidate()  # as when the server ended the connection: the pool opens another
    with Session(engine) as session:
        assert prepared_on_server(session) == []
        assert len(session.execute(NUMBERS.execution_options(**{PREPARED: True}), VALUES).all()) == 4
        assert len(prepared_on_server(session)) == 1


def test_a_failed_first_execution_leaves_nothing_a_later_one_trips_on(engine):
    failing = text("SELECT 1 / :divisor").bindparams(bindparam("divisor", type_=Integer)).execution_options(
        **{PREPARED: True})
    with Session(engine) as session:
        with pytest.raises(exc.DataError):
            session.execute(failing, {"divisor": 0})
        session.rollback()
        assert [session.execute(failing, {"divisor": 1}).scalar_one() for _ in range(2)] == [1, 1]


def test_each_connection_keeps_at_most_the_bound_of_them(engine, monkeypatch):
    monkeypatch.setattr(prepared_statements, "MAX_PER_CONNECTION", 2)
    with Session(engine) as session:
        for n in range(5):
            statement = text(f"SELECT {n} + :one").bindparams(bindparam("one", type_=Integer))
            assert session.execute(statement.execution_options(**{PREPARED: True}), {"one": 1}).scalar_one() == n + 1
        assert prepared_on_server(session) == ["prepared_4", "prepared_5"]


def test_a_value_of_a_type_it_does_not_declare_runs_plainly(engine):
    with Session(engine) as session:
        statement = text("SELECT :ratio * 2").execution_options(**{PREPARED: True})
        assert session.execute(statement, {"ratio": 0.25}).scalar_one() == 0.5
        assert prepared_on_server(session) == []


def test_a_statement_with_a_dollar_sign_of_its_own_runs_plainly(engine):
    with Session(engine) as session:
        statement = text("SELECT $$a$$ || :tail").execution_options(**{PREPARED: True})
        assert session.execute(statement, {"tail": "b"}).scalar_one() == "ab"
        assert prepared_on_server(session) == []

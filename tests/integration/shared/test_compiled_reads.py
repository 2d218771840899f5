"""A kept statement read on psycopg2's cursor answers as SQLAlchemy's execution of it does, prepared the same way,
and fails the same way: SQLAlchemy's errors, values hidden, a lost connection replaced."""
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, bindparam, exc, func, literal, select, text
from sqlalchemy.orm import Session

from shared.compiled_reads import read_dicts
from shared.db import make_engine
from shared.prepared_statements import PREPARED

pytestmark = pytest.mark.postgres

numbers = Table("numbers", MetaData(), Column("n", Integer, primary_key=True), Column("label", Text),
                Column("kind", Text))
# Built once, as search_sql keeps its statements: an expanding IN of values it was built with, a literal rendered
# at execution, and the parameters each run gives.
KEPT = (select(numbers.c.n, numbers.c.label, func.array(select(numbers.c.kind).where(numbers.c.n <= 2)
                                                        .scalar_subquery()).label("kinds"))
        .where(numbers.c.kind.in_(["odd", "even"]), numbers.c.label != literal("none", literal_execute=True),
               numbers.c.label.like(bindparam("pattern", type_=Text)))
        .order_by(numbers.c.n).limit(bindparam("page_limit", type_=Integer))
        .execution_options(**{PREPARED: True}))


@pytest.fixture
def engine(pg_schema_url):
    engine = make_engine(pg_schema_url("compiled_reads"), pool_size=1, max_overflow=0)
    numbers.create(engine)
    with engine.begin() as connection:
        connection.execute(numbers.insert(), [{"n": n, "label": f"n{n}", "kind": ("even", "odd")[n % 2]}
                                              for n in range(1, 30)])
    yield engine
    engine.dispose()


def prepared_on_server(session: Session) -> int:
    return session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()


@pytest.mark.parametrize("values", [{"pattern": "n1%", "page_limit": 4}, {"pattern": "%9", "page_limit": 10},
                                    {"pattern": "nothing", "page_limit": 3}])
def test_a_kept_statement_read_on_the_cursor_answers_as_sqlalchemy_does(engine, values):
    with Session(engine) as session:
        by_sqlalchemy = [dict(row) for row in session.execute(KEPT, values).mappings()]
    with Session(engine) as session:
        assert [read_dicts(session, KEPT, values) for _ in range(3)] == [by_sqlalchemy] * 3
        assert prepared_on_server(session) == 1  # prepared once on its connection, then executed by name
    assert by_sqlalchemy or values["pattern"] == "nothing"
    if values["pattern"] == "n1%":
        assert by_sqlalchemy == [{"n": n, "label": f"n{n}", "kinds": ["odd", "even"]} for n in (1, 10, 11, 12)]


def test_a_failing_read_raises_sqlalchemys_error_without_its_values(engine):
    failing = select(numbers.c.n / bindparam("divisor", type_=Integer)).execution_options(**{PREPARED: True})
    with Session(engine) as session, pytest.raises(exc.DataError) as failed:
        read_dicts(session, failing, {"divisor": 0})
    assert "division by zero" in str(failed.value)
    assert "[SQL parameters hidden" in str(failed.value)


def test_a_connection_the_server_ended_mid_session_is_invalidated_and_the_next_read_runs_on_a_new_one(engine):
    values = {"pattern": "n%", "page_limit": 5}
    killer = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session:
            assert len(read_dicts(session, KEPT, values)) == 5
            backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with killer.connect() as other:
                assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()
            with pytest.raises(exc.OperationalError) as lost:
                read_dicts(session, KEPT, values)
            assert lost.value.connection_invalidated
        with Session(engine) as session:
            assert len(read_dicts(session, KEPT, values)) == 5
            assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
    finally:
        killer.dispose()

"""read_without_transaction: a read's statements each run on their own, with no BEGIN before them and no
ROLLBACK after, and the pool gives the connection to the next worker inside transactions again."""
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.db import make_engine, read_without_transaction

pytestmark = pytest.mark.postgres

# In a transaction begun earlier, this statement started after its transaction did.
STARTED_WITH_ITS_TRANSACTION = text(
    "SELECT xact_start = query_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")


def second_statement_began_its_transaction(session: Session) -> bool:
    session.execute(text("SELECT pg_sleep(0.01)"))
    return session.execute(STARTED_WITH_ITS_TRANSACTION).scalar_one()


def test_a_read_without_transaction_runs_each_statement_on_its_own(pg_schema_url):
    engine = make_engine(pg_schema_url("autocommit"), pool_size=1, max_overflow=0)
    with Session(engine) as reader:
        read_without_transaction(reader)
        assert second_statement_began_its_transaction(reader)
    with Session(engine) as next_worker:
        assert not second_statement_began_its_transaction(next_worker)
    engine.dispose()


def test_a_session_already_in_a_transaction_stays_in_it(pg_schema_url):
    engine = make_engine(pg_schema_url("in_transaction"))
    with Session(engine) as reader:
        reader.execute(text("SELECT 1"))
        read_without_transaction(reader)
        assert not second_statement_began_its_transaction(reader)
    engine.dispose()


def test_a_read_without_transaction_sends_nothing_to_the_server_as_its_connection_returns(pg_schema_url):
    """The pool sets the connection back to transactions without a statement (SQLAlchemy's isolation level
    AUTOCOMMIT, set back to READ COMMITTED on return, sent a SET for it)."""
    engine = make_engine(pg_schema_url("no_set"), pool_size=1, max_overflow=0)
    watcher = make_engine(pg_schema_url("no_set_watcher"), pool_size=1, max_overflow=0)
    for _ in range(3):
        with Session(engine) as reader:
            read_without_transaction(reader)
            pid = reader.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with watcher.connect() as watching:
        last = watching.execute(text("SELECT query FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar_one()
    assert last == "SELECT pg_backend_pid()"
    with Session(engine) as next_worker:
        assert not second_statement_began_its_transaction(next_worker)
    engine.dispose()
    watcher.dispose()

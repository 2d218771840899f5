"""The shared Database dependency keeps a slow query from stalling a service's other green threads."""
import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import text

from shared.db import Database

pytestmark = pytest.mark.postgres


class SleepRepository:
    def __init__(self, session):
        self.session = session

    def sleep_and_time(self, seconds: float) -> tuple[float, float]:
        started = self.session.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar()
        self.session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        finished = self.session.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar()
        return float(started), float(finished)


class SleeperService:
    name = "sleeper"
    sleeps = Database("sleeper", SleepRepository)

    @rpc
    def sleep_and_time(self, seconds):
        return self.sleeps.sleep_and_time(seconds)


def test_ten_slow_queries_through_the_dependency_overlap(container_factory, rabbit_config, pg_schema_url):
    config = {**rabbit_config, "DATABASES": {"sleeper": pg_schema_url("sleeper")}, "max_workers": 10}
    container = container_factory(SleeperService, config)
    container.start()

    with ServiceRpcProxy("sleeper", config) as sleeper:
        calls = [sleeper.sleep_and_time.call_async(0.5) for _ in range(10)]
        intervals = [call.result() for call in calls]

    latest_start = max(start for start, _ in intervals)
    earliest_finish = min(finish for _, finish in intervals)
    # If the driver blocked the hub, each sleep would begin only after the previous
    # one ended; overlapping means all ten were in the database at once.
    assert latest_start < earliest_finish


def test_sqlite_default_runs_in_wal_mode(tmp_path):
    from shared.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'probe.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_a_postgres_engine_makes_psycopg2_wait_through_the_eventlet_hub(pg_schema_url):
    # The nameko pytest plugin monkey patches eventlet, as the service runner does.
    import psycopg2.extensions

    from shared.db import eventlet_wait_callback, make_engine

    engine = make_engine(pg_schema_url("green"))
    try:
        assert psycopg2.extensions.get_wait_callback() is eventlet_wait_callback
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()

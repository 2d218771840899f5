"""Each service process analyzes the tables of its schema that bulk writes left with stale statistics."""
from __future__ import annotations

import logging
import re
import time

import pytest
from sqlalchemy import create_engine, text

from shared import table_statistics
from shared.db import Database, make_engine
from shared.table_statistics import StatisticsKeeper, analyze_stale_tables, stale_tables
from shared.testing.clocks import SteppedClock


@pytest.fixture
def pg_engine(pg_schema_url):
    engine = make_engine(pg_schema_url("stats"))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE filled (id integer PRIMARY KEY, school text NOT NULL)"))
        connection.execute(text("CREATE TABLE untouched (id integer PRIMARY KEY)"))
    yield engine
    engine.dispose()


def write_rows(engine, first: int, count: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO filled SELECT n, 'school ' || (n % 7) "
                                "FROM generate_series(:first, :last) AS n"), {"first": first, "last": first + count - 1})
        # Counters reach the statistics views when the writer flushes them; make that now, not within a second.
        connection.execute(text("SELECT pg_stat_force_next_flush()"))


def planner_rows(engine) -> float:
    with engine.connect() as connection:
        return connection.execute(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('filled')")).scalar()


@pytest.mark.postgres
def test_a_bulk_filled_table_is_analyzed_once_and_only_it(pg_engine):
    write_rows(pg_engine, 1, 5000)
    assert planner_rows(pg_engine) == -1  # never analyzed: planned as if it held a handful of rows

    assert analyze_stale_tables(pg_engine) == ["filled"]
    assert planner_rows(pg_engine) == 5000
    assert analyze_stale_tables(pg_engine) == []


@pytest.mark.postgres
def test_a_table_is_analyzed_again_only_after_a_tenth_of_it_changed(pg_engine):
    write_rows(pg_engine, 1, 5000)
    analyze_stale_tables(pg_engine)

    write_rows(pg_engine, 5001, 400)  # 400 < 50 + 10 % of 5,000
    assert analyze_stale_tables(pg_engine) == []
    write_rows(pg_engine, 5401, 200)
    assert analyze_stale_tables(pg_engine) == ["filled"]
    assert planner_rows(pg_engine) == 5600


def vacuums(engine) -> int:
    """How many times the table was VACUUMed by hand.

    Its visibility map is not asserted: VACUUM marks a page all-visible only once no open transaction of the
    database may still miss its rows, and the test groups that run side by side share this database.
    """
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = to_regclass('filled')")).scalar()


@pytest.mark.postgres
def test_a_table_read_index_only_is_vacuumed_and_analyzed(pg_engine, caplog):
    write_rows(pg_engine, 1, 5000)
    with caplog.at_level(logging.INFO, logger="shared.table_statistics"):
        assert analyze_stale_tables(pg_engine, vacuumed=["filled"]) == ["filled"]
    assert re.search(r"VACUUM \(ANALYZE, SKIP_LOCKED, PARALLEL 0\) filled \d+\.\d\d s", caplog.text)  # what ran, its cost

    assert vacuums(pg_engine) == 1
    assert planner_rows(pg_engine) == 5000  # analyzed as well


@pytest.mark.postgres
def test_a_vacuumed_table_is_due_again_after_a_hundredth_of_it_changed(pg_engine):
    write_rows(pg_engine, 1, 5000)
    analyze_stale_tables(pg_engine, vacuumed=["filled"])
    assert vacuums(pg_engine) == 1

    write_rows(pg_engine, 5001, 80)  # 80 < 50 + 1 % of 5,000
    assert analyze_stale_tables(pg_engine, vacuumed=["filled"]) == []
    write_rows(pg_engine, 5081, 40)
    assert analyze_stale_tables(pg_engine) == []  # not stale for ANALYZE alone
    assert analyze_stale_tables(pg_engine, vacuumed=["filled"]) == ["filled"]
    assert vacuums(pg_engine) == 2


@pytest.mark.postgres
def test_only_the_connections_own_schema_is_looked_at(pg_schema_url, pg_engine):
    write_rows(pg_engine, 1, 5000)
    other = make_engine(pg_schema_url("other"))
    try:
        assert analyze_stale_tables(other) == []
        assert analyze_stale_tables(pg_engine) == ["filled"]
    finally:
        other.dispose()


def test_sqlite_is_left_alone(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE filled (id integer PRIMARY KEY)"))
        connection.execute(text("INSERT INTO filled (id) VALUES (1), (2), (3)"))
    assert analyze_stale_tables(engine) == []
    engine.dispose()


@pytest.mark.postgres
def test_the_keeper_checks_at_most_once_per_interval(pg_engine):
    clock = SteppedClock()
    keeper = StatisticsKeeper(pg_engine, every=20.0, clock=clock)
    write_rows(pg_engine, 1, 5000)
    assert keeper.check_when_due() == ["filled"]

    write_rows(pg_engine, 5001, 5000)
    clock.now += 19.0
    assert keeper.check_when_due() == []  # not yet time, though the table doubled
    clock.now += 1.0
    assert keeper.check_when_due() == ["filled"]


def test_a_failing_check_is_logged_and_never_raised(caplog):
    class Broken:
        class dialect:
            name = "postgresql"

        def connect(self):
            raise ConnectionError("the database went away")

    keeper = StatisticsKeeper(Broken(), clock=SteppedClock())
    with caplog.at_level(logging.WARNING, logger="shared.table_statistics"):
        assert keeper.check_when_due() == []
    assert "could not bring table statistics up to date" in caplog.text


@pytest.mark.postgres
def test_stale_tables_names_what_is_due_and_does_nothing(pg_engine):
    write_rows(pg_engine, 1, 5000)
    with pg_engine.connect() as connection:
        assert stale_tables(connection, vacuumed=["filled"]) == [("filled", True, True)]
        assert stale_tables(connection) == [("filled", True, False)]
    assert planner_rows(pg_engine) == -1


class Untouched:
    def __init__(self, session) -> None:
        self.session = session


class QuietService:
    """No entrypoint at all: no worker ever runs, so only the keeper's own thread can check."""

    name = "quiet"
    store = Database("quiet", Untouched, statistics_every=0.2)


def keeper_threads(container) -> list[str]:
    return [name for name in container._managed_threads.values() if name.endswith(".table_statistics")]


@pytest.mark.postgres
def test_a_due_table_is_analyzed_with_no_worker_running(container_factory, pg_schema_url, pg_engine, caplog):
    write_rows(pg_engine, 1, 5000)
    container = container_factory(QuietService, {"DATABASES": {"quiet": pg_engine.url.render_as_string(False)}})
    with caplog.at_level(logging.INFO, logger="shared.table_statistics"):
        container.start()
        deadline = time.monotonic() + 10
        while planner_rows(pg_engine) != 5000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert planner_rows(pg_engine) == 5000
        assert keeper_threads(container) == ["quiet.table_statistics"]

        container.stop()
    assert keeper_threads(container) == []
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.postgres
def test_a_container_stops_at_once_though_its_keeper_is_pausing_for_an_interval(container_factory, pg_engine):
    class PatientService(QuietService):
        store = Database("quiet", Untouched)  # a whole CHECK_EVERY_SECONDS between checks

    container = container_factory(PatientService, {"DATABASES": {"quiet": pg_engine.url.render_as_string(False)}})
    container.start()
    assert keeper_threads(container) == ["quiet.table_statistics"]

    started = time.monotonic()
    container.stop()
    assert time.monotonic() - started < 2
    assert keeper_threads(container) == []


def test_a_sqlite_service_runs_no_keeper_thread(container_factory, tmp_path):
    container = container_factory(QuietService, {"DATABASES": {"quiet": f"sqlite:///{tmp_path / 'quiet.db'}"}})
    container.start()
    assert keeper_threads(container) == []
    container.stop()


@pytest.mark.postgres
def test_the_keepers_thread_checks_once_an_interval_not_in_a_loop(container_factory, pg_engine, monkeypatch):
    checked = []
    monkeypatch.setattr(table_statistics, "analyze_stale_tables",
                        lambda engine, *, vacuumed=(): checked.append(time.monotonic()) or [])
    container = container_factory(QuietService, {"DATABASES": {"quiet": pg_engine.url.render_as_string(False)}})
    container.start()
    time.sleep(1.1)
    container.stop()
    assert 3 <= len(checked) <= 6  # every 0.2 s, the first after a whole interval

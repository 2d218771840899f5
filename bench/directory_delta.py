"""A 1 % delta's pages of people applied to a district-sized directory: each statement's time, and two pages at once.

    python -m bench.directory_delta --students 100000 --keep      # builds the directory once, keeps it
    python -m bench.directory_delta --students 100000 --rounds 3  # reuses it (and drops it, without --keep)

The directory is built as `bench.directory_pages` builds it (the same generated district, through the handlers,
a page of 1,000 rows at a time), in a schema kept between runs with --keep, then VACUUMed and ANALYZEd as the
statistics keeper leaves it after a full sync. The delta is shaped like the bench's (bench/stages/sync.py): every
200th person's given name changed, and a seventh as many people sent unchanged (an email changed in the source),
in pages of 1,000. Each round sends the pages once with the names changed and once with them changed back:

- serially, on one connection: per page its seconds and the backend's CPU, then every statement's seconds and
  calls over all pages (the commit, where the name counts are folded, apart);
- two pages at once, each on a connection of its own (as the directory's workers apply a run's pages): each
  page's seconds and how long it waited for the reach refresh's lock.
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from bench.directory_pages import PAGE_ROWS, District, create_database
from bench.platform_stack import cpu_seconds_of, sqlalchemy_url
from services.directory import handlers
from services.directory.adapters.repository import DirectoryRepository
from shared.contracts import directory
from shared.db import make_engine
from shared.migrations import upgrade
from shared.outbox import stage_event

DATABASE = "bench_directory_delta"
CHANGED_EVERY = 200
# People sent without a change to the directory, per person changed (1,511 sent for about 1,300 changed).
UNCHANGED_SHARE = 1 / 7


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.directory_delta", description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the built directory for the next run")
    parser.add_argument("--explain", type=float, metavar="MS", default=None,
                        help="print the plans (auto_explain, ANALYZE) of the serial pages' statements, triggers' "
                             "included, that took longer than MS milliseconds")
    args = parser.parse_args(argv)
    schema = f"delta_{args.students}"
    create_database(DATABASE)
    owner = create_engine(sqlalchemy_url(DATABASE), isolation_level="AUTOCOMMIT")
    url = f"{sqlalchemy_url(DATABASE)}?options=-csearch_path%3D{schema},public"
    try:
        with owner.connect() as connection:
            built = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :name"),
                                       {"name": schema}).scalar()
            if not built:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        district = District(args.students)
        upgrade("directory", url)
        engine = make_engine(url)
        try:
            district_id = _district_id(engine) if built else _build(engine, district)
            _vacuumed(owner, schema)
            pages = _delta_pages(district)
            print(f"delta: {sum(len(page) for page in pages):,} people in {len(pages)} pages, "
                  f"{sum(1 for page in pages for person in page if person['changed']):,} changed", flush=True)
            # Once untimed with the names as built: the tables back as built, should a run have stopped halfway.
            _serially(engine, district_id, _sent(pages, names_changed=False), quiet=True)
            for round_number in range(args.rounds):
                print(f"round {round_number + 1}: the names changed serially, then changed back two pages at once",
                      flush=True)
                _vacuumed(owner, schema)
                _serially(engine, district_id, _sent(pages, names_changed=True), explain=args.explain)
                _vacuumed(owner, schema)
                _two_at_once(engine, district_id, _sent(pages, names_changed=False))
        finally:
            engine.dispose()
    finally:
        if not args.keep:
            with owner.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        owner.dispose()


def _build(engine, district: District) -> str:
    started = time.monotonic()
    with Session(engine) as session:
        repo = DirectoryRepository(session)
        publish = _publisher(session)
        district_id = handlers.upsert_district({"source_id": "district", "name": "District"}, repo=repo)["id"]
        stages = (
            (district.schools(), lambda page: handlers.upsert_schools(
                {"district_id": district_id, "schools": page}, repo=repo)),
            (district.classrooms(), lambda page: handlers.upsert_classrooms(
                {"district_id": district_id, "classrooms": page, "unarchive_reappearing": True}, repo=repo)),
            (district.people(), lambda page: handlers.upsert_people(
                {"district_id": district_id, "people": page}, repo=repo, publish=publish)),
            (district.enrollments(), lambda page: handlers.upsert_enrollments(
                {"district_id": district_id, "enrollments": page}, repo=repo)),
            (district.links(), lambda page: handlers.upsert_guardian_links(
                {"district_id": district_id, "links": page}, repo=repo)),
        )
        for rows, apply in stages:
            for start in range(0, len(rows), PAGE_ROWS):
                apply(rows[start:start + PAGE_ROWS])
            session.execute(text("ANALYZE"))
            session.commit()
    print(f"built the directory in {time.monotonic() - started:.0f} s", flush=True)
    return district_id


def _district_id(engine) -> str:
    with engine.connect() as connection:
        return connection.execute(text("SELECT id FROM districts WHERE source_id = 'district'")).scalar_one()


def _vacuumed(owner, schema: str) -> None:
    """As the statistics keeper leaves the tables between a sync's imports (and as autovacuum would)."""
    with owner.connect() as connection:
        connection.execute(text(f'SET search_path = "{schema}"'))
        connection.execute(text("VACUUM (ANALYZE)"))


def _publisher(session: Session) -> Callable[[object, dict], None]:
    def publish(published, payload):
        stage_event(session, directory.contract, published, payload)

    return publish


def _delta_pages(district: District) -> list[list[dict]]:
    people = district.people()
    changed = set(range(0, len(people), CHANGED_EVERY))
    unchanged = list(range(CHANGED_EVERY // 2, len(people), CHANGED_EVERY))[:round(len(changed) * UNCHANGED_SHARE)]
    sent = [{**people[n], "changed": n in changed} for n in sorted(changed | set(unchanged))]
    return [sent[start:start + PAGE_ROWS] for start in range(0, len(sent), PAGE_ROWS)]


def _sent(pages: list[list[dict]], *, names_changed: bool) -> list[list[dict]]:
    def as_sent(person: dict) -> dict:
        sent = {name: value for name, value in person.items() if name != "changed"}
        if person["changed"] and names_changed:
            sent["given_name"] += "e"
        return sent

    return [[as_sent(person) for person in page] for page in pages]


class StatementTimes:
    """Each statement's seconds and calls on an engine (its first 90 characters), and the commits'."""

    def __init__(self, engine) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)
        event.listen(engine, "before_cursor_execute", self._started)
        event.listen(engine, "after_cursor_execute", self._ended)
        event.listen(engine, "commit", self._committing)
        self.engine = engine
        self.commit_started = 0.0

    def _started(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["statement_started"] = time.perf_counter()

    def _ended(self, conn, cursor, statement, parameters, context, executemany):
        key = " ".join(statement.split())[:90]
        self.seconds[key] += time.perf_counter() - conn.info.pop("statement_started")
        self.calls[key] += 1

    def _committing(self, conn):
        # The commit ends the page's handler: its time is what is left of the page after this event.
        self.commit_started = time.perf_counter()

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._started)
        event.remove(self.engine, "after_cursor_execute", self._ended)
        event.remove(self.engine, "commit", self._committing)

    def print(self) -> None:
        for key, seconds in sorted(self.seconds.items(), key=lambda item: -item[1])[:14]:
            print(f"    {seconds:7.3f} s {self.calls[key]:5d}  {key}")


def _serially(engine, district_id: str, pages: list[list[dict]], *, quiet: bool = False,
              explain: float | None = None) -> None:
    times = StatementTimes(engine)
    engine.dispose()  # one connection from here on, the one whose backend's CPU is read
    try:
        with Session(engine) as session:
            repo = DirectoryRepository(session)
            backend = session.execute(text("SELECT pg_backend_pid()")).scalar()
            if explain is not None:
                _explaining(session, explain)
            session.commit()
            publish = _publisher(session)
            for page in pages:
                started, cpu = time.perf_counter(), cpu_seconds_of(backend)
                handlers.upsert_people({"district_id": district_id, "people": page}, repo=repo, publish=publish)
                ended = time.perf_counter()
                times.seconds["COMMIT (the name counts folded)"] += ended - times.commit_started
                times.calls["COMMIT (the name counts folded)"] += 1
                if not quiet:
                    print(f"  serially: {len(page):5d} people, {ended - started:.3f} s, backend CPU "
                          f"{cpu_seconds_of(backend) - cpu:.3f} s", flush=True)
    finally:
        times.close()
    if not quiet:
        times.print()


def _explaining(session: Session, milliseconds: float) -> None:
    """The session's statements (those run by triggers too) that take longer than `milliseconds` have their
    plans sent to the client as notices, which SQLAlchemy's PostgreSQL dialect logs at INFO: printed here."""
    printed = logging.getLogger("sqlalchemy.dialects.postgresql")
    printed.setLevel(logging.INFO)
    printed.addHandler(logging.StreamHandler(sys.stdout))
    for setting in ("LOAD 'auto_explain'", f"SET auto_explain.log_min_duration = {milliseconds}",
                    "SET auto_explain.log_analyze = on", "SET auto_explain.log_buffers = on",
                    "SET auto_explain.log_nested_statements = on", "SET client_min_messages = log"):
        session.execute(text(setting))


def _two_at_once(engine, district_id: str, pages: list[list[dict]]) -> None:
    took: dict[int, float] = {}
    lock_asked: dict[int, float] = {}
    lock_waited: defaultdict[int, float] = defaultdict(float)
    ready = threading.Barrier(len(pages))

    def before(conn, cursor, statement, parameters, context, executemany):
        if "pg_advisory_xact_lock" in statement:
            lock_asked[threading.get_ident()] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        if "pg_advisory_xact_lock" in statement:
            lock_waited[threading.get_ident()] += time.perf_counter() - lock_asked.pop(threading.get_ident())

    def apply(number: int, page: list[dict]) -> None:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))
            session.commit()
            ready.wait()
            started = time.perf_counter()
            handlers.upsert_people({"district_id": district_id, "people": page}, repo=DirectoryRepository(session),
                                   publish=_publisher(session))
            took[number] = time.perf_counter() - started
            lock_waited[number] = lock_waited.pop(threading.get_ident(), 0.0)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        threads = [threading.Thread(target=apply, args=(number, page)) for number, page in enumerate(pages)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    print("  two at once: " + "; ".join(
        f"page {n + 1}: {took[n]:.3f} s (waited {lock_waited[n]:.3f} s for the reach lock)" for n in sorted(took)),
        flush=True)


if __name__ == "__main__":
    main()

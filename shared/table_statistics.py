"""Fresh planner statistics after bulk writes, whether or not autovacuum runs.

PostgreSQL chooses its plans from statistics that only ANALYZE gathers. Autovacuum gathers them on
its own schedule when it runs at all: it is off on the CI machines, and where it is on it still lags a
bulk load by a minute or more. Until then a table that one roster sync or one announcement has just
filled is planned as if it were empty. At district scale that made a page of 50 deliveries cost 88 ms
instead of under 1 ms, and a directory search 770 ms instead of 18 ms.

So each service process, at most every CHECK_EVERY_SECONDS, asks PostgreSQL which tables of its schema
changed by more than autovacuum's own threshold since their last ANALYZE, and analyzes those. It asks after
a worker has finished, and also from a thread of its own when no worker asked for a whole interval
(`StatisticsKeeper.keep_up`): a service that went quiet after its writes would otherwise leave its tables
stale until the next reader came, and that reader's first requests would pay for the maintenance. SQLite
plans without such statistics; nothing is done there.

A table a service reads index-only (its `vacuumed` tables) is VACUUMed as well, and sooner: an index-only
scan skips the table only for pages the visibility map marks all-visible, which only VACUUM marks, and any
write to a page unmarks it. Such a table is vacuumed once more than VACUUM_SCALE_FACTOR of its rows were
inserted or left dead since its last VACUUM, so the tail of a bulk load is not left for the reads to fetch.

`stale_tables` is the same rule read without acting on it: the bench waits until it finds nothing due.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

# PostgreSQL's defaults for autovacuum_analyze_threshold and autovacuum_analyze_scale_factor.
ANALYZE_BASE_ROWS = 50
ANALYZE_SCALE_FACTOR = 0.1
# A vacuumed table's rows written since its last VACUUM, as a share of its rows, that make it due again.
VACUUM_SCALE_FACTOR = 0.01
# A sync writes for minutes: checking every 20 s analyzes a growing table a dozen times at most.
CHECK_EVERY_SECONDS = 20.0
# The shortest pause of the keeper's own thread, as a share of its interval: after a check that outlasted an
# interval, the next is not asked for at once.
SHORTEST_PAUSE_SHARE = 0.05

# reltuples is -1 until a table's first ANALYZE or VACUUM: such a table is stale after ANALYZE_BASE_ROWS.
_STALE_TABLES = text("""
    SELECT relname, analyze_due, vacuum_due FROM (
        SELECT s.relname,
               s.n_mod_since_analyze > :base_rows + :scale_factor * greatest(c.reltuples, 0) AS analyze_due,
               s.relname = ANY(:vacuumed) AND s.n_ins_since_vacuum + s.n_dead_tup
                   > :base_rows + :vacuum_scale_factor * greatest(c.reltuples, 0) AS vacuum_due
        FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
        WHERE s.schemaname = current_schema()
    ) AS tables
    WHERE analyze_due OR vacuum_due
    ORDER BY relname
""")
# What each table is due for, as a command. SKIP_LOCKED: a VACUUM another process runs is not waited for.
# PARALLEL 0: the indexes vacuumed by this backend alone, not with a parallel worker beside it, so that on a
# small box the maintenance takes one core and leaves the others to the reads and writes it follows.
_COMMANDS = {(True, False): "ANALYZE", (False, True): "VACUUM (SKIP_LOCKED, PARALLEL 0)",
             (True, True): "VACUUM (ANALYZE, SKIP_LOCKED, PARALLEL 0)"}


def stale_tables(connection: Connection, *, vacuumed: Collection[str] = ()) -> list[tuple[str, bool, bool]]:
    """(table, ANALYZE due, VACUUM due) for each table of the connection's schema that is due (PostgreSQL)."""
    return [tuple(row) for row in connection.execute(_STALE_TABLES, {
        "base_rows": ANALYZE_BASE_ROWS, "scale_factor": ANALYZE_SCALE_FACTOR,
        "vacuumed": sorted(vacuumed), "vacuum_scale_factor": VACUUM_SCALE_FACTOR})]


def analyze_stale_tables(engine: Engine, *, vacuumed: Collection[str] = ()) -> list[str]:
    """ANALYZE the tables of the connection's schema whose statistics are stale, and VACUUM those of `vacuumed`
    that are due (see above); the names of the tables either was done to."""
    if engine.dialect.name != "postgresql":
        return []
    # Each statement its own transaction (VACUUM runs in none): ANALYZE's lock conflicts only with DDL, VACUUM
    # and itself.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        due = stale_tables(connection, vacuumed=vacuumed)
        quote = connection.dialect.identifier_preparer.quote
        timed = []
        for name, analyze, vacuum in due:
            command, started = f"{_COMMANDS[analyze, vacuum]} {quote(name)}", time.monotonic()
            connection.execute(text(command))
            timed.append(f"{command} {time.monotonic() - started:.2f} s")
    if timed:  # one line per check: what ran, and what each cost
        log.info("table statistics brought up to date: %s", "; ".join(timed))
    return [name for name, _, _ in due]


class StatisticsKeeper:
    """Runs analyze_stale_tables when due: at most once per `every` seconds and one run at a time, after work
    (`check_when_due`) and from a thread of its own when no work came for an interval (`keep_up`)."""

    def __init__(self, engine: Engine, *, every: float = CHECK_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic, vacuumed: Collection[str] = ()) -> None:
        self.engine, self.every, self.clock, self.vacuumed = engine, every, clock, frozenset(vacuumed)
        self._next_check = clock()
        self._checking = False

    def check_when_due(self) -> list[str]:
        """The tables analyzed now; empty when it was not yet time, or another check is running."""
        now = self.clock()
        if self._checking or now < self._next_check:
            return []
        self._checking, self._next_check = True, now + self.every
        try:
            analyzed = analyze_stale_tables(self.engine, vacuumed=self.vacuumed)
        except Exception:  # noqa: BLE001 — fresher statistics are an optimisation; the work itself succeeded
            log.warning("could not bring table statistics up to date", exc_info=True)
            return []
        finally:
            self._checking = False
        return analyzed

    def keep_up(self, *, pause: Callable[[float], bool]) -> None:
        """Check whenever a check is due, with or without work, until told to stop.

        `pause(seconds)` waits at most that long and answers whether to stop; it is never asked while a check
        of this thread runs, so a stop is not met half-way through a VACUUM. The first check waits a whole
        interval: a process just started has written nothing yet. Afterwards each pause lasts until the next
        check is allowed, so a check made after work in the meantime puts this one off rather than doubling it.
        """
        wait = self.every
        while not pause(wait):
            self.check_when_due()
            wait = max(self._next_check - self.clock(), SHORTEST_PAUSE_SHARE * self.every)

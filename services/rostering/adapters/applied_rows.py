"""What each district's imports last applied, in the rostering database; every method commits its own unit of work.

A district holds about a million remembered rows, so they move a page per
statement: one upsert (ON CONFLICT, on SQLite and PostgreSQL alike; on PostgreSQL
from arrays, shared/bulk_sql.py) per page remembered, one DELETE per chunk of keys
forgotten.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import applied_districts, applied_rows
from services.rostering.domain.applied_rows import (
    AppliedRow,
    RememberedColumns,
    RememberedSources,
    remembered_in_columns,
    remembered_sources,
)
from services.rostering.domain.source_rows import FINGERPRINT_BYTES
from shared.bulk_sql import insert_rows

# Keys per DELETE ... IN (...): well under SQLite's bound-parameter limit.
FORGET_CHUNK = 900
# Rows per upsert statement remembered: a window of a stage is one statement.
REMEMBER_CHUNK = 5000
# Rows fetched at a time when what a district applied is read back.
LOAD_CHUNK = 10_000
# Remembered rows per aggregated row of the comparison (_REMEMBERED): what rostering holds of them at once.
ROWS_PER_RUN = 50_000
# Asked fewer keys than this share of the rows remembered (an incremental sync's changed records), only their rows
# are read, found by the primary key's index: of a district's 260,000 people, reading every row cost about as much
# as looking up 80,000 keys (0.42 against 0.39 s), 2,600 keys took 0.04 s.
BY_KEY_BELOW = 0.25
# What a row remembered with no source fingerprint is aggregated with, to keep the others at their places.
NO_SOURCE = bytes(FINGERPRINT_BYTES)

# The entity's remembered rows as columns (RememberedColumns), up to ROWS_PER_RUN rows in each row of the answer,
# every column in one order (one aggregation makes them all):
# - the keys and the ids as two texts, a line each. A NULL id is an empty line: the ids are counted, and the keys
#   whose id is the empty string are listed. As arrays, the keys and ids took PostgreSQL half as long again to
#   write out (0.32 against 0.21 s for a district's people) and rostering four times as long to parse as to split.
# - the source fingerprints and the fingerprints as two byteas, 16 bytes a row end to end. A NULL source is sent as
#   NO_SOURCE, and the keys of such rows are listed.
# The keys asked are not sent (but for a few, `keys`, read by the index): putting a quarter of a million of them
# into a table to join with cost PostgreSQL twice the CPU of aggregating the rows, and rostering compares them with
# the keys asked in dicts (remembered_in_columns). The rows are numbered in the order they are read, so a run is a
# stretch of the table: the package's order, more or less, in which the dicts are quickest to look up and fill. A
# row the columns cannot hold (a line break in its key or id, a fingerprint not 16 bytes long) makes the lines
# disagree with `count`, or `widths` false. psycopg2's own parameter style: it is run on a named (server-side)
# cursor of the driver, not through SQLAlchemy (see _remembered_columns).
_REMEMBERED = f"""
SELECT count(*), string_agg(row_key, E'\\n'), string_agg(coalesce(target_id, ''), E'\\n'), count(target_id),
       array_agg(row_key) FILTER (WHERE target_id = ''),
       string_agg(coalesce(source_fingerprint, %(no_source)s), ''::bytea),
       array_agg(row_key) FILTER (WHERE source_fingerprint IS NULL), string_agg(fingerprint, ''::bytea),
       bool_and(octet_length(fingerprint) = {FINGERPRINT_BYTES}
                AND coalesce(octet_length(source_fingerprint), {FINGERPRINT_BYTES}) = {FINGERPRINT_BYTES}) AS widths
FROM (SELECT row_key, target_id, source_fingerprint, fingerprint, row_number() OVER () AS place
      FROM applied_rows WHERE district = %(district)s AND entity = %(entity)s
                              AND (%(keys)s::text[] IS NULL OR row_key = ANY(%(keys)s::text[]))) AS remembered
GROUP BY remembered.place / %(rows_per_run)s
"""


# Memory enough to aggregate the rows without spilling to disk, and no parallel workers (starting them took a second
# on a busy box); the cursor's plan made for reading every row.
_COMPARING = (text("SET LOCAL work_mem = '64MB'"), text("SET LOCAL max_parallel_workers_per_gather = 0"),
              text("SET LOCAL cursor_tuple_fraction = 1"))


class _UnevenColumns(Exception):
    """A remembered row the columns cannot hold (_REMEMBERED)."""


class AppliedRowRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._districts: dict[str, int] = {}

    def start(self, district_key: str, district_id: str) -> None:
        """Note the directory district `district_key` is applied to now.

        When it is not the one remembered (the directory's data was wiped and
        the district made anew), nothing remembered is true any more: forget it all.
        """
        row = self.session.execute(
            select(applied_districts.c.id, applied_districts.c.target_id)
            .where(applied_districts.c.source_key == district_key)).first()
        if row is None:
            number = self.session.execute(
                insert(applied_districts).values(source_key=district_key, target_id=district_id)
                .returning(applied_districts.c.id)).scalar_one()
        else:
            number = row.id
            if row.target_id != district_id:
                self.session.execute(delete(applied_rows).where(applied_rows.c.district == number))
                self.session.execute(update(applied_districts).where(applied_districts.c.id == number)
                                     .values(target_id=district_id))
        self.session.commit()
        self._districts[district_key] = number

    def district_id_of(self, district_key: str) -> str | None:
        """The directory district the source's district was last applied to; None if it never was."""
        target = self.session.execute(select(applied_districts.c.target_id)
                                      .where(applied_districts.c.source_key == district_key)).scalar()
        self.session.commit()
        return target

    def keys(self, district_key: str, entity: str) -> Iterator[str]:
        """Only the keys, read a chunk at a time as they are iterated (a server-side cursor on PostgreSQL): what
        a full file is compared with to find what it no longer lists. Read them through before another call."""
        return self._keys(self._district(district_key), entity)

    def _keys(self, number: int, entity: str) -> Iterator[str]:
        yield from self.session.execute(select(applied_rows.c.row_key).where(
            applied_rows.c.district == number, applied_rows.c.entity == entity)
            .execution_options(yield_per=LOAD_CHUNK)).scalars()
        self.session.commit()

    def count(self, district_key: str, entity: str) -> int:
        """How many rows of the entity are remembered (the primary key's index answers it)."""
        number = self._district(district_key)
        counted = self.session.execute(select(func.count()).select_from(applied_rows).where(
            applied_rows.c.district == number, applied_rows.c.entity == entity)).scalar_one()
        self.session.commit()
        return counted

    def load(self, district_key: str, entity: str) -> dict[str, AppliedRow]:
        number = self._district(district_key)
        # Read a chunk at a time (a server-side cursor on PostgreSQL): a district's quarter of a million rows,
        # fetched whole, are held three times over at once (the driver's result, a row object and a buffer per
        # value, the dict built from them), a few hundred MB for a moment.
        result = self.session.execute(
            select(applied_rows.c.row_key, applied_rows.c.fingerprint, applied_rows.c.target_id,
                   applied_rows.c.source_fingerprint)
            .where(applied_rows.c.district == number, applied_rows.c.entity == entity)
            .execution_options(yield_per=LOAD_CHUNK))
        loaded: dict[str, AppliedRow] = {}
        for chunk in result.partitions():
            loaded.update((row_key, AppliedRow(bytes(digest), target_id, bytes(source) if source is not None else None))
                          for row_key, digest, target_id, source in chunk)
        # Close the read transaction now: the worker goes on to wait on other services.
        self.session.commit()
        return loaded

    def compare_sources(self, district_key: str, entity: str, asked: Mapping[str, bytes | None], *,
                        needs_ids: bool) -> RememberedSources:
        """What is remembered of the keys asked, compared with their source fingerprints. On PostgreSQL the entity's
        remembered rows come back as columns, a run at a time (_REMEMBERED), and are compared as they come."""
        if self.session.get_bind().dialect.name != "postgresql":
            return remembered_sources(self.load(district_key, entity), asked, needs_ids=needs_ids)
        district = self._district(district_key)
        counted = self.session.execute(select(func.count()).select_from(applied_rows).where(
            applied_rows.c.district == district, applied_rows.c.entity == entity)).scalar_one()
        if not asked or not counted:  # a first import: nothing to compare with
            self.session.commit()
            return RememberedSources({}, {}, asked, counted)
        by_key = len(asked) < BY_KEY_BELOW * counted
        for setting in _COMPARING:
            self.session.execute(setting)
        try:
            compared = remembered_in_columns(
                self._remembered_columns(district, entity, list(asked) if by_key else None), asked, needs_ids=needs_ids)
        except _UnevenColumns:
            return remembered_sources(self.load(district_key, entity), asked, needs_ids=needs_ids)
        self.session.commit()
        return replace(compared, count=counted)  # read by key, the rows compared are not all the entity's

    def _remembered_columns(self, district: int, entity: str, keys: list[str] | None) -> Iterator[RememberedColumns]:
        """The entity's remembered rows (of `keys` only, if given) as columns (_REMEMBERED), one run at a time on a
        server-side cursor, straight from the driver: SQLAlchemy would buffer a text statement's whole result."""
        with self.session.connection().connection.dbapi_connection.cursor(name="remembered_columns") as runs:
            runs.execute(_REMEMBERED, {"no_source": NO_SOURCE, "district": district, "entity": entity, "keys": keys,
                                       "rows_per_run": ROWS_PER_RUN})
            while run := runs.fetchone():
                count, row_keys, target_ids, with_ids, empty_ids, sources, unsourced, fingerprints, widths = run
                row_keys, target_ids = row_keys.split("\n"), target_ids.split("\n")
                if not widths or len(row_keys) != count or len(target_ids) != count:
                    raise _UnevenColumns(entity)
                del run
                yield RememberedColumns(row_keys, _ids(row_keys, target_ids, with_ids, empty_ids),
                                        _sources(row_keys, bytes(sources), unsourced), bytes(fingerprints))

    def target_ids(self, district_id: str, entity: str, keys: Sequence[str]) -> dict[str, str]:
        """The ids the owning service gave these rows of the directory district `district_id` (found ones only)."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), FORGET_CHUNK):
            found.update(self.session.execute(
                select(applied_rows.c.row_key, applied_rows.c.target_id)
                .join(applied_districts, applied_districts.c.id == applied_rows.c.district)
                .where(applied_districts.c.target_id == district_id, applied_rows.c.entity == entity,
                       applied_rows.c.target_id.is_not(None),
                       applied_rows.c.row_key.in_(keys[start:start + FORGET_CHUNK]))).tuples().all())
        self.session.commit()
        return found

    def remember(self, district_key: str, entity: str, rows: Mapping[str, AppliedRow]) -> None:
        if not rows:
            return
        number = self._district(district_key)
        # One transaction, a statement per chunk: a run remembering a whole district at once (the first after the
        # reading code changed remembers every row's new source fingerprint) never builds half a million
        # parameter rows, nor one statement of them.
        items = iter(rows.items())
        while chunk := list(itertools.islice(items, REMEMBER_CHUNK)):
            insert_rows(self.session, applied_rows, [
                {"district": number, "entity": entity, "row_key": row_key, "fingerprint": row.fingerprint,
                 "target_id": row.target_id, "source_fingerprint": row.source}
                for row_key, row in chunk
            ], conflict=("district", "entity", "row_key"), replace=("fingerprint", "target_id", "source_fingerprint"))
        self.session.commit()

    def forget(self, district_key: str, entity: str, keys: Sequence[str]) -> None:
        if not keys:
            return
        number = self._district(district_key)
        for start in range(0, len(keys), FORGET_CHUNK):
            self.session.execute(delete(applied_rows).where(
                applied_rows.c.district == number, applied_rows.c.entity == entity,
                applied_rows.c.row_key.in_(keys[start:start + FORGET_CHUNK])))
        self.session.commit()

    def _district(self, district_key: str) -> int:
        """The district's number: noted by start(), else read (a preview reads without starting)."""
        if district_key not in self._districts:
            number = self.session.execute(select(applied_districts.c.id)
                                          .where(applied_districts.c.source_key == district_key)).scalar()
            if number is None:
                raise LookupError(f"nothing was ever applied for district {district_key!r}")
            self._districts[district_key] = number
        return self._districts[district_key]


def _ids(row_keys: list[str], lines: list[str], with_ids: int, empty: list[str] | None) -> list[str | None]:
    """A run's ids from their lines: an empty line is a NULL id, unless its key is among those whose id is the empty
    string (`empty`). Every row has an id (people), or none has (accounts), but for a few."""
    if not with_ids:
        return [None] * len(lines)
    if with_ids == len(lines):
        return lines
    ids = [line or None for line in lines]
    if empty:
        empty = set(empty)
        ids = ["" if row_key in empty else target_id for row_key, target_id in zip(row_keys, ids)]
    return ids


def _sources(row_keys: list[str], sources: bytes, unsourced: list[str] | None) -> list[bytes | None]:
    """A run's source fingerprints cut from the bytes they came in, None for the keys `unsourced`."""
    cut: list[bytes | None] = [sources[at:at + FINGERPRINT_BYTES] for at in range(0, len(sources), FINGERPRINT_BYTES)]
    if unsourced:
        unsourced = set(unsourced)
        cut = [None if row_key in unsourced else source for row_key, source in zip(row_keys, cut)]
    return cut

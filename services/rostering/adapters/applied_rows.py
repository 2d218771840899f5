"""What each district's imports last applied, in the rostering database; every method commits its own unit of work.

A district holds about a million remembered rows, so they move a page per
statement: one upsert (ON CONFLICT, on SQLite and PostgreSQL alike; on PostgreSQL
from arrays, shared/bulk_sql.py) per page remembered, one DELETE per chunk of keys
forgotten.
"""
from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Mapping, Sequence

from sqlalchemy import LargeBinary, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import applied_districts, applied_rows
from services.rostering.domain.applied_rows import AppliedRow, RememberedSources, remembered_sources
from services.rostering.domain.source_rows import FINGERPRINT_BYTES
from shared.bulk_sql import insert_rows

# Keys per DELETE ... IN (...): well under SQLite's bound-parameter limit.
FORGET_CHUNK = 900
# Rows per upsert statement remembered: a window of a stage is one statement.
REMEMBER_CHUNK = 5000
# Rows fetched at a time when what a district applied is read back.
LOAD_CHUNK = 10_000
# Keys sent with their source fingerprints per statement, into the comparison's table (compare_sources).
COMPARE_CHUNK = 50_000
# Keys whose places and ids come back in one row of the comparison (_COMPARED), and such rows fetched at a time.
PLACES_PER_ROW = 10_000
COMPARED_ROWS_PER_FETCH = 4
# What a key asked with no source fingerprint is sent with (its source is then set NULL by its place).
NO_SOURCE = bytes(FINGERPRINT_BYTES)


# The keys asked go into a table of the comparison's transaction, a chunk per statement, so that one join compares
# them all: joined a chunk at a time, the entity's remembered rows were hashed again for every chunk. psycopg2
# refuses COPY under eventlet's wait callback, so each chunk goes as one text of keys, a line each, and one bytea of
# their source fingerprints end to end (16 bytes each, in the keys' order): adapting a quarter of a million values
# one by one costs rostering more than the comparison saves. Each key is stored with its place among those asked,
# which is what comes back: the asked key's own string is reused, not a copy of it made again for every row. A key
# asked with no source fingerprint goes with 16 zero bytes in the text, then its source is set NULL by its place.
_ASKED = text("CREATE TEMPORARY TABLE compared_keys (place integer, row_key text, source bytea) ON COMMIT DROP")
_ASK = text(f"""
INSERT INTO compared_keys (place, row_key, source)
SELECT :first_place + listed.position - 1, listed.row_key,
       substring(:sources FROM ((listed.position - 1) * {FINGERPRINT_BYTES} + 1)::int FOR {FINGERPRINT_BYTES})
FROM unnest(string_to_array(:keys, E'\\n')) WITH ORDINALITY AS listed(row_key, position)
""").bindparams(bindparam("sources", type_=LargeBinary))
_UNSOURCED = text("UPDATE compared_keys SET source = NULL WHERE place = ANY(:places)")
# Every asked key remembered, by its place, whether it is remembered by the source fingerprint asked (`same`): the
# places and ids of up to PLACES_PER_ROW keys come back as two arrays in one row (one aggregation lists them in one
# order), and only the rows not the same bring their fingerprints too. Read back a row per key, a quarter of a
# million keys cost rostering more CPU than the rest of the comparison: a tuple and five values made per key, and a
# step of Python each. The join hands the keys over in their places' order, so rostering looks them up in order
# (shuffled, its dicts took three times as long); that order is not asked for, as sorting cost PostgreSQL more than
# it saves. psycopg2's own parameter style: it is run on a named (server-side) cursor of the driver, not through
# SQLAlchemy (see _compared).
_COMPARED = """
SELECT compared.same, array_agg(compared.place), array_agg(compared.target_id),
       array_agg(compared.fingerprint) FILTER (WHERE NOT compared.same),
       array_agg(compared.source_fingerprint) FILTER (WHERE NOT compared.same)
FROM (SELECT asked.place, applied.target_id, applied.fingerprint, applied.source_fingerprint,
             coalesce(applied.source_fingerprint = asked.source, false)
                 AND (applied.target_id IS NOT NULL OR NOT %(needs_ids)s) AS same
      FROM compared_keys AS asked JOIN applied_rows AS applied
        ON applied.district = %(district)s AND applied.entity = %(entity)s AND applied.row_key = asked.row_key
     ) AS compared
GROUP BY compared.same, compared.place / %(places_per_row)s
"""


_COMPARING = (text("SET LOCAL work_mem = '64MB'"), text("SET LOCAL max_parallel_workers_per_gather = 0"),
              text("SET LOCAL cursor_tuple_fraction = 1"))


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
        """What is remembered of the keys asked, compared with their source fingerprints where the rows are kept
        (PostgreSQL): only rows remembered by another one are read back whole."""
        if self.session.get_bind().dialect.name != "postgresql":
            return remembered_sources(self.load(district_key, entity), asked, needs_ids=needs_ids)
        # The keys and their source fingerprints by their places, a key asked with none sent with NO_SOURCE.
        keys, sources = list(asked), list(asked.values())
        unsourced = _places_of_none(sources)
        for place in unsourced:
            sources[place] = NO_SOURCE
        if not _joinable(keys, sources):
            return remembered_sources(self.load(district_key, entity), asked, needs_ids=needs_ids)
        # Memory enough to join the keys without spilling to disk (the 4 MB default wrote 80 MB of temporary files
        # for a quarter of a million), no parallel workers (starting them for the count took a second on a busy
        # box), and the cursor's plan made for reading every row: planned for the first tenth, as a cursor's is by
        # default, the join was slower by half.
        for setting in _COMPARING:
            self.session.execute(setting)
        district = self._district(district_key)
        remembered = self.session.execute(select(func.count()).select_from(applied_rows).where(
            applied_rows.c.district == district, applied_rows.c.entity == entity)).scalar_one()
        if not remembered:  # a first import: nothing to compare with
            self.session.commit()
            return RememberedSources({}, {}, asked, 0)
        self._ask(keys, sources, unsourced)
        differing: dict[str, AppliedRow] = {}
        unchanged: dict[str, str | None] = {}
        for same, places, target_ids, digests, sources_remembered in self._compared(district, entity,
                                                                                     needs_ids=needs_ids):
            row_keys = map(keys.__getitem__, places)
            if same:
                unchanged.update(zip(row_keys, target_ids))
            else:
                differing.update(zip(row_keys, map(_applied_row, digests, target_ids, sources_remembered)))
        self.session.commit()
        return RememberedSources(differing, unchanged, asked, remembered)

    def _ask(self, keys: list[str], sources: list[bytes], unsourced: list[int]) -> None:
        """The keys asked put into the comparison's table by their places, each with its source fingerprint (NULL
        for those at the places `unsourced`)."""
        self.session.execute(_ASKED)
        # A chunk of keys per statement: the text sent for a quarter of a million keys at once raised rostering's
        # peak by about 100 MB.
        for first in range(0, len(keys), COMPARE_CHUNK):
            self.session.execute(_ASK, {"keys": "\n".join(keys[first:first + COMPARE_CHUNK]),
                                        "sources": b"".join(sources[first:first + COMPARE_CHUNK]),
                                        "first_place": first})
        if unsourced:
            self.session.execute(_UNSOURCED, {"places": unsourced})

    def _compared(self, district: int, entity: str, *, needs_ids: bool) -> Iterator[tuple]:
        """The join's rows (_COMPARED), a few at a time on a server-side cursor, straight from the driver:
        SQLAlchemy buffers a text statement's whole result in the session (+90 MB for a quarter of a million
        rows) and, on a connection that streams it, doubles the CPU of reading it back (a Row per row)."""
        with self.session.connection().connection.dbapi_connection.cursor(name="compared_rows") as rows:
            rows.execute(_COMPARED, {"needs_ids": needs_ids, "district": district, "entity": entity,
                                     "places_per_row": PLACES_PER_ROW})
            while chunk := rows.fetchmany(COMPARED_ROWS_PER_FETCH):
                yield from chunk

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


def _joinable(keys: list[str], sources: list[bytes]) -> bool:
    """Keys that a line each keeps apart (none empty, none spanning lines), with fingerprints of the one size."""
    return ("" not in keys and "\n".join(keys).count("\n") == max(len(keys) - 1, 0)
            and set(map(len, sources)) <= {FINGERPRINT_BYTES})


def _places_of_none(sources: list[bytes | None]) -> list[int]:
    """The places of the keys asked with no source fingerprint (a handful at most: keys two records share)."""
    places: list[int] = []
    with contextlib.suppress(ValueError):
        while True:
            places.append(sources.index(None, places[-1] + 1 if places else 0))
    return places


def _applied_row(digest: bytes, target_id: str | None, source: bytes | None) -> AppliedRow:
    return AppliedRow(bytes(digest), target_id, None if source is None else bytes(source))

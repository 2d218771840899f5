"""insert_rows and update_rows: a page in one statement (arrays unnested on PostgreSQL, executemany on SQLite), same
result on both."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import (JSON, Boolean, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text,
                        create_engine, select)
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from services.identity.adapters.tables import UtcDateTime
from shared.bulk_sql import insert_rows, update_rows

metadata = MetaData()
things = Table(
    "things", metadata,
    Column("id", Text, primary_key=True),
    Column("flag", Boolean, nullable=True),
    Column("document", JSON, nullable=True),
    Column("digest", LargeBinary(16), nullable=True),
    Column("number", Integer, nullable=True),
    Column("at", DateTime(timezone=True), nullable=True),
    Column("utc_at", UtcDateTime, nullable=True),
    Column("code", String(16), nullable=True),
)
WHEN = datetime(2026, 12, 5, 12, 30, tzinfo=timezone.utc)


@pytest.fixture(params=["postgresql", "sqlite"])
def session(request, tmp_path):
    url = request.getfixturevalue("pg_schema_url")("bulk") if request.param == "postgresql" \
        else f"sqlite:///{tmp_path / 'bulk.db'}"
    engine = create_engine(url)
    metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def thing(key: str, **overrides) -> dict:
    return {"id": key, "flag": True, "document": ["x", {"y": 1}], "digest": b"\x00\xff" * 8, "number": 7,
            "at": WHEN, "utc_at": WHEN, "code": "c", **overrides}


def stored(session: Session) -> dict[str, dict]:
    rows = session.execute(select(things).order_by(things.c.id)).mappings()
    return {row["id"]: {**row, "at": row["at"] and row["at"].replace(tzinfo=timezone.utc)} for row in rows}


def test_a_page_keeps_every_value_and_type_and_nulls(session):
    insert_rows(session, things, [thing("a"), thing("b", flag=None, document=[], digest=None, number=None,
                                                    at=None, utc_at=None, code=None)])
    session.commit()

    assert stored(session) == {"a": thing("a"), "b": thing("b", flag=None, document=[], digest=None, number=None,
                                                             at=None, utc_at=None, code=None)}


def test_a_page_of_only_nulls_in_a_column_takes_the_column_type(session):
    insert_rows(session, things, [{"id": "a", "flag": None, "number": None}, {"id": "b", "flag": None, "number": None}])
    session.commit()

    assert [(row["flag"], row["number"]) for row in stored(session).values()] == [(None, None), (None, None)]


def test_conflict_with_replace_updates_only_the_named_columns(session):
    insert_rows(session, things, [thing("a"), thing("b")])
    insert_rows(session, things, [thing("a", flag=False, document={"z": 2}, code="new"), thing("c")],
                conflict=("id",), replace=("flag", "document"))
    session.commit()

    assert stored(session) == {"a": thing("a", flag=False, document={"z": 2}), "b": thing("b"), "c": thing("c")}


def test_conflict_without_replace_leaves_the_stored_row(session):
    insert_rows(session, things, [thing("a")])
    insert_rows(session, things, [thing("a", code="new"), thing("b")], conflict=("id",))
    session.commit()

    assert stored(session) == {"a": thing("a"), "b": thing("b")}


def test_the_rows_written_are_counted_and_a_row_left_alone_is_not(session):
    assert insert_rows(session, things, [thing("a"), thing("b")]) == 2

    assert insert_rows(session, things, [thing("a", code="new"), thing("c")], conflict=("id",)) == 1


def test_without_conflict_a_duplicate_fails_the_whole_page(session):
    insert_rows(session, things, [thing("a")])
    session.commit()

    with pytest.raises(IntegrityError):
        insert_rows(session, things, [thing("b"), thing("a")])
    session.rollback()
    assert list(stored(session)) == ["a"]


def test_a_value_longer_than_its_column_is_refused_not_cut(pg_schema_url):
    engine = create_engine(pg_schema_url("bulk"))
    metadata.create_all(engine)
    with Session(engine) as session, pytest.raises(DataError):
        insert_rows(session, things, [thing("a", code="x" * 17)])
    engine.dispose()


def test_no_rows_is_no_statement(session):
    insert_rows(session, things, [])
    session.commit()

    assert stored(session) == {}


def test_text_that_looks_like_sql_or_arrays_is_stored_as_given(session):
    awkward = ["{a,b}", "NULL", "it's", 'say "hi"', "back\\slash", "", "ünïcødé"]
    insert_rows(session, things, [thing(str(n), code=None, document=value) | {"id": value or "empty"}
                                  for n, value in enumerate(awkward)])
    session.commit()

    assert {key: row["document"] for key, row in stored(session).items()} == {
        value or "empty": value for value in awkward}


def test_update_rows_sets_each_rows_values_on_its_stored_row_alone_and_counts_them(session):
    insert_rows(session, things, [thing("a"), thing("b"), thing("c")])
    updated = update_rows(session, things, [
        {"id": "a", "flag": False, "document": {"z": [2]}, "code": None, "at": None},
        {"id": "c", "flag": None, "document": [], "code": "new", "at": WHEN},
        {"id": "nobody", "flag": True, "document": None, "code": "x", "at": None}], key="id")
    session.commit()

    assert updated == 2
    assert stored(session) == {"a": thing("a", flag=False, document={"z": [2]}, code=None, at=None), "b": thing("b"),
                               "c": thing("c", flag=None, document=[], code="new")}


def test_update_rows_refuses_a_value_longer_than_its_column(pg_schema_url):
    engine = create_engine(pg_schema_url("bulk"))
    metadata.create_all(engine)
    with Session(engine) as session:
        insert_rows(session, things, [thing("a")])
        with pytest.raises(DataError):
            update_rows(session, things, [{"id": "a", "code": "x" * 17}], key="id")
    engine.dispose()

"""read_one_snapshot: a page and its count read in one transaction agree even when another connection
commits between them (PostgreSQL's READ COMMITTED and pysqlite's untransacted SELECTs would not)."""
import pytest
from sqlalchemy import Column, Integer, Table, func, insert, select
from sqlalchemy.orm import Session

from shared.db import make_engine, new_metadata, read_one_snapshot

metadata = new_metadata()
rows = Table("snapshot_rows", metadata, Column("id", Integer, primary_key=True))


def counts_around_a_commit(engine, *, snapshot: bool) -> tuple[int, int]:
    metadata.create_all(engine)
    with Session(engine) as reader, Session(engine) as writer:
        with reader.begin():
            if snapshot:
                read_one_snapshot(reader)
            before = reader.execute(select(func.count()).select_from(rows)).scalar()
            with writer.begin():
                writer.execute(insert(rows).values(id=1))
            after = reader.execute(select(func.count()).select_from(rows)).scalar()
    engine.dispose()
    return before, after


@pytest.mark.postgres
def test_postgres_reads_stay_on_the_first_snapshot(pg_schema_url):
    assert counts_around_a_commit(make_engine(pg_schema_url("snap")), snapshot=True) == (0, 0)


@pytest.mark.postgres
def test_postgres_without_it_the_second_read_sees_the_commit(pg_schema_url):
    assert counts_around_a_commit(make_engine(pg_schema_url("plain")), snapshot=False) == (0, 1)


def test_sqlite_reads_stay_on_the_first_snapshot(tmp_path):
    assert counts_around_a_commit(make_engine(f"sqlite:///{tmp_path / 'snap.db'}"), snapshot=True) == (0, 0)


def test_sqlite_without_it_the_second_read_sees_the_commit(tmp_path):
    assert counts_around_a_commit(make_engine(f"sqlite:///{tmp_path / 'plain.db'}"), snapshot=False) == (0, 1)

"""baseline_copy_rows_per_s: raw psycopg2 COPY of directory-people-shaped rows.

A scratch database is created, the rows are copied into a temp table there,
and the database is dropped at the end. Only the COPY is timed; the CSV text
is built beforehand.
"""
from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2

from bench.context import PG_DSN, Context, pg_dsn
from bench.report import Row

# The columns of directory's `people` table (services/directory/adapters/tables.py).
PEOPLE_DDL = """
CREATE TEMP TABLE people (
    id varchar(32) PRIMARY KEY,
    district_id varchar(32) NOT NULL,
    source_id text,
    given_name text NOT NULL,
    family_name text NOT NULL,
    middle_name text,
    given_name_key text NOT NULL,
    family_name_key text NOT NULL,
    is_student boolean NOT NULL DEFAULT false,
    is_staff boolean NOT NULL DEFAULT false,
    is_guardian boolean NOT NULL DEFAULT false,
    grade text,
    job_title text,
    identifier text,
    archived boolean NOT NULL DEFAULT false,
    student_account_enabled boolean NOT NULL DEFAULT false,
    joined boolean NOT NULL DEFAULT false,
    managed_by_sync boolean NOT NULL DEFAULT false,
    UNIQUE (district_id, source_id)
)
"""
COLUMNS = ("id", "district_id", "source_id", "given_name", "family_name", "middle_name", "given_name_key",
           "family_name_key", "is_student", "is_staff", "is_guardian", "grade", "job_title", "identifier",
           "archived", "student_account_enabled", "joined", "managed_by_sync")
GIVEN = ("Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Aria", "Lucas")
FAMILY = ("Garcia", "Smith", "Nguyen", "Johnson", "Okafor", "Kowalski", "Haddad", "Lee")


def people_csv(count: int) -> io.StringIO:
    district = uuid.uuid4().hex
    out = io.StringIO()
    for n in range(count):
        given, family = GIVEN[n % len(GIVEN)], FAMILY[(n // 8) % len(FAMILY)]
        student = n % 3 == 0
        out.write(f"{uuid.uuid4().hex},{district},user-{n},{given},{family},,{given.lower()},{family.lower()},"
                  f"{'t' if student else 'f'},f,{'f' if student else 't'},{'5' if student else ''},,ID{n},"
                  f"f,f,f,t\n")
    out.seek(0)
    return out


@contextmanager
def scratch_database() -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(PG_DSN)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def run(ctx: Context) -> list[Row]:
    count = ctx.sizes.copy_rows
    data = people_csv(count)
    with scratch_database() as database:
        connection = psycopg2.connect(pg_dsn(database))
        try:
            with connection.cursor() as cursor:
                cursor.execute(PEOPLE_DDL)
                ctx.progress(f"COPY of {count:,} people rows into a temp table in {database}")
                started = time.perf_counter()
                cursor.copy_expert(f"COPY people ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", data)
                connection.commit()
                elapsed = time.perf_counter() - started
                if cursor.rowcount != count:
                    raise RuntimeError(f"COPY wrote {cursor.rowcount} rows, not {count}")
        finally:
            connection.close()
    return [Row("baseline_copy_rows_per_s", count / elapsed, "rows/s")]

"""Many rows in one statement: on PostgreSQL an INSERT ... SELECT (or an UPDATE ... FROM) unnest() of one array
per column.

SQLAlchemy's executemany of a page builds, compiles and binds a parameter dict per row (and psycopg2 quotes
each value into a multi-row VALUES list the server parses anew): in a sync that was most of every service's
CPU. Here a page is one parameter per column, a list psycopg2 adapts as an array in C, and the statement is
the same for every page (compiled once, cached). On SQLite, whose executemany is fast, the page goes through
the ordinary INSERT, so both back ends keep the same ON CONFLICT behaviour.

    insert_rows(session, table, rows)                                   # plain INSERT
    insert_rows(session, table, rows, conflict=("person_id",))          # ... ON CONFLICT DO NOTHING
    insert_rows(session, table, rows, conflict=("person_id",), replace=("given_name", ...))   # DO UPDATE
    update_rows(session, table, rows, key="id")     # each row's other columns set on the stored row of its id

Every row carries the same keys (the first row's name the columns).
"""
from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence

from sqlalchemy import ARRAY, JSON, String, Table, Text, bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from shared.db import dialect_insert


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping], *, conflict: Sequence[str] = (),
                replace: Sequence[str] = ()) -> int:
    """Insert `rows` into `table` in the session's transaction; with `conflict` (the unique columns), a row
    that is there already is left alone, or given the incoming values of the `replace` columns. Returns the
    driver's count of rows written (a row left alone is not counted; -1 where the driver cannot tell)."""
    if not rows:
        return 0
    columns = tuple(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        statement = _unnest_insert(table, columns, tuple(conflict), tuple(replace))
        result = session.execute(statement, {_parameter(name): _column_values(table, name, rows) for name in columns})
    else:
        result = session.execute(_on_conflict(dialect_insert(session, table), conflict, replace), rows)
    return result.rowcount


def update_rows(session: Session, table: Table, rows: Sequence[Mapping], *, key: str) -> int:
    """Set each row's values on the stored row whose `key` column equals the row's, in the session's
    transaction; how many stored rows were updated. On PostgreSQL one UPDATE ... FROM unnest() for the page: an
    executemany sends an UPDATE per row, and each fires the table's statement triggers again."""
    if not rows:
        return 0
    columns = tuple(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        statement = _unnest_update(table, columns, key)
        result = session.execute(statement, {_parameter(name): _column_values(table, name, rows) for name in columns})
        return result.rowcount
    statement = (update(table).where(table.c[key] == bindparam(_parameter(key)))
                 .values({name: bindparam(_parameter(name)) for name in columns if name != key}))
    result = session.connection().execute(statement, [{_parameter(name): row[name] for name in columns}
                                                      for row in rows])
    return result.rowcount


def _on_conflict(statement, conflict: Sequence[str], replace: Sequence[str]):
    if not conflict:
        return statement
    if not replace:
        return statement.on_conflict_do_nothing(index_elements=list(conflict))
    return statement.on_conflict_do_update(index_elements=list(conflict),
                                           set_={name: statement.excluded[name] for name in replace})


@functools.cache
def _unnest_insert(table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], replace: tuple[str, ...]):
    # psycopg2's ARRAY binding names each array's type (`%(each_x)s::TEXT[]`), so even an all-NULL or empty
    # page unnests to the column's type.
    unnested = _unnested(table, columns)
    selected = select(*(_typed(table, unnested, name) for name in columns))
    return _on_conflict(postgresql.insert(table).from_select(list(columns), selected), conflict, replace)


def _unnested(table: Table, columns: tuple[str, ...]):
    arrays = [bindparam(_parameter(name), type_=ARRAY(_carried_as(table.c[name].type))) for name in columns]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def _typed(table: Table, unnested, name: str):
    return cast(unnested.c[name], table.c[name].type) if _is_json(table.c[name].type) else unnested.c[name]


@functools.cache
def _unnest_update(table: Table, columns: tuple[str, ...], key: str):
    unnested = _unnested(table, columns)
    return (update(table).where(table.c[key] == unnested.c[key])
            .values({name: _typed(table, unnested, name) for name in columns if name != key}))


def _column_values(table: Table, name: str, rows: Sequence[Mapping]) -> list:
    if _is_json(table.c[name].type):
        # A JSON document travels as its text, parsed by the server: an array of lists would be taken for a
        # multidimensional array.
        return [None if row[name] is None else json.dumps(row[name]) for row in rows]
    return [row[name] for row in rows]


def _carried_as(column_type):
    # Text for a bounded string too: a cast to VARCHAR(n)[] would cut an over-long value silently, where the
    # INSERT refuses it, as an executemany would.
    if _is_json(column_type) or (isinstance(column_type, String) and column_type.length is not None):
        return Text()
    return column_type


def _is_json(column_type) -> bool:
    return isinstance(column_type, JSON) or (isinstance(column_type, TypeDecorator)
                                             and isinstance(column_type.impl_instance, JSON))


def _parameter(name: str) -> str:
    return f"each_{name}"

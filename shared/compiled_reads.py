"""A hot read run straight on psycopg2's cursor, its SQL compiled once per kept statement.

A directory search runs one kept statement (services/directory/adapters/search_sql.py) a few hundred times a
second. SQLAlchemy's execution of it, with its SQL already in the compiled cache, still cost about a tenth of
the directory's CPU per search (2026-12-06, py-spy at 50 clients): the session's execute, the cache key's
lookup, an execution context, parameters constructed, a result and its rows. Here the statement is compiled
once, with its expanding parameters (`IN` lists) rendered for the values it was built with, and each run
sends that same SQL and those same values through psycopg2, prepared as shared/prepared_statements.py would
prepare it, and reads the rows as dicts.

Nothing else changes: the same SQL and values, on the session's own connection (so its transaction, or
read_without_transaction's autocommit, is the one the statement runs in); a database error is raised as
SQLAlchemy raises it, its values hidden, and a lost connection is invalidated as SQLAlchemy would, so the pool
replaces it. A statement with a type that converts values on the way in or out, or run on any other driver,
is executed by SQLAlchemy as before.
"""
from __future__ import annotations

import weakref
from collections.abc import Mapping

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from shared import prepared_statements


class _Compiled:
    """One statement's SQL and the values it was built with (its expanding parameters among them)."""

    def __init__(self, sql: str, built_with: dict) -> None:
        self.sql = sql
        self.built_with = built_with


# Each kept statement's compiled form, by statement (None: SQLAlchemy runs it); gone with the statement.
_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NOT_YET = object()


def read_dicts(session: Session, statement: Select, values: Mapping) -> list[dict]:
    """`statement`'s rows, each a dict of its own keyed by its columns' names, run with `values`.

    For statements built once and run many times with values of the same names (the values of every other
    parameter are those the statement was built with). On psycopg2 it runs on the cursor (the module's
    docstring); elsewhere, or for a statement that needs SQLAlchemy's conversions, through the session."""
    engine = session.get_bind()
    compiled = _compiled_for(statement, engine.dialect, values) if engine.dialect.driver == "psycopg2" else None
    if compiled is None:
        result = session.execute(statement, values)
        keys = tuple(result.keys())
        return [dict(zip(keys, row)) for row in result]
    parameters = {**compiled.built_with, **values}
    connection = session.connection()
    pooled = connection.connection
    sql = compiled.sql
    if statement.get_execution_options().get(prepared_statements.PREPARED):
        sql, pending = prepared_statements.as_prepared(pooled.info, sql, parameters)
    else:
        pending = None
    dbapi_connection = pooled.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql, parameters)
        names = tuple(column[0] for column in cursor.description)
        rows = cursor.fetchall()
    except engine.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy_error(error, connection, dbapi_connection, cursor, sql) from error
    except BaseException as error:
        if not isinstance(error, Exception):  # a timeout or exit mid-statement: SQLAlchemy drops the connection too
            connection.invalidate(error)
        raise
    finally:
        cursor.close()
    prepared_statements.count_as_prepared(pooled.info, pending)
    return [dict(zip(names, row)) for row in rows]


def _compiled_for(statement: Select, dialect: Dialect, values: Mapping) -> _Compiled | None:
    kept = _compiled.get(statement, _NOT_YET)
    if kept is not _NOT_YET:
        return kept
    compiled = statement.compile(dialect=dialect)
    converts = any(bind.type.bind_processor(dialect) is not None for bind in compiled.binds.values()) or any(
        column.type.result_processor(dialect, None) is not None for column in statement.selected_columns)
    if converts:
        kept = None
    else:
        expanded = compiled.construct_expanded_state(dict(values))
        kept = _Compiled(expanded.statement, {name: value for name, value in expanded.parameters.items()
                                              if name not in values})
    _compiled[statement] = kept
    return kept


def _as_sqlalchemy_error(error: Exception, connection, dbapi_connection, cursor, sql: str) -> exc.DBAPIError:
    """The error as SQLAlchemy would raise it from an execute; a connection the server lost is invalidated."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return exc.DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                   connection_invalidated=lost, dialect=dialect)

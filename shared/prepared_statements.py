"""Server-side prepared statements for the statements a service runs over and over (psycopg2 prepares none).

A small search spends most of PostgreSQL's CPU on parsing and planning its statement (1.6 to 2.4 KB of SQL),
not on running it. A statement executed with the execution option PREPARED is PREPAREd on its connection the
first time that connection meets its SQL text, and EXECUTEd by name from then on; PostgreSQL's plan cache then
decides, as it does for any prepared statement, whether a generic plan serves as well as a fresh one
(`plan_cache_mode`). Nothing else changes: SQLAlchemy compiles, executes and reads the rows as before, and
psycopg2 still writes every value into the EXECUTE as the literal it would have put in the statement.

Each connection keeps its own names (`MAX_PER_CONNECTION`, the least recently used deallocated first) in
the pool's record of it, which the pool empties when it opens a new connection in its place. A statement is
counted as prepared only once its first execution succeeded, and each PREPARE takes a name never used on that
connection before, so a failed one leaves nothing that a later PREPARE could collide with.
"""
from __future__ import annotations

import functools
import itertools
import re
import weakref
from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.engine import Engine

# The execution option that asks for it: `statement.execution_options(prepared=True)`.
PREPARED = "prepared"
# Prepared statements kept per connection: each holds its plans in the backend's memory (a directory search's,
# about 175 KB: 2.8 MB a connection at most, 84 MB for a pool of 30).
MAX_PER_CONNECTION = 16
_INFO_KEY = "prepared_statements"
# Execution contexts whose statement PREPAREs: (key, name), counted once the execution succeeded.
_pending: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# psycopg2's pyformat placeholders, and its escaped percent sign (left as it is: psycopg2 reads it).
_PLACEHOLDER = re.compile(r"%%|%\(([^)]+)\)s")
# How each value psycopg2 writes as a literal is declared to PREPARE; any other kind of value is executed plainly.
_TYPES = {bool: "boolean", int: "bigint", str: "text"}


def install(engine: Engine) -> Engine:
    """Let statements executed with PREPARED on this engine run prepared (psycopg2 only; elsewhere a no-op)."""
    if engine.dialect.driver == "psycopg2":
        event.listen(engine, "before_cursor_execute", _prepared_statement, retval=True)
        event.listen(engine, "after_cursor_execute", _count_as_prepared)
    return engine


class _Prepared:
    """The statements prepared on one connection: (SQL, parameter types) -> name, least recently used first."""

    def __init__(self) -> None:
        self.names: OrderedDict[tuple, str] = OrderedDict()
        self.numbers = itertools.count(1)


def _prepared_statement(conn, cursor, statement, parameters, context, executemany):
    if executemany or context is None or not context.execution_options.get(PREPARED):
        return statement, parameters
    if not isinstance(parameters, dict) or "$" in statement:  # a $ of its own would read as a parameter
        return statement, parameters
    body, names = _numbered(statement)
    types = tuple(_TYPES.get(type(parameters.get(name))) for name in names)
    if None in types:  # a value whose type this module does not declare: run the statement as it is
        return statement, parameters
    prepared = _prepared_on(conn)
    key = (statement, types)
    execute = _execute_clause(names)
    known = prepared.names.get(key)
    if known is not None:
        prepared.names.move_to_end(key)
        return f"EXECUTE {known}{execute}", parameters
    name = f"prepared_{next(prepared.numbers)}"
    steps = []
    if len(prepared.names) >= MAX_PER_CONNECTION:
        _, oldest = prepared.names.popitem(last=False)
        steps.append(f"DEALLOCATE {oldest}")
    declared = f" ({', '.join(types)})" if types else ""
    steps += [f"PREPARE {name}{declared} AS {body}", f"EXECUTE {name}{execute}"]
    _pending[context] = (key, name)
    return ";\n".join(steps), parameters


def _count_as_prepared(conn, cursor, statement, parameters, context, executemany):
    pending = _pending.pop(context, None) if context is not None else None
    if pending is not None:
        key, name = pending
        _prepared_on(conn).names[key] = name


def _prepared_on(conn) -> _Prepared:
    """The statements prepared on the connection, kept in the pool's record of it."""
    prepared = conn.info.get(_INFO_KEY)
    if prepared is None:
        prepared = conn.info[_INFO_KEY] = _Prepared()
    return prepared


@functools.lru_cache(maxsize=1024)
def _numbered(statement: str) -> tuple[str, tuple[str, ...]]:
    """The statement with each named placeholder as $1, $2, ... (one number per name), and the names in order."""
    names: dict[str, int] = {}

    def number(found: re.Match) -> str:
        if found.group(1) is None:
            return found.group(0)
        return f"${names.setdefault(found.group(1), len(names) + 1)}"

    body = _PLACEHOLDER.sub(number, statement)
    return body, tuple(names)


@functools.lru_cache(maxsize=1024)
def _execute_clause(names: tuple[str, ...]) -> str:
    return f" ({', '.join(f'%({name})s' for name in names)})" if names else ""

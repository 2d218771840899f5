"""Holding an answer to its route's response schema: the schema is the allow-list of what may be said."""
from __future__ import annotations

from marshmallow import Schema, fields


def undeclared_keys(schema: type[Schema] | Schema, data, path: str = "") -> set[str]:
    """Keys of `data` its response schema does not declare, at every depth (dotted paths)."""
    schema = schema() if isinstance(schema, type) else schema
    if not isinstance(data, dict):
        return set()
    declared = {f.data_key or name: f for name, f in schema.dump_fields.items()}
    found = set()
    for key, value in data.items():
        if key not in declared:
            found.add(f"{path}{key}")
            continue
        found |= _undeclared_in_field(declared[key], value, f"{path}{key}.")
    return found


def _undeclared_in_field(field_, value, path: str) -> set[str]:
    if isinstance(field_, fields.Nested) and value is not None:
        values = value if isinstance(value, list) else [value]
        return set().union(*(undeclared_keys(field_.schema, v, path) for v in values))
    if isinstance(field_, fields.List) and isinstance(value, list):
        return set().union(set(), *(_undeclared_in_field(field_.inner, v, path) for v in value))
    return set()


def all_keys(data) -> set[str]:
    if isinstance(data, dict):
        return set(data) | set().union(set(), *(all_keys(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(set(), *(all_keys(v) for v in data))
    return set()

"""A faster path through marshmallow for the plain JSON that crosses the wire, with marshmallow as the judge.

A roster import moves pages of 1,000-5,000 rows of strings, booleans and lists
through `Schema.load` three times (the caller's check, the receiver's load,
the event's load), and marshmallow's generic machinery costs ~50 us per row
per pass. `compile_loader` turns a schema made only of String, Boolean,
Integer, List and Nested fields (no hooks, no data_key, no field pre/post-load)
into one function that accepts exactly the values marshmallow would pass
through unchanged: a str for a String, True/False for a Boolean, an int for an
Integer, a list for a List, a dict without unknown keys for a Nested. It fills
load defaults and runs every field's validators, as marshmallow does.

Anything else (a missing required field, a None where none is allowed, a
value marshmallow would coerce such as "true" or a tuple, a failed validator,
an unknown key) raises `NotPlain`, and the caller loads the payload with
marshmallow itself: the refusal, its fields and its reasons, and every
coercion, are always marshmallow's own. The fast path only ever returns what
marshmallow would have returned.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, fields, missing
from marshmallow.decorators import POST_DUMP, POST_LOAD, PRE_DUMP, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

Loader = Callable[[Any], Any]


class NotPlain(Exception):
    """The payload needs marshmallow itself: to coerce a value, or to say what is wrong with it."""


class Unsupported(Exception):
    """The schema uses something the fast path does not reproduce; marshmallow loads it, always."""


_NOT_PLAIN = NotPlain()
_LOAD_HOOKS = (PRE_LOAD, POST_LOAD, VALIDATES, VALIDATES_SCHEMA)


def compile_loader(schema: Schema) -> Loader | None:
    """A function that loads what marshmallow would load unchanged, or None when the schema is not plain."""
    try:
        return _schema_loader(schema)
    except Unsupported:
        return None


def dumps_as_loaded(schema: Schema) -> bool:
    """True when `schema.dump(loaded)` is `loaded` again for anything the fast path loads.

    So a payload loaded (validated) on the way out needs no dump after it: every field loads and dumps
    the same JSON-native value, no field is load-only or dump-only, none has a dump default, and no
    dump hook changes the result.
    """
    try:
        _check_dump_identity(schema)
    except Unsupported:
        return False
    return True


def _schema_loader(schema: Schema) -> Loader:
    # `exclude` is taken: marshmallow leaves excluded fields out of load_fields, and refuses them as unknown.
    if schema.many or schema.partial or schema.only is not None:
        raise Unsupported("schema options")
    if any(schema._hooks[hook] for hook in _LOAD_HOOKS):
        raise Unsupported("load hooks")
    if schema.unknown not in (RAISE, EXCLUDE) or schema.dict_class is not dict:
        raise Unsupported("schema options")
    plan = tuple((name, field.required, field.load_default, field.allow_none, _value_loader(field),
                  tuple(field.validators))
                 for name, field in schema.load_fields.items())
    known = frozenset(schema.load_fields)
    refuse_unknown = schema.unknown == RAISE

    def load(data: Any) -> dict:
        if type(data) is not dict or (refuse_unknown and not known.issuperset(data)):
            raise _NOT_PLAIN
        out = {}
        for name, required, default, allow_none, value_loader, validators in plan:
            value = data.get(name, missing)
            if value is missing:
                if required:
                    raise _NOT_PLAIN
                if default is not missing:
                    out[name] = default() if callable(default) else default
                continue
            if value is None:
                if not allow_none:
                    raise _NOT_PLAIN
                out[name] = None
                continue
            value = value_loader(value)
            for validator in validators:
                if validator(value) is False:
                    raise _NOT_PLAIN
            out[name] = value
        return out

    return load


def _value_loader(field: fields.Field) -> Loader:
    """Loads a value that is not None and not missing, as the field's `_deserialize` would leave it."""
    if field.pre_load or field.post_load or field.data_key is not None or field.attribute is not None:
        raise Unsupported("field options")
    scalar = _scalar_type(field)
    if scalar is not None:
        return _plain(scalar)
    kind = type(field)
    if kind is fields.List:
        return _list_loader(field.inner)
    if kind is fields.Nested:
        if field.many or field.unknown is not None or field.only is not None or field.exclude:
            raise Unsupported("nested options")
        return _schema_loader(field.schema)
    raise Unsupported(f"{kind.__name__} fields")


_SCALARS = {fields.String: str, fields.Integer: int, fields.Boolean: bool}


def _scalar_type(field: fields.Field) -> type | None:
    """The one Python type a String, Integer or Boolean field passes through unchanged; None for other fields."""
    if type(field) is fields.Boolean and (field.truthy is not fields.Boolean.truthy
                                          or field.falsy is not fields.Boolean.falsy):
        raise Unsupported("custom truthy or falsy values")
    return _SCALARS.get(type(field))


def _plain(python_type: type) -> Loader:
    def load(value):
        if type(value) is not python_type:
            raise _NOT_PLAIN
        return value

    return load


def _only_strings(items) -> None:
    """NotPlain unless every item (a list's values, a dict's keys) is a str itself."""
    for item in items:
        if type(item) is not str:
            raise _NOT_PLAIN


def _list_loader(inner: fields.Field) -> Loader:
    # Each item goes through the inner field's whole deserialize: missing is impossible, None checked.
    allow_none, validators = inner.allow_none, tuple(inner.validators)
    item_loader = _value_loader(inner)
    if type(inner) is fields.String and not validators:
        def load_strings(value):
            if type(value) is not list:
                raise _NOT_PLAIN
            _only_strings(value)
            return list(value)

        return load_strings

    def load(value):
        if type(value) is not list:
            raise _NOT_PLAIN
        out = []
        for item in value:
            if item is None:
                if not allow_none:
                    raise _NOT_PLAIN
                out.append(None)
                continue
            item = item_loader(item)
            for validator in validators:
                if validator(item) is False:
                    raise _NOT_PLAIN
            out.append(item)
        return out

    return load


def _check_dump_identity(schema: Schema) -> None:
    _schema_loader(schema)  # everything it loads is plain JSON
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        raise Unsupported("dump hooks")
    if set(schema.load_fields) != set(schema.dump_fields):
        raise Unsupported("load-only or dump-only fields")
    for field in schema.dump_fields.values():
        _check_field_dump_identity(field)


def _check_field_dump_identity(field: fields.Field) -> None:
    if field.dump_default is not missing or field.load_only or field.dump_only:
        raise Unsupported("dump defaults")
    if type(field) is fields.Integer and field.as_string:
        raise Unsupported("integers dumped as strings")
    if type(field) is fields.List:
        _check_field_dump_identity(field.inner)
    elif type(field) is fields.Nested:
        _check_dump_identity(field.schema)


# --- dumping ------------------------------------------------------------------------------------------------
#
# An RPC answer is dumped through its response schema on its way out. For a page of rows that is marshmallow's
# generic machinery per field per row (a tenth of the directory's CPU per search). `compile_dumper` gives what
# `schema.dump(data)` gives when every value is already the plain JSON its field dumps unchanged: a dict with
# each dump field's value that is present, in the schema's order, keys the schema does not know left out.
# A missing key is left out, as marshmallow leaves it out (unless a dict has an attribute of that name, such as
# `items`, which marshmallow would find). A value of another type (an int for a String, a tuple for a List, 1 for
# a Boolean, an object for a Nested) raises NotPlain, and marshmallow dumps it: marshmallow's answer stays the only
# answer.

Dumper = Callable[[Any], Any]


def compile_dumper(schema: Schema) -> Dumper | None:
    """A function that dumps what marshmallow would dump unchanged, or None when the schema is not plain."""
    try:
        return _schema_dumper(schema)
    except Unsupported:
        return None


def _schema_dumper(schema: Schema) -> Dumper:
    if schema.many or schema.only is not None or schema.exclude or schema.dict_class is not dict:
        raise Unsupported("schema options")
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        raise Unsupported("dump hooks")
    if type(schema).get_attribute is not Schema.get_attribute:
        raise Unsupported("a schema's own attribute lookup")
    # marshmallow looks a missing key up as an attribute too: a dict's `items` is its method, which only
    # marshmallow can judge; any other missing key is left out of the dump, as marshmallow leaves it out.
    plan = tuple((name, _value_dumper(field), hasattr(dict, name)) for name, field in schema.dump_fields.items())

    def dump(data: Any) -> dict:
        if type(data) is not dict:
            raise _NOT_PLAIN
        out = {}
        for name, value_dumper, a_dict_attribute in plan:
            value = data.get(name, missing)
            if value is missing:
                if a_dict_attribute:
                    raise _NOT_PLAIN
                continue
            out[name] = None if value is None else value_dumper(value)
        return out

    return dump


def _value_dumper(field: fields.Field) -> Dumper:
    """Dumps a value that is not None, as the field's `_serialize` would: itself, for a plain one."""
    if field.data_key is not None or field.attribute is not None or field.dump_default is not missing:
        raise Unsupported("field options")
    if type(field) is fields.Integer and field.as_string:
        raise Unsupported("integers dumped as strings")
    scalar = _scalar_type(field)
    if scalar is not None:
        return _plain(scalar)
    kind = type(field)
    if kind is fields.Float and not field.as_string:
        return _plain(float)  # marshmallow dumps float(value): a float itself
    if kind is fields.List:
        return _list_dumper(field.inner)
    if kind is fields.Nested:
        if field.many or field.only is not None or field.exclude:
            raise Unsupported("nested options")
        return _schema_dumper(field.schema)
    if kind is fields.Dict:
        return _dict_dumper(field)
    if isinstance(field, fields.DateTime):
        return _datetime_dumper(field)
    raise Unsupported(f"{kind.__name__} fields")


def _dict_dumper(field: fields.Dict) -> Dumper:
    # marshmallow dumps each key and value through the key and value fields' `_serialize`; plain str keys.
    if field.key_field is not None and type(field.key_field) is not fields.String:
        raise Unsupported("dict keys other than strings")
    value_dumper = _value_dumper(field.value_field) if field.value_field is not None else None

    def dump(value):
        if type(value) is not dict:
            raise _NOT_PLAIN
        _only_strings(value)
        if value_dumper is None:
            return dict(value)
        return {key: None if item is None else value_dumper(item) for key, item in value.items()}

    return dump


def _datetime_dumper(field: fields.DateTime) -> Dumper:
    # A moment is never plain JSON: the field's own `_serialize` writes it, as marshmallow calls it with the
    # value (DateTime and its subclasses here read neither the attribute's name nor the object).
    def dump(value):
        if not isinstance(value, datetime):
            raise _NOT_PLAIN
        return field._serialize(value, None, None)

    return dump


def _list_dumper(inner: fields.Field) -> Dumper:
    # marshmallow dumps each item through the inner field's `_serialize`: no attribute lookup, None stays None.
    item_dumper = _value_dumper(inner)
    if type(inner) is fields.String:
        def dump_strings(value):
            if type(value) is not list:
                raise _NOT_PLAIN
            for item in value:
                if type(item) is not str and item is not None:
                    raise _NOT_PLAIN
            return list(value)

        return dump_strings

    def dump(value):
        if type(value) is not list:
            raise _NOT_PLAIN
        return [None if item is None else item_dumper(item) for item in value]

    return dump

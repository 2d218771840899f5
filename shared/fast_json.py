"""JSON written by orjson wherever it writes what the standard library writes, by the standard library otherwise.

A search's page of 25 people is about 7 KB of JSON, written three times on its way: the directory's reply
(written twice by nameko, once here: shared/rpc_replies.py) and the gateway's HTTP answer. The standard library
takes about 50 us to write it (kombu's writer is the standard library's), orjson about 4.

`dumps`: orjson for JSON's own types (str, int, float, bool, None, dicts with str keys, lists, tuples). A
datetime, a dataclass, a subclass of str, int, float, dict or list, a Decimal, bytes, an int beyond 64 bits, a
key that is not a str: `fallback` (the standard library's or kombu's writer) writes the whole value, as before;
an Enum of str or int orjson writes as its value, as the standard library does. orjson writes no spaces after
`,` and `:`, non-ASCII text as UTF-8 rather than `\\u` escapes, and a float in its shortest form: the same JSON
to any reader. Where the two still differ, the standard library wrote what no JSON reader takes (NaN,
Infinity: orjson writes null) or refused to write (a uuid.UUID, an Enum of neither str nor int: orjson
writes its value).

`loads_like_kombu`: what kombu's `json` serializer reads, through orjson where it reads the same. kombu reads
with the standard library and a hook that turns `{"__type__": ..., "__value__": ...}` into a typed value; orjson
reads an integer beyond 64 bits as a float, and refuses NaN, Infinity and numbers beyond a double's range. So a
text goes to kombu's reader whenever it could hold any of these: the name `__value__` (written out, or as a
`\\u` escape: any escape sends it there), a run of 19 or more digits, or anything orjson refuses. A search's
page of 25 people (about 6 KB): kombu's reader about 70 us, orjson with the checks about 40. A str (what py-amqp
hands kombu: it decodes every body) is read as its UTF-8 bytes, the same checks on them.
`install_kombu_reader()` makes it kombu's reader of `application/json` in this process.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from kombu.serialization import registry
from kombu.utils import json as kombu_json

JSON_CONTENT_TYPE = "application/json"
UTF8 = "utf-8"
# Left to `default` (which refuses them, so `fallback` writes them): what orjson would write otherwise than the
# standard library, kombu's writer included.
_PASSED_ON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
# Digits become 0, so that a run of digits is found by one substring search; 19 digits can be beyond 64 bits.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONGEST_SAFE_DIGITS = b"0" * 19
# What kombu's reader may read otherwise than orjson: its typed values' name and any escape (which can spell it).
_KOMBU_TYPED_VALUE, _ESCAPE = b"__value__", b"\\u"


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is written by the standard library")


def dumps(value: Any, fallback: Callable[[Any], str | bytes]) -> bytes:
    """`value` as UTF-8 JSON: orjson's for JSON's own types, `fallback(value)` (encoded) for anything else."""
    try:
        return orjson.dumps(value, default=_refuse, option=_PASSED_ON)
    except orjson.JSONEncodeError:
        written = fallback(value)
        return written.encode(UTF8) if isinstance(written, str) else written


def dumps_like_kombu(value: Any) -> bytes:
    """What kombu's `json` serializer writes (its typed values included), through orjson for JSON's own types."""
    return dumps(value, kombu_json.dumps)


def loads_like_kombu(data: Any) -> Any:
    """What kombu's `json` serializer reads from `data`, through orjson where it reads the same (the module's
    docstring); a failure is kombu's own."""
    text = _utf8_of(data)
    if text is not None and not _read_by_kombu_only(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # kombu reads it, or raises its own error
    return kombu_json.loads(data)


def _utf8_of(data: Any) -> bytes | None:
    """`data` as UTF-8 bytes; None when it is neither bytes nor a str that encodes (a lone surrogate). A message
    consumed over py-amqp arrives as a str: its channels decode every body by its content encoding before kombu
    sees it, so a reader of bytes alone never saw a service's messages."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        try:
            return data.encode(UTF8)
        except UnicodeEncodeError:
            return None
    return None


def _read_by_kombu_only(data: bytes) -> bool:
    return (_ESCAPE in data or _KOMBU_TYPED_VALUE in data
            or _LONGEST_SAFE_DIGITS in data.translate(_DIGITS_AS_ZERO))


def install_kombu_reader() -> None:
    """kombu reads `application/json` in this process with `loads_like_kombu` (kombu's writer stays)."""
    registry.register("json", kombu_json.dumps, loads_like_kombu, content_type=JSON_CONTENT_TYPE,
                      content_encoding=UTF8)

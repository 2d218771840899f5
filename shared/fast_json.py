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

Reading stays kombu's and the standard library's: orjson reads an integer beyond 64 bits as a float, and telling
such a text apart costs about what orjson saves.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from kombu.utils import json as kombu_json

JSON_CONTENT_TYPE = "application/json"
UTF8 = "utf-8"
# Left to `default` (which refuses them, so `fallback` writes them): what orjson would write otherwise than the
# standard library, kombu's writer included.
_PASSED_ON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


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

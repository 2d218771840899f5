"""shared/fast_json.py: orjson writes what the standard library and kombu write, and they write the rest."""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kombu.utils import json as kombu_json

from shared import fast_json

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


class Colour(str, enum.Enum):
    RED = "red"


@dataclass
class Point:
    x: int


@given(JSON_VALUES)
def test_json_values_are_written_as_the_same_json_the_standard_library_and_kombu_write(value):
    written = fast_json.dumps(value, json.dumps)

    assert json.loads(written) == json.loads(json.dumps(value))
    assert kombu_json.loads(fast_json.dumps_like_kombu(value)) == kombu_json.loads(kombu_json.dumps(value))


@pytest.mark.parametrize("value", [
    {"at": datetime(2026, 12, 6, 20, 0, tzinfo=timezone.utc)}, {"on": date(2026, 12, 6)}, {"amount": Decimal("1.5")},
    {"raw": b"bytes"}, {"point": Point(1)}, {"big": 2**70}, {1: "an int key"},
    {"lone": "\ud800"}])
def test_what_orjson_would_write_otherwise_is_written_by_the_fallback_itself(value):
    assert _outcome(fast_json.dumps_like_kombu, value) == _outcome(lambda v: kombu_json.dumps(v).encode(), value)


def _outcome(write, value) -> object:
    """What `write(value)` wrote, or the type of what it raised."""
    try:
        return write(value)
    except Exception as refused:  # noqa: BLE001 - the refusal is the outcome compared
        return type(refused)


def test_an_enum_of_str_is_written_as_its_value_as_the_standard_library_writes_it():
    assert json.loads(fast_json.dumps_like_kombu({"colour": Colour.RED})) == json.loads(kombu_json.dumps(
        {"colour": Colour.RED})) == {"colour": "red"}


def test_what_the_fallback_refuses_stays_refused():
    with pytest.raises(TypeError):
        fast_json.dumps({"thing": object()}, json.dumps)


def test_non_ascii_text_is_written_as_utf8_and_reads_back_the_same():
    written = fast_json.dumps({"name": "Zoë Ōkafor"}, json.dumps)

    assert written == '{"name":"Zoë Ōkafor"}'.encode()
    assert json.loads(written) == {"name": "Zoë Ōkafor"}


# Everything JSON holds, ints of any size, NaN and the infinities included (kombu's writer writes them).
ANY_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
TYPED_VALUES = st.fixed_dictionaries({"__type__": st.sampled_from(["datetime", "date", "decimal", "uuid", "nope"]),
                                      "__value__": st.sampled_from(["2026-12-07T05:00:00", "2026-12-07", "1.5",
                                                                    "not a value"])})


def _read(read, data: bytes) -> object:
    """What `read(data)` read, written back by repr (so -0.0 and NaN compare), or the type of what it raised."""
    try:
        return repr(read(data))
    except Exception as refused:  # noqa: BLE001 - the refusal is the outcome compared
        return type(refused)


@given(ANY_JSON_VALUES | st.dictionaries(st.text(max_size=10), TYPED_VALUES, max_size=3))
def test_what_kombu_or_orjson_writes_is_read_as_kombu_reads_it(value):
    for written in (kombu_json.dumps(value).encode(), json.dumps(value, ensure_ascii=False).encode(),
                    _outcome(fast_json.dumps_like_kombu, value)):
        if isinstance(written, bytes):
            assert _read(fast_json.loads_like_kombu, written) == _read(kombu_json.loads, written)
            # py-amqp hands kombu a message's body decoded by its content encoding.
            text = written.decode("utf-8")
            assert _read(fast_json.loads_like_kombu, text) == _read(kombu_json.loads, text)


@given(st.binary(max_size=40) | st.lists(st.sampled_from(
    ['{', '}', '[', ']', ',', ':', '"', '\\u005f', '\\', '-', '0', '1', '9', '.', 'e', 'E', '+', 'NaN', 'Infinity',
     'true', 'null', ' ', '"__type__"', '"__value__"', '\ufeff', '\x01', 'é']), max_size=30).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")))
def test_any_bytes_are_read_or_refused_as_kombu_reads_or_refuses_them(data):
    assert _read(fast_json.loads_like_kombu, data) == _read(kombu_json.loads, data)
    text = data.decode("utf-8", "surrogatepass") if _decodes(data) else None
    if text is not None:  # as py-amqp hands it over, a lone surrogate included
        assert _read(fast_json.loads_like_kombu, text) == _read(kombu_json.loads, text)


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("data", [
    b'{"big": 18446744073709551616}', b'{"low": -9223372036854775809}', b'[NaN, Infinity, -Infinity]', b'1e400',
    b'{"at": {"__type__": "datetime", "__value__": "2026-12-07T05:00:00"}}',
    b'{"at": {"__type__": "datetime", "\\u005f_value__": "2026-12-07T05:00:00"}}', b'"\\ud800"', b'-0.0'])
def test_what_orjson_would_read_otherwise_is_read_by_kombu(data):
    assert _read(fast_json.loads_like_kombu, data) == _read(kombu_json.loads, data)
    text = data.decode("utf-8")
    assert _read(fast_json.loads_like_kombu, text) == _read(kombu_json.loads, text)


def test_a_message_body_py_amqp_decoded_is_read_by_orjson(monkeypatch):
    read_by_orjson, orjson_loads = [], orjson.loads
    monkeypatch.setattr(fast_json.orjson, "loads", lambda data: read_by_orjson.append(data) or orjson_loads(data))

    assert fast_json.loads_like_kombu('{"page": [1, 2.5, "Zoë"]}') == {"page": [1, 2.5, "Zoë"]}
    assert read_by_orjson == ['{"page": [1, 2.5, "Zoë"]}'.encode()]


def test_kombu_reads_json_messages_with_the_reader_once_installed():
    from kombu.serialization import registry

    fast_json.install_kombu_reader()

    assert registry.loads(b'{"page": [1, 2.5, "Zo\xc3\xab"]}', "application/json", "utf-8") == {
        "page": [1, 2.5, "Zoë"]}
    assert registry._decoders["application/json"] is fast_json.loads_like_kombu

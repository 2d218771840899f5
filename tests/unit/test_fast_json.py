"""shared/fast_json.py: orjson writes what the standard library and kombu write, and they write the rest."""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

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

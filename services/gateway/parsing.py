"""Turning query strings, path values and JSON bodies into validated dicts, with marshmallow naming each
refused field.

Before any endpoint's schema sees a request, the guards here refuse, for every route at once, what no
endpoint can use and what would fail deeper down instead of answering 400: text with a NUL or a lone
surrogate (PostgreSQL and UTF-8 encoders reject them), integers beyond 32 bits (page 2^63 overflows an
OFFSET), numbers that are not finite, and JSON nested deeper than any body needs.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from shared.contracts.base import load_with
from shared.contracts.errors import InvalidRequest

# The deepest body an endpoint takes is an audience in an announcement: a handful of levels.
MAX_DEPTH = 16
# Pages, limits and counts all fit in a PostgreSQL integer.
MAX_INTEGER = 2**31 - 1
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")


def query_values(args: Mapping[str, str]) -> dict[str, str]:
    """Query parameters as one value each; an empty value (`?kind=`) means the filter is not set."""
    return {name: value for name, value in args.items() if value != ""}


def checked_path(values: Mapping[str, str]) -> dict[str, str]:
    """The values the route's rule took from the path, refused like any other text they carry."""
    refuse_unusable(values, "path")
    return dict(values)


def json_body(raw: bytes) -> object:
    """The decoded body; an empty body reads as {} so marshmallow names each missing field."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        raise InvalidRequest("The request body is not UTF-8 JSON.", fields={"body": ["Not UTF-8."]}) from None
    except json.JSONDecodeError as error:
        raise InvalidRequest("The request body is not valid JSON.",
                             fields={"body": [f"{error.msg} at line {error.lineno} column {error.colno}."]}) from None
    except RecursionError:
        raise _too_deep("body") from None
    except ValueError as error:  # a constant or a number _refuse_constant and _finite_float turned away
        raise InvalidRequest("The request body has invalid fields.", fields={"body": [str(error)]}) from None


def load(schema: type[Schema], data: object, what: str) -> dict:
    """Validate with the endpoint's schema; `what` says which part of the request was refused."""
    refuse_unusable(data, what)
    try:
        loaded = load_with(schema, data)
    except ValidationError as error:
        raise InvalidRequest(f"The request {what} has invalid fields.", fields=error.normalized_messages()) from None
    refuse_unusable(loaded, what)  # a query's integers exist only once loaded
    return loaded


def refuse_unusable(value: Any, what: str) -> None:
    """InvalidRequest naming the first field (dotted path) whose text, number or nesting no endpoint takes."""
    pending: list[tuple[str, Any, int]] = [("", value, 0)]
    while pending:
        path, current, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(path or what)
        reason = _unusable(current)
        if reason:
            raise InvalidRequest(f"The request {what} has invalid fields.", fields={path or what: [reason]})
        if isinstance(current, Mapping):
            children = current.items()
        elif isinstance(current, (list, tuple)):
            children = enumerate(current)
        else:
            continue
        for key, child in children:
            name = safe_text(str(key))
            if _UNSAFE_TEXT.search(str(key)):
                raise InvalidRequest(f"The request {what} has invalid fields.",
                                     fields={_joined(path, name): ["Names may not contain NUL or lone surrogates."]})
            pending.append((_joined(path, name), child, depth + 1))


def safe_text(text: str) -> str:
    """`text` with each NUL or lone surrogate written as its escape, fit to quote back in an answer."""
    return _UNSAFE_TEXT.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _unusable(value: Any) -> str | None:
    if isinstance(value, str) and _UNSAFE_TEXT.search(value):
        return "Text may not contain NUL characters or lone surrogates."
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        return f"Must be between {-MAX_INTEGER} and {MAX_INTEGER}."
    if isinstance(value, float) and not math.isfinite(value):
        return "Must be a finite number."
    return None


def _joined(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _too_deep(where: str) -> InvalidRequest:
    return InvalidRequest("The request is nested too deeply.",
                          fields={where: [f"Nested deeper than {MAX_DEPTH} levels."]})


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large a number.")
    return number

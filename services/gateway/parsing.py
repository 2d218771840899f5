"""Turning query strings and JSON bodies into validated dicts, with marshmallow naming each refused field."""
from __future__ import annotations

import json
from collections.abc import Mapping

from marshmallow import Schema, ValidationError

from shared.contracts.errors import InvalidRequest


def query_values(args: Mapping[str, str]) -> dict[str, str]:
    """Query parameters as one value each; an empty value (`?kind=`) means the filter is not set."""
    return {name: value for name, value in args.items() if value != ""}


def json_body(raw: bytes) -> object:
    """The decoded body; an empty body reads as {} so marshmallow names each missing field."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidRequest("The request body is not UTF-8 JSON.", fields={"body": ["Not UTF-8."]}) from None
    except json.JSONDecodeError as error:
        raise InvalidRequest("The request body is not valid JSON.",
                             fields={"body": [f"{error.msg} at line {error.lineno} column {error.colno}."]}) from None


def load(schema: type[Schema], data: object, what: str) -> dict:
    """Validate with the endpoint's schema; `what` says which part of the request was refused."""
    try:
        return schema().load(data)
    except ValidationError as error:
        raise InvalidRequest(f"The request {what} has invalid fields.", fields=error.normalized_messages()) from None

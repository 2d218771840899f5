"""The one shape of every list the API answers: `items`, `total`, `page`, `per_page` and a `next` link.

A list route's response schema is made by `list_of`; the pipeline adds `next` (the same request for the
following page, or null on the last one), so handlers return the page and nothing about URLs.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

# Lists the gateway pages itself (a district's schools, its latest sync runs) are short.
MAX_PER_PAGE = 200


class ListPage(Schema):
    total = fields.Integer(required=True, metadata={"description": "items in the whole list", "example": 1})
    page = fields.Integer(required=True, metadata={"description": "this page's number, from 1", "example": 1})
    per_page = fields.Integer(required=True, metadata={"description": "items per page asked", "example": 25})
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "the path and query of the following page; null on the last page", "example": None})


def list_of(item: type[Schema], name: str, **more_fields: fields.Field) -> type[ListPage]:
    """The list schema of `item`s, named `name` in the OpenAPI document, with any fields the list adds."""
    return type(name, (ListPage,), {"items": fields.List(fields.Nested(item), required=True), **more_fields})


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def page_of(rows: Sequence, query: Mapping) -> dict:
    """One page of a list the gateway holds whole."""
    page, per_page = query["page"], query["per_page"]
    start = (page - 1) * per_page
    return {"items": list(rows[start:start + per_page]), "total": len(rows), "page": page, "per_page": per_page}


def as_list(answer: Mapping, rows: str) -> dict:
    """A service's page whose rows are under `rows`, with them under `items`."""
    return {**{name: value for name, value in answer.items() if name != rows}, "items": answer[rows]}


def with_next_link(answer: Mapping, request: Request) -> dict:
    """The page with `next`: this request's path and query, at the following page."""
    if answer["page"] * answer["per_page"] >= answer["total"]:
        return {**answer, "next": None}
    query = MultiDict(request.args)
    query["page"] = str(answer["page"] + 1)
    return {**answer, "next": f"{request.path}?{urlencode(list(query.items(multi=True)))}"}

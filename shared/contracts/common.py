"""Schemas more than one contract uses."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, validate

OUTCOMES = ("created", "updated", "unchanged", "failed")
# What a bulk action (archive, unarchive, remove guardians, ...) did to each item.
DONE, ALREADY, NOT_FOUND, REFUSED = "done", "already", "not_found", "refused"
ACTION_OUTCOMES = (DONE, ALREADY, REFUSED)
MAX_PAGE_ROWS = 5000


class Timestamp(fields.DateTime):
    """A moment, always written with its zone: one stored without (SQLite hands those back) is UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class Problem(Schema):
    """Why one field of one item was refused."""

    field = fields.String(required=True, metadata={
        "description": "the field of the item that was refused, as the request names it"})
    reason = fields.String(required=True, metadata={
        "description": "why it was refused, in words a school administrator can act on"})


class ItemResult(Schema):
    """The outcome for one item of a bulk call, keyed by the id the caller sent."""

    key = fields.String(required=True, metadata={
        "description": "the item as the caller named it: a sourcedId for a sync page, a person "
                       "or classroom id for an action (guardian:student for a guardian link)"})
    id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the platform's id of the record the item became or named; "
                       "null when there is none (a new item refused, an id not found)"})
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES + (
        "enabled", "already_enabled", "not_found", "forbidden", "not_a_student", "skipped") + ACTION_OUTCOMES),
        metadata={"description": "what became of the item: created, updated or unchanged (a sync page), done or "
                                 "already (an action), enabled or already_enabled (student accounts), skipped, "
                                 "or one of the refusals failed, refused, not_found, forbidden, not_a_student"})
    problems = fields.List(fields.Nested(Problem), load_default=list, metadata={
        "description": "each field of the item that was refused and why; empty when nothing was"})


class BulkResult(Schema):
    results = fields.List(fields.Nested(ItemResult), required=True, metadata={
        "description": "one result per item of the request, in the order sent"})


def page_of(schema: type[Schema], **kwargs) -> fields.List:
    """A list field bounded to one page of rows: bulk work moves in pages, never whole tables."""
    return fields.List(fields.Nested(schema), validate=validate.Length(max=MAX_PAGE_ROWS), **kwargs)


class Empty(Schema):
    pass


class RepublishDistrictRequest(Schema):
    """Publish a district's current state again, as the owner's events, so a consumer rebuilds its projection
    (consumers apply them like any other delivery: what they hold already is unchanged)."""
    district_id = fields.String(required=True, validate=validate.Length(min=1), metadata={
        "description": "the directory's id of the district"})


class Republished(Schema):
    events = fields.Integer(required=True, metadata={"description": "events written to the owner's outbox"})
    rows = fields.Integer(required=True, metadata={"description": "people or accounts the events describe"})

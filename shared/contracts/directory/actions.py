"""Schemas of the directory's bulk actions, their jobs, and the archiving a roster sync asks for.

Declared as RPCs in shared/contracts/directory/__init__.py, which re-exports them.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import identity
from shared.contracts.common import MAX_PAGE_ROWS, ItemResult, Timestamp
from shared.contracts.directory.people import PeopleFilters
# Explicit ids one bulk request may name; "everything matching" may reach MAX_MATCHING_PEOPLE.
MAX_BULK_IDS = MAX_PAGE_ROWS
MAX_MATCHING_PEOPLE = 50_000
JOB_STATES = ("queued", "running", "completed", "failed")
SYNCED_ENTITIES = ("people", "classrooms", "enrollments", "guardian_links")


class PeopleSelection(Schema):
    """Whom a bulk action is for: chosen people, or everyone a search finds."""

    person_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), allow_none=True,
                             load_default=None, validate=validate.Length(min=1, max=MAX_BULK_IDS),
                             metadata={"description": f"at most {MAX_BULK_IDS:,} ids"})
    matching = fields.Nested(PeopleFilters, allow_none=True, load_default=None, metadata={
        "description": f"everyone the viewer's search with these filters finds (at most {MAX_MATCHING_PEOPLE:,})"})

    @validates_schema
    def exactly_one(self, data, **kwargs):
        if (data.get("person_ids") is None) == (data.get("matching") is None):
            raise ValidationError("give exactly one of person_ids or matching", "_schema")


class ArchivePeopleRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    selection = fields.Nested(PeopleSelection, required=True)


class ArchiveClassroomsRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    classroom_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                                validate=validate.Length(min=1, max=MAX_BULK_IDS))


class Job(Schema):
    """A bulk action: done at once when small, else worked through in the background with progress."""

    job_id = fields.String(required=True)
    action = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(JOB_STATES))
    total = fields.Integer(required=True, metadata={"description": "items the action is for"})
    processed = fields.Integer(required=True)
    summary = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "how many items ended with each outcome"})
    results = fields.List(fields.Nested(ItemResult), required=True, metadata={
        "description": "one per item: done, already, not_found, or refused with the reason"})
    message = fields.String(allow_none=True)
    created_at = Timestamp(required=True)
    finished_at = Timestamp(allow_none=True)


class GetJobRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    job_id = fields.String(required=True)


class BulkActionQueued(Schema):
    job_id = fields.String(required=True)


class SyncedLink(Schema):
    guardian_source_id = fields.String(required=True)
    student_source_id = fields.String(required=True)


class ArchiveSyncedRecordsRequest(Schema):
    """Archive what a roster sync no longer lists (or marks tobedeleted), by the source's ids."""

    district_id = fields.String(required=True)
    entity = fields.String(required=True, validate=validate.OneOf(SYNCED_ENTITIES))
    source_ids = fields.List(fields.String(), load_default=list, validate=validate.Length(max=MAX_PAGE_ROWS),
                             metadata={"description": "people, classrooms or enrollments"})
    links = fields.List(fields.Nested(SyncedLink), load_default=list, validate=validate.Length(max=MAX_PAGE_ROWS),
                        metadata={"description": "guardian links"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "say what would be archived; change nothing"})

    @validates_schema
    def keys_fit_the_entity(self, data, **kwargs):
        if data["entity"] == "guardian_links" and data.get("source_ids"):
            raise ValidationError("guardian links are named by links, not source_ids", "source_ids")
        if data["entity"] != "guardian_links" and data.get("links"):
            raise ValidationError("only guardian links are named by links", "links")


class ArchivedRecord(Schema):
    """One record a sync archive named: what became of it, and enough to show it in a diff."""

    key = fields.String(required=True)
    id = fields.String(allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("done", "already", "not_found")))
    name = fields.String(allow_none=True, metadata={"description": "the person's name, or the classroom's title"})
    kinds = fields.List(fields.String(), load_default=list)
    school_ids = fields.List(fields.String(), load_default=list)


class ArchivedRecords(Schema):
    results = fields.List(fields.Nested(ArchivedRecord), required=True)


class GetDistrictCountsRequest(Schema):
    district_id = fields.String(required=True)


class DistrictCounts(Schema):
    """Current (not archived) records of a district, what a mass-change guard compares against."""

    people = fields.Integer(required=True)
    people_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    classrooms = fields.Integer(required=True)
    enrollments = fields.Integer(required=True)
    guardian_links = fields.Integer(required=True)


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
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    selection = fields.Nested(PeopleSelection, required=True, metadata={
        "description": "whom the action is for: chosen people, or everyone a search finds"})


class ArchiveClassroomsRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal), which bounds what they may see "
                       "and change: set by the gateway from the token, never from the body"})
    classroom_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                                validate=validate.Length(min=1, max=MAX_BULK_IDS),
                                metadata={"description": "the directory's ids of the classrooms, 1 to 5,000"})


class Job(Schema):
    """A bulk action: done at once when small, else worked through in the background with progress."""

    job_id = fields.String(required=True, metadata={"description": "the directory's id of the job, for get_job"})
    action = fields.String(required=True, metadata={
        "description": "what the job does: archive_people, unarchive_people, "
                       "archive_classrooms or unarchive_classrooms"})
    state = fields.String(required=True, validate=validate.OneOf(JOB_STATES), metadata={
        "description": "queued, running, completed, or failed (message says "
                       "where it stopped; repeating the action is safe)"})
    total = fields.Integer(required=True, metadata={"description": "items the action is for"})
    processed = fields.Integer(required=True, metadata={"description": "items worked through so far"})
    summary = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "how many items ended with each outcome"})
    results = fields.List(fields.Nested(ItemResult), required=True, metadata={
        "description": "one per item: done, already, not_found, or refused with the reason"})
    message = fields.String(allow_none=True, metadata={"description": "why the job failed; null otherwise"})
    created_at = Timestamp(required=True, metadata={
        "description": "when the action was asked for, ISO 8601 with zone (UTC)"})
    finished_at = Timestamp(allow_none=True, metadata={
        "description": "when the job completed or failed, ISO 8601 with zone (UTC); null while it runs"})


class GetJobRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal): the person who started the job "
                       "or an administrator of its district; set by the gateway from the token"})
    job_id = fields.String(required=True, metadata={
        "description": "the directory's id of the job, as the action answered it"})


class BulkActionQueued(Schema):
    job_id = fields.String(required=True, metadata={
        "description": "the directory's id of the job to work through in the background"})


class SyncedLink(Schema):
    guardian_source_id = fields.String(required=True, metadata={
        "description": "the guardian's sourcedId in the roster source"})
    student_source_id = fields.String(required=True, metadata={
        "description": "the student's sourcedId in the roster source"})


class ArchiveSyncedRecordsRequest(Schema):
    """Archive what a roster sync no longer lists (or marks tobedeleted), by the source's ids."""

    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district the records belong to"})
    entity = fields.String(required=True, validate=validate.OneOf(SYNCED_ENTITIES), metadata={
        "description": "what kind of record is named: people, classrooms, enrollments or guardian_links"})
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

    key = fields.String(required=True, metadata={
        "description": "the record as the request named it: its sourcedId, or guardian:student for a link"})
    id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the record; null when not found"})
    outcome = fields.String(required=True, validate=validate.OneOf(("done", "already", "not_found")), metadata={
        "description": "done (archived now, or would be in a dry run), already (archived before) or not_found"})
    name = fields.String(allow_none=True, metadata={"description": "the person's name, or the classroom's title"})
    kinds = fields.List(fields.String(), load_default=list, metadata={
        "description": "for a person, what they are (student, staff, guardian); empty for other records"})
    school_ids = fields.List(fields.String(), load_default=list, metadata={
        "description": "the directory's ids of the schools the record belongs to, for a diff by school"})


class ArchivedRecords(Schema):
    results = fields.List(fields.Nested(ArchivedRecord), required=True, metadata={
        "description": "one result per record named, in the order sent, each once"})


class GetDistrictCountsRequest(Schema):
    district_id = fields.String(required=True, metadata={"description": "the directory's id of the district to count"})


class DistrictCounts(Schema):
    """Current (not archived) records of a district, what a mass-change guard compares against."""

    people = fields.Integer(required=True, metadata={"description": "current people of the district"})
    people_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "current people by kind (student, staff, guardian); one person may count under several"})
    classrooms = fields.Integer(required=True, metadata={"description": "current classrooms of the district"})
    enrollments = fields.Integer(required=True, metadata={"description": "current enrollments of the district"})
    guardian_links = fields.Integer(required=True, metadata={"description": "current guardian links of the district"})


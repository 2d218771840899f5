"""rostering: reading SIS exports and applying them through directory and identity."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.base import ServiceContract
from shared.contracts.common import Timestamp

NAME = "rostering"
contract = ServiceContract(NAME)

RUN_STATES = ("running", "completed", "rejected", "failed", "awaiting_approval", "superseded")
AWAITING_APPROVAL = "awaiting_approval"
ARCHIVED_ENTITIES = ("people", "classrooms", "enrollments", "guardian_links")


class ImportPackageRequest(Schema):
    path = fields.String(required=True, metadata={"description": "OneRoster CSV folder or zip, readable by the service"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2))
    district_name = fields.String(allow_none=True, load_default=None,
                                  metadata={"description": "used when the package has no district org"})
    full = fields.Boolean(load_default=False, metadata={
        "description": "resend every row, even those unchanged since the district's last import"})
    requested_by = fields.String(allow_none=True, load_default=None,
                                 metadata={"description": "who started the import, for the run's report"})


class RowProblem(Schema):
    file = fields.String(required=True)
    line = fields.Integer(allow_none=True)
    column = fields.String(allow_none=True)
    value = fields.String(allow_none=True)
    reason = fields.String(required=True)


class EntityCounts(Schema):
    created = fields.Integer(load_default=0)
    updated = fields.Integer(load_default=0)
    unchanged = fields.Integer(load_default=0)
    skipped = fields.Integer(load_default=0, metadata={"description": "left alone by the owning service, not an error"})
    failed = fields.Integer(load_default=0)


class SchoolArchiveCounts(Schema):
    school_id = fields.String(allow_none=True, metadata={"description": "null for people with no school"})
    school_name = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "by kind (student, staff, guardian) and by record (enrollments, classrooms, guardian_links)"})


class ArchiveDiff(Schema):
    """What a run archives, or would archive when held, beside the district's current counts."""

    threshold = fields.Float(required=True, metadata={"description": "the district's mass-change limit, a share"})
    people_share = fields.Float(required=True)
    enrollments_share = fields.Float(required=True)
    current = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    archiving = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_school = fields.List(fields.Nested(SchoolArchiveCounts), required=True)


class SyncRun(Schema):
    run_id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES))
    source = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    started_at = Timestamp(required=True)
    finished_at = Timestamp(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Nested(EntityCounts), required=True)
    errors = fields.List(fields.Nested(RowProblem), required=True)
    warnings = fields.List(fields.Nested(RowProblem), required=True)
    message = fields.String(allow_none=True)
    diff = fields.Nested(ArchiveDiff, allow_none=True, load_default=None, metadata={
        "description": "what the run archives (rows: get_sync_run_changes); null when it archives nothing"})
    decided_by = fields.String(allow_none=True, load_default=None,
                               metadata={"description": "who approved or rejected a held run"})
    decided_at = Timestamp(allow_none=True, load_default=None)


class GetSyncRunRequest(Schema):
    run_id = fields.String(required=True)


class SyncRunCompleted(Schema):
    run_id = fields.String(required=True)
    state = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    error_count = fields.Integer(required=True)


class ListSyncRunsRequest(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    state = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(RUN_STATES))
    district_id = fields.String(allow_none=True, load_default=None)


class SyncRunSummary(Schema):
    run_id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES))
    source = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    started_at = Timestamp(required=True)
    finished_at = Timestamp(allow_none=True)
    error_count = fields.Integer(required=True)
    warning_count = fields.Integer(required=True)
    decided_by = fields.String(allow_none=True, load_default=None)
    decided_at = Timestamp(allow_none=True, load_default=None)


class SyncRuns(Schema):
    runs = fields.List(fields.Nested(SyncRunSummary), required=True)


class ArchiveChange(Schema):
    """One record a run archives (or would archive), with where the package says so."""

    entity = fields.String(required=True, validate=validate.OneOf(ARCHIVED_ENTITIES))
    key = fields.String(required=True, metadata={"description": "its sourcedId (guardian:student for a link)"})
    file = fields.String(required=True)
    line = fields.Integer(allow_none=True, metadata={"description": "null when the record is missing from a full file"})
    reason = fields.String(required=True)
    outcome = fields.String(required=True, metadata={
        "description": "done (archived, or to be), already (archived before) or not_found"})
    name = fields.String(allow_none=True)
    kinds = fields.List(fields.String(), required=True)
    school_ids = fields.List(fields.String(), required=True)


class GetSyncRunChangesRequest(Schema):
    run_id = fields.String(required=True)
    entity = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(ARCHIVED_ENTITIES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class SyncRunChanges(Schema):
    changes = fields.List(fields.Nested(ArchiveChange), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class DecideSyncRunRequest(Schema):
    run_id = fields.String(required=True)
    decided_by = fields.String(required=True, metadata={"description": "the administrator's person id"})
    reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class PreviewEntity(Schema):
    to_send = fields.Integer(required=True, metadata={"description": "new or changed since the last import"})
    unchanged = fields.Integer(required=True)


class ImportPreview(Schema):
    """What importing a package would do, computed without applying anything."""

    district_id = fields.String(allow_none=True, metadata={"description": "null: never imported before"})
    district_name = fields.String(required=True)
    entities = fields.Dict(keys=fields.String(), values=fields.Nested(PreviewEntity), required=True)
    diff = fields.Nested(ArchiveDiff, allow_none=True)
    changes = fields.List(fields.Nested(ArchiveChange), required=True)
    would_hold = fields.Boolean(required=True, metadata={"description": "the mass-change guard would hold it"})
    message = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(RowProblem), required=True)
    warnings = fields.List(fields.Nested(RowProblem), required=True)


class GetDistrictSyncSettingsRequest(Schema):
    district_id = fields.String(required=True)


class DistrictSyncSettings(Schema):
    district_id = fields.String(required=True)
    daily_sync = fields.Boolean(required=True, metadata={
        "description": "the district is kept in step with its SIS: what the sync manages is locked against "
                       "changes by hand"})
    sync_manages_guardians = fields.Boolean(required=True, metadata={
        "description": "else guardians come from a guardians.csv or are managed by hand"})
    unarchive_classrooms_that_reappear = fields.Boolean(required=True)
    sync_updates_contact_details_of_active_users = fields.Boolean(required=True)
    mass_change_threshold = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=1),
                                         metadata={"description": "share of current people or enrollments a run "
                                                                  "may archive before it waits for approval"})
    source = fields.String(required=True)
    updated_by = fields.String(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class UpdateDistrictSyncSettingsRequest(Schema):
    district_id = fields.String(required=True)
    changed_by = fields.String(required=True)
    daily_sync = fields.Boolean()
    sync_manages_guardians = fields.Boolean()
    unarchive_classrooms_that_reappear = fields.Boolean()
    sync_updates_contact_details_of_active_users = fields.Boolean()
    mass_change_threshold = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=1))


class SyncRunApproved(Schema):
    run_id = fields.String(required=True)


import_package = contract.rpc("import_package", request=ImportPackageRequest, response=SyncRun)
get_sync_run = contract.rpc("get_sync_run", request=GetSyncRunRequest, response=SyncRun)
list_sync_runs = contract.rpc("list_sync_runs", request=ListSyncRunsRequest, response=SyncRuns)
get_sync_run_changes = contract.rpc("get_sync_run_changes", request=GetSyncRunChangesRequest, response=SyncRunChanges)
approve_sync_run = contract.rpc("approve_sync_run", request=DecideSyncRunRequest, response=SyncRun)
reject_sync_run = contract.rpc("reject_sync_run", request=DecideSyncRunRequest, response=SyncRun)
preview_import = contract.rpc("preview_import", request=ImportPackageRequest, response=ImportPreview)
get_district_sync_settings = contract.rpc("get_district_sync_settings", request=GetDistrictSyncSettingsRequest,
                                          response=DistrictSyncSettings)
update_district_sync_settings = contract.rpc("update_district_sync_settings",
                                             request=UpdateDistrictSyncSettingsRequest, response=DistrictSyncSettings)

SYNC_RUN_COMPLETED = contract.event("sync_run_completed", SyncRunCompleted)
# An administrator approved a held run; rostering applies it in the background (its own subscription).
SYNC_RUN_APPROVED = contract.event("sync_run_approved", SyncRunApproved)

contract.subscribe(SYNC_RUN_APPROVED)

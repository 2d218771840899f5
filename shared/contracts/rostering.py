"""rostering: reading SIS exports and applying them through directory and identity."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.base import ServiceContract

NAME = "rostering"
contract = ServiceContract(NAME)

RUN_STATES = ("running", "completed", "rejected", "failed")


class ImportPackageRequest(Schema):
    path = fields.String(required=True, metadata={"description": "OneRoster CSV folder or zip, readable by the service"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2))
    district_name = fields.String(allow_none=True, load_default=None,
                                  metadata={"description": "used when the package has no district org"})
    full = fields.Boolean(load_default=False, metadata={
        "description": "resend every row, even those unchanged since the district's last import"})


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


class SyncRun(Schema):
    run_id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES))
    source = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Nested(EntityCounts), required=True)
    errors = fields.List(fields.Nested(RowProblem), required=True)
    warnings = fields.List(fields.Nested(RowProblem), required=True)
    message = fields.String(allow_none=True)


class GetSyncRunRequest(Schema):
    run_id = fields.String(required=True)


class SyncRunCompleted(Schema):
    run_id = fields.String(required=True)
    state = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    error_count = fields.Integer(required=True)


class ListSyncRunsRequest(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class SyncRunSummary(Schema):
    run_id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES))
    source = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    started_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True)
    error_count = fields.Integer(required=True)
    warning_count = fields.Integer(required=True)


class SyncRuns(Schema):
    runs = fields.List(fields.Nested(SyncRunSummary), required=True)


import_package = contract.rpc("import_package", request=ImportPackageRequest, response=SyncRun)
get_sync_run = contract.rpc("get_sync_run", request=GetSyncRunRequest, response=SyncRun)
list_sync_runs = contract.rpc("list_sync_runs", request=ListSyncRunsRequest, response=SyncRuns)

SYNC_RUN_COMPLETED = contract.event("sync_run_completed", SyncRunCompleted)

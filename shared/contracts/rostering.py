"""rostering: reading SIS exports and applying them through directory and identity."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.base import ServiceContract
from shared.contracts.common import Timestamp
from shared.contracts.health import declare_health_check
from shared.contracts.rostering_settings import (  # noqa: F401 (the settings' vocabulary, named from here too)
    CLASSLINK,
    CLEVER,
    NOTICE_FIELDS,
    ONEROSTER_CSV,
    PROVIDER_SOURCES,
    SFTP,
    SOURCE_CONNECTIONS,
    SOURCE_LABELS,
    SOURCES,
    SYNCED_SOURCES,
    ConnectDistrictRequest,
    DistrictSyncPlan,
    DistrictSyncSettings,
    DistrictSyncSettingsChanged,
    GetDistrictSyncSettingsRequest,
    PlanDistrictSyncRequest,
    UpdateDistrictSyncSettingsRequest,
    valid_daily_time,
    valid_time_zone,
)

NAME = "rostering"
contract = ServiceContract(NAME)
check_health = declare_health_check(contract)

RUN_STATES = ("running", "completed", "rejected", "failed", "awaiting_approval", "superseded")
AWAITING_APPROVAL = "awaiting_approval"
RUN_PHASES = ("queued", "reading", "checking", "applying", "archiving")
ARCHIVED_ENTITIES = ("people", "classrooms", "enrollments", "guardian_links")


class ImportPackageRequest(Schema):
    path = fields.String(required=True, metadata={"description": "OneRoster CSV folder or zip, readable by the service"})
    region = fields.String(load_default="US", validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region (US, GB, ...) phone numbers without "
                       "a country code are read in; an unknown one is refused"})
    district_name = fields.String(allow_none=True, load_default=None,
                                  metadata={"description": "used when the package has no district org"})
    full = fields.Boolean(load_default=False, metadata={
        "description": "resend every row, even those unchanged since the district's last import"})
    requested_by = fields.String(allow_none=True, load_default=None,
                                 metadata={"description": "who started the import, for the run's report"})


class SyncDistrictRequest(Schema):
    district = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "the directory's id of the district, whose sync settings name the source it syncs from "
                       "(ClassLink or Clever)"})
    full = fields.Boolean(load_default=False, metadata={
        "description": "read the whole roster even when an incremental run is due (a full run also happens by "
                       "itself at least weekly, so records the provider deleted are archived)"})
    region = fields.String(allow_none=True, load_default=None, validate=validate.Length(equal=2), metadata={
        "description": "ISO 3166-1 alpha-2 region phone numbers without a country code are read in; null for the "
                       "district's setting"})
    requested_by = fields.String(allow_none=True, load_default=None,
                                 metadata={"description": "who started the sync, for the run's report"})


class PackageImportRequested(Schema):
    run_id = fields.String(required=True, metadata={"description": "rostering's id of the run to carry out"})
    path = fields.String(required=True, metadata={"description": "the OneRoster CSV folder or zip to import"})
    region = fields.String(required=True, metadata={"description": "the phone region the package is read in"})
    district_name = fields.String(allow_none=True, metadata={
        "description": "used when the package has no district org"})
    full = fields.Boolean(required=True, metadata={"description": "resend every row"})
    requested_by = fields.String(allow_none=True, metadata={"description": "who started the import"})


class DistrictSyncRequested(Schema):
    run_id = fields.String(required=True, metadata={"description": "rostering's id of the run to carry out"})
    district = fields.String(required=True, metadata={"description": "the directory's id of the district"})
    full = fields.Boolean(required=True, metadata={"description": "a full run was asked for"})
    region = fields.String(required=True, metadata={"description": "the phone region the roster is read in"})
    requested_by = fields.String(allow_none=True, metadata={"description": "who started the sync"})


class RowProblem(Schema):
    file = fields.String(required=True, metadata={
        "description": "the package file it was found in, e.g. users.csv, or the provider's collection, e.g. /users"})
    line = fields.Integer(allow_none=True, metadata={
        "description": "the physical line where the record starts (the header is line 1), or the record's position "
                       "in the provider's collection (from 1); null when no line is known"})
    column = fields.String(allow_none=True, metadata={
        "description": "the CSV column, e.g. sourcedId or email; null for a problem with the file as a whole"})
    value = fields.String(allow_none=True, metadata={
        "description": "the value refused, or the sourcedId of the record refused; null when there is none"})
    reason = fields.String(required=True, metadata={
        "description": "what is wrong, in words an administrator can fix the export with"})
    source_id = fields.String(allow_none=True, metadata={
        "description": "the id of the source's record it is about: its sourcedId (ClassLink, a OneRoster package), "
                       "its Clever id; absent when the finding names no one record"})


class EntityCounts(Schema):
    created = fields.Integer(load_default=0, metadata={"description": "records the owning service created"})
    updated = fields.Integer(load_default=0, metadata={"description": "records the owning service changed"})
    unchanged = fields.Integer(load_default=0, metadata={
        "description": "records sent that were already as the package says, "
                       "or not sent because unchanged since the last import"})
    skipped = fields.Integer(load_default=0, metadata={"description": "left alone by the owning service, not an error"})
    failed = fields.Integer(load_default=0, metadata={
        "description": "records refused (each is among the run's errors)"})


class SchoolArchiveCounts(Schema):
    school_id = fields.String(allow_none=True, metadata={"description": "null for people with no school"})
    school_name = fields.String(allow_none=True, metadata={
        "description": "the school's name; null for people with no school"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "by kind (student, staff, guardian) and by record (enrollments, classrooms, guardian_links)"})


class ArchiveDiff(Schema):
    """What a run archives, or would archive when held, beside the district's current counts."""

    threshold = fields.Float(required=True, metadata={"description": "the district's mass-change limit, a share"})
    people_share = fields.Float(required=True, metadata={
        "description": "the share of the district's current people the run archives, 0 to 1 (4 decimals)"})
    enrollments_share = fields.Float(required=True, metadata={
        "description": "the share of the district's current enrollments the run archives, 0 to 1 (4 decimals)"})
    current = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "the district's current people and enrollments, the wholes the shares are taken of"})
    archiving = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "records the run archives, by entity: people, classrooms, enrollments, guardian_links"})
    by_school = fields.List(fields.Nested(SchoolArchiveCounts), required=True, metadata={
        "description": "what the run archives school by school, by school name"})


class SyncRunProgress(Schema):
    """How far a run has got; a finished run keeps what it ended with."""

    phase = fields.String(required=True, validate=validate.OneOf(RUN_PHASES), metadata={
        "description": "queued (waiting for a worker), reading the source, checking what it would archive, "
                       "applying rows, or archiving what the source no longer lists"})
    stage = fields.String(allow_none=True, metadata={
        "description": "while applying: the entity being sent (schools, classrooms, people, accounts, "
                       "enrollments, guardian_links); null otherwise"})
    rows_read = fields.Integer(required=True, metadata={"description": "rows (records) read from the source"})
    pages_applied = fields.Integer(required=True, metadata={
        "description": "pages of rows the owning services have answered so far"})
    pages_total = fields.Integer(required=True, metadata={
        "description": "pages the run will send: an estimate from the rows read until each stage has compared "
                       "its rows with the last import, exact after"})
    applying_since = Timestamp(allow_none=True, metadata={
        "description": "when the first page was sent, ISO 8601 with zone (UTC); null before"})
    eta_seconds = fields.Float(allow_none=True, metadata={
        "description": "seconds until the last page lands at the pace so far; null before a page has landed "
                       "and once the run has ended"})


class SyncRun(Schema):
    run_id = fields.String(required=True, metadata={"description": "rostering's id of the run"})
    short_id = fields.String(required=True, metadata={
        "description": "the run id's first 8 characters, as the CLI prints it; any unique prefix of 4 or more "
                       "characters names the run wherever a run id is asked for"})
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES), metadata={
        "description": "running, completed, rejected (the package or an administrator "
                       "refused it), failed, awaiting_approval (held by the mass-change "
                       "guard) or superseded (a newer import came before a decision)"})
    source = fields.String(required=True, metadata={"description": "what the run read: the package's path"})
    district_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the district; null when the run stopped before the district was known"})
    started_at = Timestamp(required=True, metadata={
        "description": "when the run started, ISO 8601 with zone (UTC)"})
    finished_at = Timestamp(allow_none=True, metadata={
        "description": "when the run ended or was held, ISO 8601 with zone (UTC); null while it runs"})
    counts = fields.Dict(keys=fields.String(), values=fields.Nested(EntityCounts), required=True, metadata={
        "description": "what the owning services did, by entity (schools, "
                       "classrooms, people, accounts, enrollments, guardian_links)"})
    errors = fields.List(fields.Nested(RowProblem), required=True, metadata={
        "description": "rows refused, each naming file, line and column"})
    warnings = fields.List(fields.Nested(RowProblem), required=True, metadata={
        "description": "problems that refused no row (a value ignored, say), each naming file, line and column"})
    message = fields.String(allow_none=True, metadata={
        "description": "a summary of how the run ended or why it is held; null when there is nothing to say"})
    diff = fields.Nested(ArchiveDiff, allow_none=True, load_default=None, metadata={
        "description": "what the run archives (rows: get_sync_run_changes); null when it archives nothing"})
    decided_by = fields.String(allow_none=True, load_default=None,
                               metadata={"description": "who approved or rejected a held run"})
    decided_at = Timestamp(allow_none=True, load_default=None, metadata={
        "description": "when an administrator approved or rejected the held "
                       "run, ISO 8601 with zone (UTC); null until then"})
    progress = fields.Nested(SyncRunProgress, required=True, metadata={
        "description": "how far the run has got: phase, rows read, pages applied, ETA"})


class GetSyncRunRequest(Schema):
    run_id = fields.String(required=True, metadata={
        "description": "rostering's id of the run, or a unique prefix of it (4 characters or more)"})


class SyncRunCompleted(Schema):
    run_id = fields.String(required=True, metadata={"description": "rostering's id of the run"})
    state = fields.String(required=True, metadata={"description": "how the run ended: completed, failed or rejected"})
    district_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the district; null when the run stopped before the district was known"})
    error_count = fields.Integer(required=True, metadata={"description": "rows the run refused"})


class ListSyncRunsRequest(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100), metadata={
        "description": "runs to list, 1 to 100 (default 20)"})
    state = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(RUN_STATES), metadata={
        "description": "only runs in this state; null for every state"})
    district_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "only runs of this district (the directory's id); null for every district"})


class SyncRunSummary(Schema):
    run_id = fields.String(required=True, metadata={"description": "rostering's id of the run"})
    short_id = fields.String(required=True, metadata={
        "description": "the run id's first 8 characters, as the CLI prints it; any unique prefix of 4 or more "
                       "characters names the run wherever a run id is asked for"})
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES), metadata={
        "description": "running, completed, rejected, failed, awaiting_approval or superseded"})
    source = fields.String(required=True, metadata={"description": "what the run read: the package's path"})
    district_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the district; null when the run stopped before the district was known"})
    started_at = Timestamp(required=True, metadata={
        "description": "when the run started, ISO 8601 with zone (UTC)"})
    finished_at = Timestamp(allow_none=True, metadata={
        "description": "when the run ended or was held, ISO 8601 with zone (UTC); null while it runs"})
    error_count = fields.Integer(required=True, metadata={"description": "rows the run refused"})
    warning_count = fields.Integer(required=True, metadata={"description": "problems that refused no row"})
    decided_by = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the person id of the administrator who approved or rejected the held run; null otherwise"})
    decided_at = Timestamp(allow_none=True, load_default=None, metadata={
        "description": "when the held run was approved or rejected, ISO 8601 with zone (UTC); null otherwise"})
    progress = fields.Nested(SyncRunProgress, required=True, metadata={
        "description": "how far the run has got: phase, rows read, pages applied, ETA"})


class SyncRuns(Schema):
    runs = fields.List(fields.Nested(SyncRunSummary), required=True, metadata={"description": "the runs, newest first"})


class FollowedSyncRun(SyncRunSummary):
    """A run as a client following it polls it: state, progress and counts, its findings counted but not listed
    (a district's run can hold thousands; get_sync_run lists them, once the run has ended)."""

    counts = fields.Dict(keys=fields.String(), values=fields.Nested(EntityCounts), required=True,
                         metadata={"description": "what the owning services did so far, by entity"})
    message = fields.String(allow_none=True, metadata={
        "description": "how the run ended or why it is held; null while it runs"})


class ArchiveChange(Schema):
    """One record a run archives (or would archive), with where the package says so."""

    entity = fields.String(required=True, validate=validate.OneOf(ARCHIVED_ENTITIES), metadata={
        "description": "what is archived: people, classrooms, enrollments or guardian_links"})
    key = fields.String(required=True, metadata={"description": "its sourcedId (guardian:student for a link)"})
    file = fields.String(required=True, metadata={
        "description": "the package file that says so, e.g. users.csv, or the provider's collection, e.g. /users"})
    line = fields.Integer(allow_none=True, metadata={"description": "null when the record is missing from a full file"})
    reason = fields.String(required=True, metadata={
        "description": "why: missing from a full file, or marked tobedeleted"})
    outcome = fields.String(required=True, metadata={
        "description": "done (archived, or to be), already (archived before) or not_found"})
    name = fields.String(allow_none=True, metadata={
        "description": "the person's name or the classroom's title; null when the directory does not have the record"})
    kinds = fields.List(fields.String(), required=True, metadata={
        "description": "for a person, what they are (student, staff, guardian); empty for other records"})
    school_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the directory's ids of the record's schools"})


class GetSyncRunChangesRequest(Schema):
    run_id = fields.String(required=True, metadata={"description": "rostering's id of the run"})
    entity = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(ARCHIVED_ENTITIES), metadata={
        "description": "only records of this entity; null for every entity"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1), metadata={
        "description": "the page wanted, from 1"})
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000), metadata={
        "description": "records per page, 1 to 1,000 (default 100)"})


class SyncRunChanges(Schema):
    changes = fields.List(fields.Nested(ArchiveChange), required=True, metadata={
        "description": "this page of records, in the order the run found them"})
    total = fields.Integer(required=True, metadata={"description": "records matching, over every page"})
    page = fields.Integer(required=True, metadata={"description": "the page answered, from 1"})
    per_page = fields.Integer(required=True, metadata={"description": "records per page, as asked"})


class DecideSyncRunRequest(Schema):
    run_id = fields.String(required=True, metadata={"description": "rostering's id of a run awaiting approval"})
    decided_by = fields.String(required=True, metadata={
        "description": "who decides: the person id of the caller's credential (an administrator's, or an operator's "
                       "service:<client id>); any other is refused"})
    reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500), metadata={
        "description": "why it is rejected, at most 500 characters, shown in the run's message; unused on approval"})


class PreviewEntity(Schema):
    to_send = fields.Integer(required=True, metadata={"description": "new or changed since the last import"})
    unchanged = fields.Integer(required=True, metadata={
        "description": "rows unchanged since the last import, which an import would not send"})


class ImportPreview(Schema):
    """What importing a package would do, computed without applying anything."""

    district_id = fields.String(allow_none=True, metadata={"description": "null: never imported before"})
    district_name = fields.String(required=True, metadata={
        "description": "the district's name: the package's district org, else the district_name given"})
    entities = fields.Dict(keys=fields.String(), values=fields.Nested(PreviewEntity), required=True, metadata={
        "description": "what an import would send, by entity (schools, classrooms, "
                       "people, accounts, enrollments, guardian_links)"})
    diff = fields.Nested(ArchiveDiff, allow_none=True, metadata={
        "description": "what the import would archive; null when it would archive nothing"})
    changes = fields.List(fields.Nested(ArchiveChange), required=True, metadata={
        "description": "every record the import would archive"})
    would_hold = fields.Boolean(required=True, metadata={"description": "the mass-change guard would hold it"})
    message = fields.String(allow_none=True, metadata={
        "description": "why the import would be held for approval; null when it would not"})
    errors = fields.List(fields.Nested(RowProblem), required=True, metadata={
        "description": "rows an import would refuse, each naming file, line and column"})
    warnings = fields.List(fields.Nested(RowProblem), required=True, metadata={
        "description": "problems that would refuse no row, each naming file, line and column"})


class SyncRunApproved(Schema):
    run_id = fields.String(required=True, metadata={"description": "rostering's id of the approved run to apply"})


import_package = contract.rpc("import_package", request=ImportPackageRequest, response=SyncRun,
                              description="Start a run reading a OneRoster CSV package and applying it through "
                                          "directory and identity; answers the running run at once, which is read "
                                          "and applied in the background (package_import_requested). A run that "
                                          "would archive too much is held for approval. Refused (conflict) while "
                                          "another run of the same package is going.")
sync_district = contract.rpc("sync_district", request=SyncDistrictRequest, response=SyncRun,
                             description="Start a run reading the district's roster from the source its settings name "
                                         "(ClassLink, Clever), full or incremental; answers the running run at once, "
                                         "which is read and applied in the background (district_sync_requested).")
get_sync_run = contract.rpc("get_sync_run", request=GetSyncRunRequest, response=SyncRun,
                            description="A sync run: its state, counts, row errors "
                                        "and warnings, and what it archives.")
follow_sync_run = contract.rpc("follow_sync_run", request=GetSyncRunRequest, response=FollowedSyncRun,
                               description="A sync run as a client polls it while it runs: state, progress and counts, "
                                           "with its row errors and warnings counted, not listed.", read=True)
list_sync_runs = contract.rpc("list_sync_runs", request=ListSyncRunsRequest, response=SyncRuns,
                              description="The latest sync runs, newest first, optionally of one district or state.")
get_sync_run_changes = contract.rpc("get_sync_run_changes", request=GetSyncRunChangesRequest, response=SyncRunChanges,
                                    description="A page of the records a run archives (or "
                                                "would, when held), with file and line.")
approve_sync_run = contract.rpc("approve_sync_run", request=DecideSyncRunRequest, response=SyncRun,
                                description="Approve a held run; it is applied in the background (sync_run_approved).")
reject_sync_run = contract.rpc("reject_sync_run", request=DecideSyncRunRequest, response=SyncRun,
                               description="Reject a held run; nothing of it is applied.")
preview_import = contract.rpc("preview_import", request=ImportPackageRequest, response=ImportPreview,
                              description="What importing a package would do, computed without applying anything.")
get_district_sync_settings = contract.rpc("get_district_sync_settings", request=GetDistrictSyncSettingsRequest,
                                          response=DistrictSyncSettings,
                                          description="A district's sync settings: what the sync "
                                                      "owns and when a run waits for approval.")
update_district_sync_settings = contract.rpc("update_district_sync_settings",
                                             request=UpdateDistrictSyncSettingsRequest, response=DistrictSyncSettings,
                                             description="Change some of a district's sync settings (its source "
                                                         "and connection, secrets kept sealed); the directory is "
                                                         "told what the sync now owns and audits the change.")
connect_district = contract.rpc("connect_district", request=ConnectDistrictRequest, response=DistrictSyncSettings,
                                description="Onboard a district that connects its provider first: make it in the "
                                            "directory under the id its provider gives it (or find it there) and "
                                            "save its sync settings; its runs then apply only that district's "
                                            "roster.")
plan_district_sync = contract.rpc("plan_district_sync", request=PlanDistrictSyncRequest, response=DistrictSyncPlan,
                                  description="What a sync of the district would read now (full or since when), "
                                              "and when the schedule next starts one, without starting a run.")

SYNC_RUN_COMPLETED = contract.event("sync_run_completed", SyncRunCompleted,
                                    description="A sync run ended (completed, failed or rejected); "
                                                "a held run says nothing until it is decided.")
# An administrator approved a held run; rostering applies it in the background (its own subscription).
SYNC_RUN_APPROVED = contract.event("sync_run_approved", SyncRunApproved,
                                   description="An administrator approved a held run; "
                                               "rostering applies it in the background.")

# A district's sync was requested; rostering reads and applies it in the background (its own subscription).
DISTRICT_SYNC_REQUESTED = contract.event("district_sync_requested", DistrictSyncRequested,
                                         description="A run from a district's provider was started; "
                                                     "rostering reads and applies it in the background.")

# A package import was requested; rostering reads and applies it in the background (its own subscription).
PACKAGE_IMPORT_REQUESTED = contract.event("package_import_requested", PackageImportRequested,
                                          description="An import of a OneRoster package was started; "
                                                      "rostering reads and applies it in the background.")

# Each change of a district's settings, for the directory's audit log.
DISTRICT_SYNC_SETTINGS_CHANGED = contract.event("district_sync_settings_changed", DistrictSyncSettingsChanged,
                                                description="A district's sync settings changed: before and after, "
                                                            "secrets only as whether they are set.")

contract.subscribe(SYNC_RUN_APPROVED, DISTRICT_SYNC_REQUESTED, PACKAGE_IMPORT_REQUESTED)

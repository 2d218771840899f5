"""Request and response bodies only the gateway has.

Each is built from the contract schemas (subclassed or nested), never copied:
a field changed in a contract changes here too. Where a contract request
carries the caller (`viewer`, `changed_by`) or a path value (`person_id`),
the HTTP body leaves it out: the caller comes from the token, never the body.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts import (conversations, directory, health, identity, notify, notify_history, permissions,
                              rostering)
from shared.contracts.common import BulkResult


class HealthStatus(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("ok",)))


class ReadinessReport(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("ready",)), metadata={
        "description": "ready: every service and its database answered (otherwise the answer is a 503 "
                       "`not_ready` whose `fields` name each failing part and why)"})
    broker = fields.Nested(health.ComponentHealth, required=True, metadata={
        "description": "the gateway's questions reached the broker"})
    services = fields.List(fields.Nested(health.ServiceHealth), required=True, metadata={
        "description": "each service's own answer: its database checks and their latency"})


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={
        "description": "Stable, machine-readable: invalid_request, not_authenticated, permission_denied, "
                       "not_found, method_not_allowed, conflict, locked, request_entity_too_large, request_uri_too_long, "
                       "too_many_requests, service_unavailable, internal_error."})
    message = fields.String(required=True, metadata={"description": "For people: what went wrong and what to do."})
    # `fields` would shadow the marshmallow module inside this class body, hence data_key.
    field_reasons = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                                data_key="fields",
                                metadata={"description": "Each refused field (dotted path) with its reasons."})


class ErrorResponse(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class PeopleQuery(directory.SearchPeopleRequest):
    """Directory search filters as query parameters."""

    class Meta:
        exclude = ("viewer",)


class EnableStudentAccountsBody(directory.EnableStudentAccountsRequest):
    class Meta:
        exclude = ("viewer",)


class SetPermissionsBody(identity.SetStaffPermissionsRequest):
    class Meta:
        exclude = ("person_id", "changed_by")


class ChangePasswordBody(identity.ChangePasswordRequest):
    class Meta:
        exclude = ("token",)


class Me(Schema):
    principal = fields.Nested(identity.Principal, required=True, metadata={
        "description": "`permissions` here are the custom staff permissions held; see effective_permissions"})
    account = fields.Nested(identity.Account, required=True, allow_none=True)
    effective_permissions = fields.List(fields.String(validate=validate.OneOf(tuple(permissions.ACTIONS))),
                                        required=True, metadata={
        "description": "every action the caller may perform (what their roles grant and their custom "
                       "permissions add), so a screen need not know what each role implies; records are "
                       "still limited to the caller's schools or district"})


class DeliveryStatus(notify.CredentialHealth):
    """The most recent delivery status of one credential, as notify keeps it."""

    class Meta:
        exclude = ("person_id", "kind", "address")


class ProfileCredential(identity.Credential):
    delivery_status = fields.Nested(DeliveryStatus, allow_none=True, metadata={
        "description": "good, bad (with the reason) or opted_out; null until notify knows this credential. "
                       "Present only for the person themselves and for staff with an extended permission "
                       "(Users Manager, Engagement Visibility, administrators)."})


class UserProfile(directory.PersonProfile):
    account_status = fields.String(required=True, allow_none=True,
                                   validate=validate.OneOf(identity.ACCOUNT_STATUSES),
                                   metadata={"description": "null when the person has no account"})
    credentials = fields.List(fields.Nested(ProfileCredential), metadata={
        "description": "Present only when the viewer is this person or may view others' credentials."})
    home_phone = fields.String(allow_none=True, metadata={
        "description": "Kept, never used to contact or log in; present only with `credentials`."})
    communication_history = fields.Nested(notify_history.CommunicationHistory, metadata={
        "description": "The person's most recent announcements and conversation messages (the first page, newest "
                       "first; `total` counts them all). Present for the person themselves and for staff: "
                       "everything with Engagement Visibility or as an administrator, otherwise only what the "
                       "viewer sent or takes part in; each item's `deliveries` only with an extended permission."})


class EnableStudentAccountsResult(BulkResult):
    summary = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "How many students ended with each outcome."})


class PreferenceBody(notify.SetPreferenceRequest):
    class Meta:
        exclude = ("person_id", "changed_by")


class DistrictDefaultBody(notify.SetDistrictDefaultRequest):
    class Meta:
        exclude = ("district_id", "changed_by")


class AnnouncementBody(notify.SendAnnouncementRequest):
    class Meta:
        exclude = ("sender",)


class DeliveryReportQuery(notify.DeliveryReportRequest):
    class Meta:
        exclude = ("viewer", "communication_id")


class UnreachableContactsQuery(notify.UnreachableContactsRequest):
    class Meta:
        exclude = ("viewer", "school_id")


class ResetStatusBody(notify.ResetCredentialStatusRequest):
    class Meta:
        exclude = ("person_id", "kind", "reset_by")


# --- the directory's manual actions: the viewer comes from the token, ids in the path from the path ---

class EnrollmentBody(directory.EnrollStudentRequest):
    class Meta:
        exclude = ("viewer",)


class UnenrollBody(directory.UnenrollRequest):
    class Meta:
        exclude = ("viewer", "person_id")


class AddStaffBody(directory.AddStaffRequest):
    class Meta:
        exclude = ("viewer",)


class JobTitleBody(directory.SetJobTitleRequest):
    class Meta:
        exclude = ("viewer", "person_id")


class StaffClassroomBody(directory.AssignStaffRequest):
    class Meta:
        exclude = ("viewer", "person_id")


class AddGuardianBody(directory.AddGuardianRequest):
    class Meta:
        exclude = ("viewer", "student_id")


class UpdateGuardianBody(directory.UpdateGuardianRequest):
    class Meta:
        exclude = ("viewer", "guardian_id", "student_id")


class RemoveGuardiansBody(directory.RemoveGuardiansRequest):
    class Meta:
        exclude = ("viewer",)


class RemoveGuardiansResult(EnableStudentAccountsResult):
    """Per selected student: done, already (no guardian), not_found, or refused with the reason."""


class ArchiveClassroomsBody(directory.ArchiveClassroomsRequest):
    class Meta:
        exclude = ("viewer",)


class AuditLogQuery(directory.GetAuditLogRequest):
    class Meta:
        exclude = ("viewer",)


class SyncRunChangesQuery(rostering.GetSyncRunChangesRequest):
    class Meta:
        exclude = ("run_id",)


class RejectSyncRunBody(rostering.DecideSyncRunRequest):
    class Meta:
        exclude = ("run_id", "decided_by")


class SyncRunFollowed(rostering.FollowedSyncRun):
    """A run as a client following it polls it: state, progress and counts, without its (long) findings."""

    poll_after_seconds = fields.Float(required=True, allow_none=True, metadata={
        "description": "how long to wait before asking again; null once the run has ended"})


class SyncSettingsBody(rostering.UpdateDistrictSyncSettingsRequest):
    """The settings to change, of the caller's district; absent ones stay as they are."""

    class Meta:
        exclude = ("district_id", "changed_by")


# --- invitations ---

class InvitationsBody(notify.InvitationAudience):
    """Send Invitations: a school or a classroom, and which of its people."""


class InvitationJobQuery(notify.GetInvitationJobRequest):
    class Meta:
        exclude = ("viewer", "job_id")


# --- conversations: the sender comes from the token, the conversation from the path ---

class StartConversationBody(conversations.StartConversationRequest):
    class Meta:
        exclude = ("sender",)


class ConversationMessageBody(conversations.PostMessageRequest):
    class Meta:
        exclude = ("sender", "conversation_id")

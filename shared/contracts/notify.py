"""notify: preferences, announcements, deliveries, credential health, provider webhooks and the recipient projection."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import directory, identity
from shared.contracts.base import ServiceContract
from shared.contracts.common import ItemResult

NAME = "notify"
contract = ServiceContract(NAME)


class GetRecipientsRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=5000))


class Recipient(Schema):
    person_id = fields.String(required=True)
    district_id = fields.String(allow_none=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    mobile_phone = fields.String(allow_none=True)
    account_status = fields.String(allow_none=True, validate=validate.OneOf(identity.ACCOUNT_STATUSES),
                                   metadata={"description": "identity's account status; null until identity "
                                                            "has described the account"})
    roles = fields.List(fields.String(), required=True)
    kinds = fields.List(fields.String(), required=True)
    school_ids = fields.List(fields.String(), required=True)
    student_account_enabled = fields.Boolean(required=True)
    joined = fields.Boolean(required=True)
    archived = fields.Boolean(required=True)
    language = fields.String(load_default=identity.DEFAULT_LANGUAGE, metadata={
        "description": "the BCP 47 tag of the person's language (identity's account)"})


class Recipients(Schema):
    recipients = fields.List(fields.Nested(Recipient), required=True)


# --- preferences ------------------------------------------------------------------------------

PREFERENCES = ("email_app", "sms_app", "app_only")
DISTRICT_PREFERENCES = ("email_app", "sms_app")


class GetPreferencesRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000))


class PersonPreference(Schema):
    person_id = fields.String(required=True)
    preference = fields.String(required=True, validate=validate.OneOf(PREFERENCES),
                               metadata={"description": "what the planner uses: the choice, else the default (Email+app "
                                                         "for a student, the district default for anyone else)"})
    chosen = fields.Boolean(required=True, metadata={"description": "false when it is a default"})
    chosen_at = fields.DateTime(allow_none=True)


class Preferences(Schema):
    preferences = fields.List(fields.Nested(PersonPreference), required=True)


class SetPreferenceRequest(Schema):
    person_id = fields.String(required=True)
    preference = fields.String(required=True, validate=validate.OneOf(PREFERENCES))
    changed_by = fields.String(required=True)


class DistrictSettingsRequest(Schema):
    district_id = fields.String(required=True)


class DistrictSettings(Schema):
    district_id = fields.String(required=True)
    default_preference = fields.String(required=True, validate=validate.OneOf(DISTRICT_PREFERENCES))
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)


class SetDistrictDefaultRequest(Schema):
    district_id = fields.String(required=True)
    default_preference = fields.String(required=True, validate=validate.OneOf(DISTRICT_PREFERENCES))
    changed_by = fields.String(required=True)


# --- announcements and their deliveries ---------------------------------------------------------

CHANNELS = ("email", "sms", "voice", "app")
DELIVERY_STATUSES = ("planned", "queued", "sent", "delivered", "failed", "fell_back", "skipped")
COMMUNICATION_STATES = ("planning", "queued", "completed")


class SendAnnouncementRequest(Schema):
    sender = fields.Nested(identity.Principal, required=True)
    audience = fields.Nested(directory.Audience, required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    priority = fields.Boolean(load_default=False)
    with_call = fields.Boolean(load_default=False, metadata={"description": "priority only: a voice call too"})

    @validates_schema
    def call_needs_priority(self, data, **kwargs):
        if data.get("with_call") and not data.get("priority"):
            raise ValidationError("a voice call can be added only to a priority announcement", "with_call")


class Announcement(Schema):
    communication_id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(COMMUNICATION_STATES))
    created_at = fields.DateTime(required=True)
    recipient_count = fields.Integer(required=True, metadata={
        "description": "people the audience resolved to; students whose account is not enabled are among them "
                       "and get nothing"})
    refused = fields.List(fields.Nested(ItemResult), required=True,
                          metadata={"description": "selected people left out, from directory"})


class DeliveryReportRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    communication_id = fields.String(required=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    status = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(DELIVERY_STATUSES))


class DeliveryLine(Schema):
    person_id = fields.String(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    address = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATUSES))
    reason = fields.String(allow_none=True)
    fallback_of = fields.String(allow_none=True, metadata={"description": "the failed delivery this one replaces"})
    updated_at = fields.DateTime(allow_none=True)


class DeliveryReport(Schema):
    communication_id = fields.String(required=True)
    subject = fields.String(required=True)
    priority = fields.Boolean(required=True)
    state = fields.String(required=True, validate=validate.OneOf(COMMUNICATION_STATES))
    sender_id = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()),
                         required=True, metadata={"description": "channel -> status -> count"})
    unreachable = fields.Integer(required=True)
    lines = fields.List(fields.Nested(DeliveryLine), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class UnreachableContactsRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True)
    school_id = fields.String(required=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class UnreachableContact(Schema):
    person_id = fields.String(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    kinds = fields.List(fields.String(), required=True)
    reason = fields.String(required=True)


class UnreachableContacts(Schema):
    school_id = fields.String(required=True)
    contacts = fields.List(fields.Nested(UnreachableContact), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


# --- credential health and Reset Status ---------------------------------------------------------

CREDENTIAL_KINDS = ("email", "mobile_phone")
CREDENTIAL_STATES = ("good", "bad", "opted_out")


class GetCredentialHealthRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000))


class CredentialHealth(Schema):
    person_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS))
    address = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_STATES))
    reason = fields.String(allow_none=True)
    last_status = fields.String(allow_none=True, metadata={"description": "most recent delivery status on it"})
    updated_at = fields.DateTime(allow_none=True)


class CredentialHealthList(Schema):
    credentials = fields.List(fields.Nested(CredentialHealth), required=True)


class ResetCredentialStatusRequest(Schema):
    person_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS))
    reset_by = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class CredentialStatusReset(Schema):
    person_id = fields.String(required=True)
    kind = fields.String(required=True)
    address = fields.String(required=True)
    previous_state = fields.String(required=True)
    previous_reason = fields.String(allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_STATES))
    reset_by = fields.String(required=True)
    reason = fields.String(allow_none=True)
    reset_at = fields.DateTime(required=True)


# --- provider webhooks (received by the gateway, verified and applied here) ---------------------

WEBHOOK_KINDS = ("twilio_status", "twilio_inbound", "sendgrid_events")


class ProviderWebhookRequest(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(WEBHOOK_KINDS))
    url = fields.String(required=True, metadata={"description": "the full URL the provider called (Twilio signs it)"})
    headers = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    body = fields.String(required=True, metadata={"description": "the raw request body, as received"})


class ProviderWebhookResult(Schema):
    accepted = fields.Boolean(required=True)
    applied = fields.Integer(required=True, metadata={"description": "status reports applied"})


# --- verification codes (identity proves a person controls a new email or mobile) ---------------

VERIFIED_KINDS = ("email", "mobile_phone")


class SendVerificationCodeRequest(Schema):
    """A one-off message to an address that is not (yet) the person's credential: no preference applies."""

    person_id = fields.String(required=True)
    district_id = fields.String(allow_none=True, load_default=None)
    kind = fields.String(required=True, validate=validate.OneOf(VERIFIED_KINDS))
    address = fields.String(required=True, metadata={"description": "normalised email, or E.164 mobile"})
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"), load_only=True)
    expires_at = fields.DateTime(required=True)


class VerificationCodeQueued(Schema):
    delivery_id = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(("email", "sms")))


# --- invitations (DESIGN.md I1-I3; tokens from identity.issue_join_tokens) --------------------------

# Whom an audience invitation is for: any of these kinds of the school or classroom (enabled students only).
INVITATION_KINDS = ("staff", "guardian", "student")
INVITED, SKIPPED, PENDING = "invited", "skipped", "pending"
INVITATION_OUTCOMES = (INVITED, SKIPPED)
# Why a person got no invitation. The first five are identity's join-token outcomes too.
INVITATION_SKIP_REASONS = ("joined", "not_enabled", "archived", "not_found", "disabled", "no_usable_credential")
INVITATION_JOB_STATES = ("running", "completed")


class InvitationAudience(Schema):
    school_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "a school of the inviter's: its staff, its students' guardians, its students"})
    classroom_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "a classroom the inviter may reach: its students' guardians and its students"})
    kinds = fields.List(fields.String(validate=validate.OneOf(INVITATION_KINDS)), required=True,
                        validate=validate.Length(min=1), metadata={
                            "description": "any of staff (school audiences only), guardian, student (enabled "
                                           "students only)"})

    @validates_schema
    def one_target(self, data, **kwargs):
        if bool(data.get("school_id")) == bool(data.get("classroom_id")):
            raise ValidationError("give exactly one of school_id or classroom_id", "school_id")
        if "staff" in data.get("kinds", ()) and data.get("classroom_id"):
            raise ValidationError("staff can be invited by school, not by classroom", "kinds")


class SendInvitationRequest(Schema):
    """Send Invitation to Join, and Resend Invitation: the same action; a new token replaces the old one."""

    inviter = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who invites (the signed-in person): scope and permissions are theirs"})
    person_id = fields.String(required=True, metadata={"description": "the person to invite"})


class InvitationResult(Schema):
    person_id = fields.String(required=True, metadata={"description": "the person invited or skipped"})
    outcome = fields.String(required=True, validate=validate.OneOf(INVITATION_OUTCOMES + (PENDING,)), metadata={
        "description": "invited (by `channel`), skipped (see `reason`), or pending while a job runs"})
    channel = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(("email", "sms")), metadata={
        "description": "how the invitation went out (rows I1, I2); null when skipped or pending"})
    reason = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(INVITATION_SKIP_REASONS),
                           metadata={"description": "why nobody was invited (skipped only)"})
    detail = fields.String(allow_none=True, load_default=None, metadata={
        "description": "for no_usable_credential, why (no_credential, no_good_credential, student_sms_not_allowed)"})
    communication_id = fields.String(allow_none=True, load_default=None,
                                     metadata={"description": "its delivery report"})
    expires_at = fields.DateTime(allow_none=True, load_default=None,
                                 metadata={"description": "when the Join link and code stop working (invited only)"})


class StartInvitationsRequest(Schema):
    inviter = fields.Nested(identity.Principal, required=True,
                            metadata={"description": "who invites (the signed-in person, from the gateway)"})
    audience = fields.Nested(InvitationAudience, required=True, metadata={"description": "whom to invite"})


class GetInvitationJobRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who asks: the job's inviter or one of the district's administrators"})
    job_id = fields.String(required=True, metadata={"description": "the job start_invitations answered"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000),
                          metadata={"description": "the page of per-person results, from 1"})
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000),
                              metadata={"description": "results per page"})
    outcome = fields.String(allow_none=True, load_default=None,
                            validate=validate.OneOf(INVITATION_OUTCOMES + (PENDING,)), metadata={
        "description": "only the results with this outcome"})


class InvitationJob(Schema):
    job_id = fields.String(required=True, metadata={"description": "the job's id"})
    state = fields.String(required=True, validate=validate.OneOf(INVITATION_JOB_STATES),
                          metadata={"description": "running until every person has a result, then completed"})
    communication_id = fields.String(required=True, metadata={"description": "its delivery report"})
    audience = fields.Nested(InvitationAudience, required=True, metadata={"description": "whom the job invites"})
    requested_by = fields.String(required=True, metadata={"description": "the inviter's person id"})
    created_at = fields.DateTime(required=True, metadata={"description": "when the job was started"})
    finished_at = fields.DateTime(allow_none=True,
                                  metadata={"description": "when the last person got a result; null while running"})
    total = fields.Integer(required=True, metadata={"description": "people the audience resolved to"})
    processed = fields.Integer(required=True, metadata={"description": "people with a result so far"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "invited, skipped and each skip reason -> people"})
    results = fields.List(fields.Nested(InvitationResult), required=True, metadata={"description": "one page"})
    page = fields.Integer(required=True, metadata={"description": "the page of results shown"})
    per_page = fields.Integer(required=True, metadata={"description": "results per page"})


class IssuePrintableInvitationRequest(Schema):
    """Invite in another way: the invitation as a printable page; issuing it replaces any earlier token."""

    inviter = fields.Nested(identity.Principal, required=True,
                            metadata={"description": "who invites (the signed-in person, from the gateway)"})
    person_id = fields.String(required=True, metadata={"description": "the person the page is for"})


class PrintableInvitation(Schema):
    person_id = fields.String(required=True, metadata={"description": "the person invited"})
    given_name = fields.String(required=True, metadata={"description": "the person's given name, as the page shows it"})
    family_name = fields.String(required=True,
                                metadata={"description": "the person's family name, as the page shows it"})
    district_name = fields.String(required=True, metadata={"description": "the inviting district's name"})
    join_code = fields.String(required=True, metadata={
        "description": "the code to type on the Join page (a secret: print it, do not log it)"})
    join_url = fields.String(required=True,
                             metadata={"description": "the Join link (with its secret token), for the QR code"})
    expires_at = fields.DateTime(required=True, metadata={"description": "when the link and code stop working"})


# --- events -------------------------------------------------------------------------------------

class AnnouncementRequested(Schema):
    """notify to itself: plan and queue in the background, so the sender's call returns at once."""

    communication_id = fields.String(required=True)


class InvitationsRequested(Schema):
    """notify to itself: work through an invitation job in the background."""

    job_id = fields.String(required=True, metadata={"description": "the job with people still pending"})


class CredentialStatusChanged(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS))
    address = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_STATES))
    reason = fields.String(allow_none=True)


get_recipients = contract.rpc("get_recipients", request=GetRecipientsRequest, response=Recipients)
get_preferences = contract.rpc("get_preferences", request=GetPreferencesRequest, response=Preferences)
set_preference = contract.rpc("set_preference", request=SetPreferenceRequest, response=PersonPreference)
get_district_settings = contract.rpc("get_district_settings", request=DistrictSettingsRequest,
                                     response=DistrictSettings)
set_district_default = contract.rpc("set_district_default", request=SetDistrictDefaultRequest,
                                    response=DistrictSettings)
send_announcement = contract.rpc("send_announcement", request=SendAnnouncementRequest, response=Announcement)
get_delivery_report = contract.rpc("get_delivery_report", request=DeliveryReportRequest, response=DeliveryReport)
list_unreachable_contacts = contract.rpc("list_unreachable_contacts", request=UnreachableContactsRequest,
                                         response=UnreachableContacts)
get_credential_health = contract.rpc("get_credential_health", request=GetCredentialHealthRequest,
                                     response=CredentialHealthList)
reset_credential_status = contract.rpc("reset_credential_status", request=ResetCredentialStatusRequest,
                                       response=CredentialStatusReset)
send_verification_code = contract.rpc("send_verification_code", request=SendVerificationCodeRequest,
                                      response=VerificationCodeQueued)
send_invitation = contract.rpc("send_invitation", request=SendInvitationRequest, response=InvitationResult)
start_invitations = contract.rpc("start_invitations", request=StartInvitationsRequest, response=InvitationJob)
get_invitation_job = contract.rpc("get_invitation_job", request=GetInvitationJobRequest, response=InvitationJob)
issue_printable_invitation = contract.rpc("issue_printable_invitation", request=IssuePrintableInvitationRequest,
                                          response=PrintableInvitation)
receive_provider_webhook = contract.rpc("receive_provider_webhook", request=ProviderWebhookRequest,
                                        response=ProviderWebhookResult)

ANNOUNCEMENT_REQUESTED = contract.event("announcement_requested", AnnouncementRequested)
INVITATIONS_REQUESTED = contract.event("invitations_requested", InvitationsRequested)
CREDENTIAL_STATUS_CHANGED = contract.event("credential_status_changed", CredentialStatusChanged)

contract.subscribe(
    ANNOUNCEMENT_REQUESTED,
    INVITATIONS_REQUESTED,
    identity.ACCOUNTS_UPSERTED,
    identity.USER_JOINED,
    directory.PEOPLE_UPSERTED,
    directory.STUDENT_ACCOUNTS_ENABLED,
)

"""notify: preferences, announcements, deliveries, credential health, provider webhooks and the recipient projection."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import directory, identity
from shared.contracts.base import ServiceContract
from shared.contracts.common import ItemResult, Timestamp

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
    chosen_at = Timestamp(allow_none=True)


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
    updated_at = Timestamp(allow_none=True)
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
    created_at = Timestamp(required=True)
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
    updated_at = Timestamp(allow_none=True)


class DeliveryReport(Schema):
    communication_id = fields.String(required=True)
    subject = fields.String(required=True)
    priority = fields.Boolean(required=True)
    state = fields.String(required=True, validate=validate.OneOf(COMMUNICATION_STATES))
    sender_id = fields.String(allow_none=True)
    created_at = Timestamp(required=True)
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
    updated_at = Timestamp(allow_none=True)


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
    reset_at = Timestamp(required=True)


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


# --- events -------------------------------------------------------------------------------------

class AnnouncementRequested(Schema):
    """notify to itself: plan and queue in the background, so the sender's call returns at once."""

    communication_id = fields.String(required=True)


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
receive_provider_webhook = contract.rpc("receive_provider_webhook", request=ProviderWebhookRequest,
                                        response=ProviderWebhookResult)

ANNOUNCEMENT_REQUESTED = contract.event("announcement_requested", AnnouncementRequested)
CREDENTIAL_STATUS_CHANGED = contract.event("credential_status_changed", CredentialStatusChanged)

contract.subscribe(
    ANNOUNCEMENT_REQUESTED,
    identity.ACCOUNTS_UPSERTED,
    identity.USER_JOINED,
    directory.PEOPLE_UPSERTED,
    directory.STUDENT_ACCOUNTS_ENABLED,
)

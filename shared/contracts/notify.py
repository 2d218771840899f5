"""notify: preferences, announcements, deliveries, credential health, provider webhooks and the recipient projection."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import conversations, directory, identity
from shared.contracts import notify_history as history
from shared.contracts import moderation
from shared.contracts import notify_inbox as inbox
from shared.contracts import notify_queues as queues
from shared.contracts.base import ServiceContract
from shared.contracts.common import ItemResult, Timestamp
from shared.contracts.provider_webhooks import (  # noqa: F401 (re-exported)
    WEBHOOK_KINDS,
    WEBHOOK_REFUSALS,
    WEBHOOK_REPLAY_REFUSED,
    WEBHOOK_SIGNATURE_REFUSED,
)
from shared.contracts.notify_languages import AudiencePreview, OriginalText, TranslationLine
from shared.contracts.health import declare_health_check

NAME = "notify"
contract = ServiceContract(NAME)
check_health = declare_health_check(contract)


class GetRecipientsRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=5000), metadata={
        "description": "the directory's ids of the people wanted, at most "
                       "5,000; people notify does not know are left out"})


class Recipient(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    district_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the person's district; null until a source has named it"})
    given_name = fields.String(allow_none=True, metadata={
        "description": "the person's given name, from the directory once "
                       "it has described them, else from the account"})
    family_name = fields.String(allow_none=True, metadata={
        "description": "the person's family name, from the directory once "
                       "it has described them, else from the account"})
    email = fields.String(allow_none=True, metadata={
        "description": "the account's email address, lower case; null "
                       "when it has none or identity has not described it"})
    mobile_phone = fields.String(allow_none=True, metadata={
        "description": "the account's mobile phone in E.164; null when it has none or identity has not described it"})
    account_status = fields.String(allow_none=True, validate=validate.OneOf(identity.ACCOUNT_STATUSES),
                                   metadata={"description": "identity's account status; null until identity "
                                                            "has described the account"})
    roles = fields.List(fields.String(), required=True, metadata={
        "description": "the identity roles the account holds (district_admin, "
                       "school_admin, teacher, guardian, student)"})
    kinds = fields.List(fields.String(), required=True, metadata={
        "description": "what the directory says the person is (student, "
                       "staff, guardian); empty until it has described them"})
    school_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the directory's ids of the person's schools; empty until the directory has described them"})
    student_account_enabled = fields.Boolean(required=True, metadata={
        "description": "true once the school has enabled the person's student account; never turns false"})
    joined = fields.Boolean(required=True, metadata={
        "description": "true once the person has signed in for the first time; never turns false"})
    archived = fields.Boolean(required=True, metadata={
        "description": "true when the directory archived the person, who then gets nothing"})
    language = fields.String(load_default=identity.DEFAULT_LANGUAGE, metadata={
        "description": "the BCP 47 tag of the person's language (identity's account)"})


class Recipients(Schema):
    recipients = fields.List(fields.Nested(Recipient), required=True, metadata={
        "description": "the recipients found, in the order asked, each once"})


# --- preferences ------------------------------------------------------------------------------

PREFERENCES = ("email_app", "sms_app", "app_only")
DISTRICT_PREFERENCES = ("email_app", "sms_app")


class GetPreferencesRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000), metadata={
        "description": "the directory's ids of the people whose preferences are wanted, 1 to 5,000"})


class PersonPreference(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    preference = fields.String(required=True, validate=validate.OneOf(PREFERENCES),
                               metadata={"description": "what the planner uses: the choice, else the default (Email+app "
                                                         "for a student, the district default for anyone else)"})
    chosen = fields.Boolean(required=True, metadata={"description": "false when it is a default"})
    chosen_at = Timestamp(allow_none=True, metadata={
        "description": "when the person's choice was made, ISO 8601 with zone (UTC); null when it is a default"})


class Preferences(Schema):
    preferences = fields.List(fields.Nested(PersonPreference), required=True, metadata={
        "description": "one preference per person asked for, in the order asked, each once"})


class SetPreferenceRequest(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person whose preference is set"})
    preference = fields.String(required=True, validate=validate.OneOf(PREFERENCES), metadata={
        "description": "how the person is reached outside the app: email_app "
                       "(Email+app), sms_app (SMS+app) or app_only"})
    changed_by = fields.String(required=True, metadata={
        "description": "the person id of who made the choice (the person, or "
                       "staff allowed to), set by the gateway from the token"})


class DistrictSettingsRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district, the asker's own (set by the gateway from the token)"})


class DistrictSettings(Schema):
    district_id = fields.String(required=True, metadata={"description": "the directory's id of the district"})
    default_preference = fields.String(required=True, validate=validate.OneOf(DISTRICT_PREFERENCES), metadata={
        "description": "the preference of every adult who has not chosen one: email_app (the default) or sms_app"})
    updated_at = Timestamp(allow_none=True, metadata={
        "description": "when the default was last set, ISO 8601 with zone (UTC); null when it was never set"})
    updated_by = fields.String(allow_none=True, metadata={
        "description": "the person id of who last set the default; null when it was never set"})


class SetDistrictDefaultRequest(Schema):
    district_id = fields.String(required=True, metadata={
        "description": "the directory's id of the district, the asker's own (set by the gateway from the token)"})
    default_preference = fields.String(required=True, validate=validate.OneOf(DISTRICT_PREFERENCES), metadata={
        "description": "the new default for adults who have not chosen: email_app or sms_app"})
    changed_by = fields.String(required=True, metadata={
        "description": "the person id of the administrator making the change, set by the gateway from the token"})


# --- announcements and their deliveries ---------------------------------------------------------

CHANNELS = ("email", "sms", "voice", "app", "push")
DELIVERY_STATUSES = ("planned", "queued", "sent", "delivered", "failed", "fell_back", "skipped")
COMMUNICATION_STATES = ("planning", "queued", "completed")


class SendAnnouncementRequest(Schema):
    sender = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who sends it (an identity Principal), who must belong to a district and "
                       "bounds the audience: set by the gateway from the token, never from the body"})
    audience = fields.Nested(directory.Audience, required=True, metadata={
        "description": "whom the announcement is for"})
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "the announcement's subject, 1 to 200 characters"})
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000), metadata={
        "description": "the announcement's text, 1 to 10,000 characters"})
    priority = fields.Boolean(load_default=False, metadata={
        "description": "true overrides preferences: SMS to every good mobile "
                       "and email to every good email (default false)"})
    with_call = fields.Boolean(load_default=False, metadata={"description": "priority only: a voice call too"})

    @validates_schema
    def call_needs_priority(self, data, **kwargs):
        if data.get("with_call") and not data.get("priority"):
            raise ValidationError("a voice call can be added only to a priority announcement", "with_call")


class Announcement(Schema):
    communication_id = fields.String(required=True, metadata={
        "description": "notify's id of the communication, for its delivery report"})
    state = fields.String(required=True, validate=validate.OneOf(COMMUNICATION_STATES), metadata={
        "description": "planning when answered: its deliveries are planned and queued in the background"})
    created_at = Timestamp(required=True, metadata={
        "description": "when the announcement was accepted, ISO 8601 with zone (UTC)"})
    recipient_count = fields.Integer(required=True, metadata={
        "description": "people the audience resolved to; students whose account is not enabled are among them "
                       "and get nothing"})
    refused = fields.List(fields.Nested(ItemResult), required=True,
                          metadata={"description": "selected people left out, from directory"})


class DeliveryReportRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal): its sender, an administrator, "
                       "or staff with Engagement Visibility; set by the gateway from the token"})
    communication_id = fields.String(required=True, metadata={"description": "notify's id of the communication"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1), metadata={
        "description": "the page of lines wanted, from 1"})
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000), metadata={
        "description": "lines per page, 1 to 1,000 (default 100)"})
    status = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(DELIVERY_STATUSES), metadata={
        "description": "only lines with this delivery status; null for every line"})


class DeliveryLine(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the recipient"})
    given_name = fields.String(allow_none=True, metadata={
        "description": "the recipient's given name; null when notify does not know it"})
    family_name = fields.String(allow_none=True, metadata={
        "description": "the recipient's family name; null when notify does not know it"})
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS), metadata={
        "description": "the channel of this delivery: email, sms, voice, app (the inbox) or push (the "
                       "person's registered devices)"})
    address = fields.String(allow_none=True, metadata={
        "description": "the email address or E.164 phone it went (or would have gone) to; null on the app channel"})
    status = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATUSES), metadata={
        "description": "planned, queued, sent, delivered, failed, fell_back "
                       "(failed, and went out on the other channel) or skipped"})
    reason = fields.String(allow_none=True, metadata={
        "description": "why it was skipped or failed (a planner reason such "
                       "as no_email, or the provider's error); null otherwise"})
    fallback_of = fields.String(allow_none=True, metadata={"description": "the failed delivery this one replaces"})
    updated_at = Timestamp(allow_none=True, metadata={
        "description": "when its status last changed, ISO 8601 with zone (UTC); null when it never did"})
    read_at = Timestamp(allow_none=True, load_default=None, metadata={
        "description": "app lines: when the recipient opened it in the inbox, null while unread; null on every "
                       "other channel"})


class InboxReadCounts(Schema):
    read = fields.Integer(required=True, metadata={"description": "inbox items of this communication opened"})
    unread = fields.Integer(required=True, metadata={"description": "inbox items of this communication not opened"})


class DeliveryReport(Schema):
    communication_id = fields.String(required=True, metadata={"description": "notify's id of the communication"})
    subject = fields.String(required=True, metadata={"description": "the communication's subject"})
    priority = fields.Boolean(required=True, metadata={"description": "true when it was sent as priority"})
    state = fields.String(required=True, validate=validate.OneOf(COMMUNICATION_STATES), metadata={
        "description": "planning, queued (handed to the senders) or completed (nothing outstanding)"})
    sender_id = fields.String(allow_none=True, metadata={
        "description": "the person id of the sender; null when none is recorded"})
    created_at = Timestamp(required=True, metadata={
        "description": "when the communication was accepted, ISO 8601 with zone (UTC)"})
    counts = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()),
                         required=True, metadata={"description": "channel -> status -> count"})
    unreachable = fields.Integer(required=True, metadata={
        "description": "people with email, SMS or call deliveries none of which reached them or still may"})
    app_read = fields.Nested(InboxReadCounts, required=True, metadata={
        "description": "the app line's read state: how many recipients opened it in their inbox, and how many "
                       "have not"})
    lines = fields.List(fields.Nested(DeliveryLine), required=True, metadata={
        "description": "this page of deliveries, one per person and channel"})
    total = fields.Integer(required=True, metadata={"description": "lines matching the status filter, over every page"})
    page = fields.Integer(required=True, metadata={"description": "the page answered, from 1"})
    per_page = fields.Integer(required=True, metadata={"description": "lines per page, as asked"})
    original = fields.Nested(OriginalText, required=True, metadata={
        "description": "the communication as written, in its sender's language, with its SMS size"})
    translations = fields.List(fields.Nested(TranslationLine), required=True, metadata={
        "description": "each other language among its recipients: the text they got (translated, or the "
                       "original with a note when the translator failed) and its SMS size"})


class UnreachableContactsRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is asking (an identity Principal): an administrator of the "
                       "school, or staff with School-Wide Communications, Users Manager "
                       "or Rostering Administrator; set by the gateway from the token"})
    school_id = fields.String(required=True, metadata={"description": "the directory's id of the school"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1), metadata={
        "description": "the page wanted, from 1"})
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000), metadata={
        "description": "contacts per page, 1 to 1,000 (default 100)"})


class UnreachableContact(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    given_name = fields.String(allow_none=True, metadata={
        "description": "the person's given name; null when notify does not know it"})
    family_name = fields.String(allow_none=True, metadata={
        "description": "the person's family name; null when notify does not know it"})
    kinds = fields.List(fields.String(), required=True, metadata={
        "description": "what the person is (student, staff, guardian)"})
    reason = fields.String(required=True, metadata={
        "description": "why a plain announcement would reach them only in the app, e.g. "
                       "no_email, email_bad, mobile_opted_out, app_only_preference"})


class UnreachableContacts(Schema):
    school_id = fields.String(required=True, metadata={"description": "the directory's id of the school"})
    contacts = fields.List(fields.Nested(UnreachableContact), required=True, metadata={
        "description": "this page of unreachable people, by family name, then given name"})
    total = fields.Integer(required=True, metadata={"description": "unreachable people of the school, over every page"})
    page = fields.Integer(required=True, metadata={"description": "the page answered, from 1"})
    per_page = fields.Integer(required=True, metadata={"description": "contacts per page, as asked"})


# --- credential health and Reset Status ---------------------------------------------------------

CREDENTIAL_KINDS = ("email", "mobile_phone")
CREDENTIAL_STATES = ("good", "bad", "opted_out")


class GetCredentialHealthRequest(Schema):
    person_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000), metadata={
        "description": "the directory's ids of the people whose credentials are wanted, 1 to 5,000"})


class CredentialHealth(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person holding the credential"})
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS), metadata={
        "description": "email or mobile_phone"})
    address = fields.String(required=True, metadata={
        "description": "the email address (lower case) or mobile phone (E.164)"})
    state = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_STATES), metadata={
        "description": "good, bad (a delivery to it failed for good) or opted_out (its owner texted STOP)"})
    reason = fields.String(allow_none=True, metadata={
        "description": "why it is bad or opted out (a bounce reason, say); null when good"})
    last_status = fields.String(allow_none=True, metadata={"description": "most recent delivery status on it"})
    updated_at = Timestamp(allow_none=True, metadata={
        "description": "when its state last changed, ISO 8601 with zone (UTC); null when it never did"})


class CredentialHealthList(Schema):
    credentials = fields.List(fields.Nested(CredentialHealth), required=True, metadata={
        "description": "the email and mobile phone of each person notify knows, in the order asked"})


class ResetCredentialStatusRequest(Schema):
    person_id = fields.String(required=True, metadata={
        "description": "the directory's id of the person whose credential is reset"})
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS), metadata={
        "description": "which of their credentials: email or mobile_phone"})
    reset_by = fields.String(required=True, metadata={
        "description": "the person id of the staff member resetting it, set by the gateway from the token"})
    reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500), metadata={
        "description": "a note for the record, at most 500 characters; null when none"})


class ProviderSuppressionsLifted(Schema):
    lifted = fields.List(fields.String(), required=True, metadata={
        "description": "the provider's lists of failed deliveries the address was taken off "
                       "(bounces, blocks, invalid_emails)"})
    kept = fields.List(fields.String(), required=True, metadata={
        "description": "lists the address stays on because the person chose them (spam_reports, "
                       "global_unsubscribes): later emails to it are still dropped by the provider"})


class CredentialStatusReset(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    kind = fields.String(required=True, metadata={"description": "email or mobile_phone"})
    address = fields.String(required=True, metadata={
        "description": "the credential reset, shared by everyone who holds it: a lower-case email or an E.164 phone"})
    previous_state = fields.String(required=True, metadata={"description": "its state before the reset (bad)"})
    previous_reason = fields.String(allow_none=True, metadata={
        "description": "why it was bad; null when no reason was recorded"})
    state = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_STATES), metadata={
        "description": "its state now: good"})
    reset_by = fields.String(required=True, metadata={"description": "the person id of the staff member who reset it"})
    reason = fields.String(allow_none=True, metadata={"description": "the note given with the reset; null when none"})
    reset_at = Timestamp(required=True, metadata={"description": "when it was reset, ISO 8601 with zone (UTC)"})
    provider_suppressions = fields.Nested(ProviderSuppressionsLifted, allow_none=True, metadata={
        "description": "for an email: what was done about the email provider's suppression lists, so the retry "
                       "is not dropped by the provider; null for a phone, or when no email provider is configured"})


# --- provider webhooks (received by the gateway, verified and applied here) ---------------------

# The kinds and the reasons for refusing one: shared/contracts/provider_webhooks.py, where the queue is declared.


class ProviderWebhookRequest(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(WEBHOOK_KINDS), metadata={
        "description": "which webhook: twilio_status (an SMS or call status), "
                       "twilio_inbound (an SMS received) or sendgrid_events (email events)"})
    url = fields.String(required=True, metadata={"description": "the full URL the provider called (Twilio signs it)"})
    headers = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "the request's headers as received, whose signature header is verified"})
    body = fields.String(required=True, metadata={"description": "the raw request body, as received"})


class ProviderWebhookResult(Schema):
    accepted = fields.Boolean(required=True, metadata={
        "description": "false when the signature does not verify or is outside the replay window: nothing "
                       "was stored or changed (the gateway answers 403)"})
    applied = fields.Integer(required=True, metadata={
        "description": "status reports applied; 0 for an inbound SMS, which is stored before the answer and "
                       "applied (filed, or STOP/START) moments later with others in a batch"})
    refused = fields.String(validate=validate.OneOf(WEBHOOK_REFUSALS), metadata={
        "description": "when not accepted, why: signature (it does not verify) or replayed (a SendGrid batch "
                       "signed further from now than the replay window)"})


# --- verification codes (identity proves a person controls a new email or mobile) ---------------

VERIFIED_KINDS = ("email", "mobile_phone")


class SendVerificationCodeRequest(Schema):
    """A one-off message to an address that is not (yet) the person's credential: no preference applies."""

    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person asking"})
    district_id = fields.String(allow_none=True, load_default=None, metadata={
        "description": "the person's district (whose name the message carries); null when none"})
    kind = fields.String(required=True, validate=validate.OneOf(VERIFIED_KINDS), metadata={
        "description": "email (sent by email) or mobile_phone (sent by SMS)"})
    address = fields.String(required=True, metadata={"description": "normalised email, or E.164 mobile"})
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"), load_only=True, metadata={
        "description": "the 6 digits to send; never logged"})
    expires_at = Timestamp(required=True, metadata={
        "description": "when the code stops working, shown in the message; ISO 8601 with zone"})


class VerificationCodeQueued(Schema):
    delivery_id = fields.String(required=True, metadata={"description": "notify's id of the queued delivery"})
    channel = fields.String(required=True, validate=validate.OneOf(("email", "sms")), metadata={
        "description": "how the code goes: email or sms"})


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
    expires_at = Timestamp(allow_none=True, load_default=None,
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
    created_at = Timestamp(required=True, metadata={"description": "when the job was started"})
    finished_at = Timestamp(allow_none=True,
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
    expires_at = Timestamp(required=True, metadata={"description": "when the link and code stop working"})


# --- events -------------------------------------------------------------------------------------

class AnnouncementRequested(Schema):
    """notify to itself: plan and queue in the background, so the sender's call returns at once."""

    communication_id = fields.String(required=True, metadata={
        "description": "notify's id of the announcement to plan and queue"})


class InvitationsRequested(Schema):
    """notify to itself: work through an invitation job in the background."""

    job_id = fields.String(required=True, metadata={"description": "the job with people still pending"})


class CredentialStatusChanged(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_KINDS), metadata={
        "description": "email or mobile_phone"})
    address = fields.String(required=True, metadata={
        "description": "the credential, shared by everyone who holds it: a lower-case email or an E.164 phone"})
    state = fields.String(required=True, validate=validate.OneOf(CREDENTIAL_STATES), metadata={
        "description": "its state now: good, bad or opted_out"})
    reason = fields.String(allow_none=True, metadata={"description": "why it is bad or opted out; null when good"})


get_recipients = contract.rpc("get_recipients", request=GetRecipientsRequest, response=Recipients,
                              description="What notify knows of each person it may reach "
                                          "(its projection of identity and directory).")
get_preferences = contract.rpc("get_preferences", request=GetPreferencesRequest, response=Preferences,
                               description="Each person's communication preference in force, "
                                           "and whether it is their choice or a default.")
set_preference = contract.rpc("set_preference", request=SetPreferenceRequest, response=PersonPreference,
                              description="Set a person's communication preference.")
get_district_settings = contract.rpc("get_district_settings", request=DistrictSettingsRequest,
                                     response=DistrictSettings,
                                     description="A district's default communication "
                                                 "preference for adults who have not chosen.")
set_district_default = contract.rpc("set_district_default", request=SetDistrictDefaultRequest,
                                    response=DistrictSettings,
                                    description="Set a district's default communication preference.")
send_announcement = contract.rpc("send_announcement", request=SendAnnouncementRequest, response=Announcement,
                                 description="Accept an announcement for an audience at once; its "
                                             "deliveries are planned and queued in the background.")
preview_announcement = contract.rpc("preview_announcement", request=SendAnnouncementRequest,
                                    response=AudiencePreview,
                                    description="What sending this announcement would do, sending and storing "
                                                "nothing: people reached per channel, the unreachable and why, "
                                                "the languages and the SMS segments of each one's text.")
get_delivery_report = contract.rpc("get_delivery_report", request=DeliveryReportRequest, response=DeliveryReport,
                                   description="How a communication was delivered: counts by "
                                               "channel and status, and a page of deliveries.")
list_unreachable_contacts = contract.rpc("list_unreachable_contacts", request=UnreachableContactsRequest,
                                         response=UnreachableContacts,
                                         description="Who at a school a plain announcement "
                                                     "would reach only in the app, and why.")
get_credential_health = contract.rpc("get_credential_health", request=GetCredentialHealthRequest,
                                     response=CredentialHealthList,
                                     description="The state (good, bad, opted out) of "
                                                 "each person's email and mobile phone.")
reset_credential_status = contract.rpc("reset_credential_status", request=ResetCredentialStatusRequest,
                                       response=CredentialStatusReset,
                                       description="Reset Status: mark a bad credential good so later "
                                                   "communications try it again; never clears an opt-out.")
send_verification_code = contract.rpc("send_verification_code", request=SendVerificationCodeRequest,
                                      response=VerificationCodeQueued,
                                      description="Send a 6-digit code to an address a person wants to use, so "
                                                  "identity can check they control it.")
send_invitation = contract.rpc("send_invitation", request=SendInvitationRequest, response=InvitationResult,
                               description="Send Invitation to Join (or Resend) to one person, by email or SMS "
                                           "per rows I1-I3; a new Join link replaces any earlier one.")
start_invitations = contract.rpc("start_invitations", request=StartInvitationsRequest, response=InvitationJob,
                                 description="Invite a school's or classroom's people who have not joined, as a "
                                             "job with progress and a result per person.")
get_invitation_job = contract.rpc("get_invitation_job", request=GetInvitationJobRequest, response=InvitationJob,
                                  description="An invitation job's progress, counts and per-person results.")
issue_printable_invitation = contract.rpc("issue_printable_invitation", request=IssuePrintableInvitationRequest,
                                          response=PrintableInvitation,
                                          description="Invite in another way: a PDF with the join code and a QR "
                                                      "code of the Join link, for a person to print.")
receive_provider_webhook = contract.rpc("receive_provider_webhook", request=ProviderWebhookRequest,
                                        response=ProviderWebhookResult,
                                        description="Verify, store and apply one provider webhook (delivery "
                                                    "statuses, inbound SMS) a caller holds. The gateway verifies "
                                                    "posts itself and hands them over on the notify.webhooks "
                                                    "queue (shared/contracts/provider_webhooks.py) instead.")

start_conversation = contract.rpc("start_conversation", request=conversations.StartConversationRequest,
                                  response=conversations.Conversation,
                                  description="Start a conversation (staff with guardians or enabled students; a "
                                              "guardian or student with a teacher) with its first message, "
                                              "delivered to the others by rows M1-M4.")
post_conversation_message = contract.rpc("post_conversation_message", request=conversations.PostMessageRequest,
                                         response=conversations.ConversationMessage,
                                         description="Add a message to a conversation; it is delivered to every "
                                                     "other participant by rows M1-M4.")
get_conversation = contract.rpc("get_conversation", request=conversations.GetConversationRequest,
                                response=conversations.Conversation,
                                description="A conversation with its participants and messages, for a participant.")
list_conversations = contract.rpc("list_conversations", request=conversations.ListConversationsRequest,
                                  response=conversations.ConversationPage,
                                  description="The caller's conversations, the most recently active first.")
preview_conversation = contract.rpc(
    "preview_conversation", request=conversations.StartConversationRequest, response=AudiencePreview,
    description="What starting this conversation would do, with the same checks, writing and sending nothing: "
                "people reached per channel by rows M1-M4, the unreachable and why, the languages and SMS "
                "segments.")
preview_conversation_message = contract.rpc(
    "preview_conversation_message", request=conversations.PostMessageRequest, response=AudiencePreview,
    description="What writing this message in a conversation would do, with the same checks, writing and "
                "sending nothing.")
receive_email_reply = contract.rpc("receive_email_reply", request=conversations.EmailReplyRequest,
                                   response=conversations.EmailReplyResult,
                                   description="File an email reply (SendGrid Inbound Parse) into the conversation "
                                               "its signed Reply-To address names, quoted history removed.")

ANNOUNCEMENT_REQUESTED = contract.event("announcement_requested", AnnouncementRequested,
                                        description="An announcement was accepted; notify plans "
                                                    "and queues its deliveries in the background.")
INVITATIONS_REQUESTED = contract.event("invitations_requested", InvitationsRequested,
                                       description="notify to itself: an invitation job was accepted; its people "
                                                   "are invited a page at a time in the background.")
CREDENTIAL_STATUS_CHANGED = contract.event("credential_status_changed", CredentialStatusChanged,
                                           description="An email address or mobile phone changed state (bad, "
                                                       "opted out, or good again), for everyone who holds it.")

contract.subscribe(
    ANNOUNCEMENT_REQUESTED,
    INVITATIONS_REQUESTED,
    identity.ACCOUNTS_UPSERTED,
    identity.USER_JOINED,
    identity.DISTRICT_LANGUAGES_CHANGED,
    directory.PEOPLE_UPSERTED,
    directory.STUDENT_ACCOUNTS_ENABLED,
)

# --- each person's own app inbox and push devices (schemas in notify_inbox.py) ------------------

get_inbox = contract.rpc("get_inbox", request=inbox.InboxRequest, response=inbox.InboxPage,
                         description="The signed-in person's app inbox, newest first, with their unread count.")
open_inbox_item = contract.rpc("open_inbox_item", request=inbox.OpenInboxItemRequest,
                               response=inbox.OpenedInboxItem,
                               description="One item of the person's inbox, whole; opening it marks it read.")
mark_inbox_read = contract.rpc("mark_inbox_read", request=inbox.MarkInboxReadRequest,
                               response=inbox.InboxMarkedRead,
                               description="Mark every unread item of the person's inbox (of one kind) read.")
register_device = contract.rpc("register_device", request=inbox.RegisterDeviceRequest, response=inbox.Device,
                               description="Register a device of the person's for push (an FCM registration "
                                           "token); app deliveries are pushed to it from then on.")
list_devices = contract.rpc("list_devices", request=inbox.DevicesRequest, response=inbox.Devices,
                            description="The person's registered push devices.")
remove_device = contract.rpc("remove_device", request=inbox.RemoveDeviceRequest, response=inbox.Devices,
                             description="Remove one of the person's push devices; answers the devices left.")

# --- a person's communication history, for their user profile (schemas in notify_history.py) -------------

get_communication_history = contract.rpc(
    "get_communication_history", request=history.CommunicationHistoryRequest, response=history.CommunicationHistory,
    description="A person's announcements and conversation messages, newest first, as the viewer may see them: "
                "everything with Engagement Visibility, only what they took part in otherwise; delivery status "
                "per credential only with an extended permission.")

# --- content moderation (schemas in moderation.py) -----------------------------------------------------------

flag_message = contract.rpc("flag_message", request=moderation.FlagMessageRequest, response=moderation.Flag,
                            description="A participant flags a message of their conversation for a moderator to "
                                        "review; flagging the same message again answers the first flag.")
list_flagged_messages = contract.rpc("list_flagged_messages", request=moderation.ListFlaggedRequest,
                                     response=moderation.FlaggedPage,
                                     description="Flagged messages in the moderator's reach (administrators and "
                                                 "Content Moderators), with their flags.")
hide_message = contract.rpc("hide_message", request=moderation.ModerateMessageRequest,
                            response=moderation.ModerationDecision,
                            description="Hide a message: everyone sees a notice instead, in the conversation and "
                                        "the inbox; its flags are reviewed; its deliveries not yet handed to a "
                                        "provider are withdrawn (what was sent by SMS or email cannot be recalled).")
restore_message = contract.rpc("restore_message", request=moderation.ModerateMessageRequest,
                               response=moderation.ModerationDecision,
                               description="Show a hidden message again; its flags are reviewed; deliveries "
                                           "withdrawn when it was hidden are not sent again.")
CONTENT_MODERATED = contract.event("content_moderated", moderation.ContentModerated,
                                   description="A message was flagged, hidden or restored: who, when, why, before "
                                               "and after (the directory keeps it in its audit log).")

# --- the delivery queue's dead letters, for the operator (schemas in notify_queues.py) ------------------------

list_dead_letters = contract.rpc(
    "list_dead_letters", request=queues.ListDeadLettersRequest, response=queues.DeadLetterList,
    description="The delivery jobs given up on, oldest first, each with its reason; reading leaves them queued.")
replay_dead_letters = contract.rpc(
    "replay_dead_letters", request=queues.DeadLettersRequest, response=queues.ReplayedDeadLetters,
    description="Put dead delivery jobs back on their channels' queues under their own ids: the send ledger "
                "keeps what was sent from being sent again.")
purge_dead_letters = contract.rpc(
    "purge_dead_letters", request=queues.DeadLettersRequest, response=queues.PurgedDeadLetters,
    description="Delete dead letters (the chosen ones, or all); their deliveries stay as they are.")

"""notify's conversations: the schemas and limits of conversations, their messages and replies by email.

notify.py registers the RPC methods (one contract per service); this module only holds what crosses the
boundary for conversations, so the limits the gateway documents and the ones notify enforces are the same.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.contracts import identity
from shared.contracts.common import Timestamp

# A conversation is one person or a small group besides the one who starts it (DESIGN.md: up to 15).
MAX_PARTICIPANTS = 15
MAX_TEXT_CHARS = 5000
# Attachments are stored by reference (a link to where the file lives); these bound what a message may point to.
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/gif", "image/heic", "text/plain",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
STAFF, FAMILY = "staff", "family"
PARTICIPANT_ROLES = (STAFF, FAMILY)
# How a message came in: written in the app, or a reply to an SMS or an email without signing in.
VIA_APP, VIA_SMS, VIA_EMAIL = "app", "sms", "email"
MESSAGE_SOURCES = (VIA_APP, VIA_SMS, VIA_EMAIL)
# How a message's text is shown to its viewer: as written, in their language, or as written for want of one.
AS_WRITTEN, TRANSLATED, TRANSLATION_UNAVAILABLE = "original", "translated", "unavailable"
TRANSLATION_OUTCOMES = (AS_WRITTEN, TRANSLATED, TRANSLATION_UNAVAILABLE)
# What became of an inbound email reply.
FILED, IGNORED = "filed", "ignored"
# Where SendGrid's Inbound Parse posts replies: the last segment is a secret, so the URL itself authenticates.
SENDGRID_INBOUND_PATH = "/webhooks/sendgrid/inbound/<url_secret>"


class Attachment(Schema):
    url = fields.Url(required=True, schemes={"https"}, validate=validate.Length(max=2000), metadata={
        "description": "where the file is stored (https); the message keeps this reference, never the file",
        "example": "https://files.example.org/reading-log.pdf"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "the file's name as shown to the participants, 1 to 200 characters"})
    content_type = fields.String(required=True, validate=validate.OneOf(
        ATTACHMENT_TYPES, error="attachments may be PDF, JPEG, PNG, GIF, HEIC, plain text or Word (docx) files"),
        metadata={"description": "the file's media type: one of " + ", ".join(ATTACHMENT_TYPES)})
    size_bytes = fields.Integer(required=True, strict=True, validate=validate.Range(
        min=1, max=MAX_ATTACHMENT_BYTES, error=f"an attachment is at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"),
        metadata={"description": f"the file's size in bytes, 1 to {MAX_ATTACHMENT_BYTES:,} (10 MB)"})


def _text_field(description: str) -> fields.String:
    return fields.String(required=True, validate=validate.Length(
        min=1, max=MAX_TEXT_CHARS, error=f"a message is 1 to {MAX_TEXT_CHARS:,} characters"),
        metadata={"description": description})


def _attachments_field() -> fields.List:
    return fields.List(fields.Nested(Attachment), load_default=list, validate=validate.Length(
        max=MAX_ATTACHMENTS, error=f"a message has at most {MAX_ATTACHMENTS} attachments"),
        metadata={"description": f"files the message points to, at most {MAX_ATTACHMENTS}"})


class StartConversationRequest(Schema):
    sender = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who starts it (an identity Principal): set by the gateway from the token"})
    participant_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=None,
                                  allow_none=True, validate=validate.Length(
                                      min=1, max=MAX_PARTICIPANTS,
                                      error=f"a conversation has 1 to {MAX_PARTICIPANTS} other participants"),
                                  metadata={"description": "the directory's ids of the other participants: staff "
                                                           "name guardians or enabled students; a guardian or "
                                                           "student names one teacher of their student or class"})
    guardians_of = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                                 metadata={"description": "staff only, instead of participant_ids: the directory's "
                                                          "id of a student whose guardians take part"})
    text = _text_field("the first message's text")
    attachments = _attachments_field()

    @validates_schema
    def one_way_to_name_participants(self, data, **kwargs):
        if bool(data.get("participant_ids")) == bool(data.get("guardians_of")):
            raise ValidationError("name the participants, or a student whose guardians take part (one of them)",
                                  "participant_ids")


class PostMessageRequest(Schema):
    sender = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who writes (an identity Principal), a participant: set by the gateway from the token"})
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of the conversation"})
    text = _text_field("the message's text")
    attachments = _attachments_field()


class GetConversationRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who asks (an identity Principal); only participants see a conversation"})
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of the conversation"})


def translation_outcome(description: str) -> fields.String:
    """How a listed text is shown to its reader: one of TRANSLATION_OUTCOMES."""
    return fields.String(required=True, validate=validate.OneOf(TRANSLATION_OUTCOMES),
                         metadata={"description": description})


class ListConversationsRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who asks (an identity Principal): their own conversations are listed"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000), metadata={
        "description": "1-based page number"})
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200), metadata={
        "description": "conversations per page, 1 to 200"})
    original = fields.Boolean(load_default=False, metadata={
        "description": "true: each latest message as its author wrote it; by default in the viewer's language "
                       "(the translation stored for it)"})


class Participant(Schema):
    person_id = fields.String(required=True, metadata={"description": "the directory's id of the person"})
    given_name = fields.String(allow_none=True, metadata={"description": "the person's given name"})
    family_name = fields.String(allow_none=True, metadata={"description": "the person's family name"})
    role = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_ROLES), metadata={
        "description": "staff, or family (a guardian or a student)"})


class ConversationMessage(Schema):
    message_id = fields.String(required=True, metadata={"description": "notify's id of the message"})
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of the conversation"})
    author_id = fields.String(allow_none=True, metadata={
        "description": "who wrote it; null for a text from a phone several participants share"})
    possible_author_ids = fields.List(fields.String(), required=True, metadata={
        "description": "for a text from a shared phone, everyone of the conversation who shares it; else empty"})
    via = fields.String(required=True, validate=validate.OneOf(MESSAGE_SOURCES), metadata={
        "description": "app, or sms / email for a reply sent without signing in"})
    text = fields.String(required=True, metadata={"description": "the message's text (quoted history removed)"})
    attachments = fields.List(fields.Nested(Attachment), required=True, metadata={
        "description": "files the message points to"})
    communication_id = fields.String(allow_none=True, metadata={
        "description": "notify's id of the communication that delivered it to the other participants "
                       "(its delivery report); null when nobody else could be reached"})
    created_at = Timestamp(required=True, metadata={"description": "when it was written, ISO 8601 with zone"})
    hidden = fields.Boolean(metadata={
        "description": "true when a moderator hid it: its text is then the notice, without attachments"})
    original_text = fields.String(metadata={
        "description": "the text as its author wrote it (`text` is it translated when `translation` is translated)"})
    original_language = fields.String(allow_none=True, metadata={
        "description": "the BCP 47 tag of the language it was written in (its author's)"})
    language = fields.String(allow_none=True, metadata={
        "description": "the BCP 47 tag of the language `text` is in: the viewer's when translated"})
    translation = fields.String(validate=validate.OneOf(TRANSLATION_OUTCOMES), metadata={
        "description": "original: `text` is as written (the viewer's own language, their own message, or a "
                       "hidden one); translated: `text` is in the viewer's language; unavailable: the "
                       "translation failed, `text` is the original and `translation_note` says so"})
    translation_note = fields.String(allow_none=True, metadata={
        "description": "why `text` is not in the viewer's language when its translation was unavailable"})


class Conversation(Schema):
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of the conversation"})
    district_id = fields.String(required=True, metadata={"description": "the directory's id of its district"})
    started_by = fields.String(required=True, metadata={"description": "the person id of who started it"})
    participants = fields.List(fields.Nested(Participant), required=True, metadata={
        "description": "everyone in it, the starter first"})
    created_at = Timestamp(required=True, metadata={"description": "when it started, ISO 8601 with zone"})
    last_message_at = Timestamp(required=True, metadata={"description": "when its latest message was written"})
    messages = fields.List(fields.Nested(ConversationMessage), required=True, metadata={
        "description": "its messages, oldest first (the latest 200 at most)"})


class ConversationSummary(Schema):
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of the conversation"})
    participants = fields.List(fields.Nested(Participant), required=True, metadata={
        "description": "everyone in it, the starter first"})
    last_message_at = Timestamp(required=True, metadata={"description": "when its latest message was written"})
    last_message_text = fields.String(required=True, metadata={
        "description": "the latest message's text, in the viewer's language when its translation is stored "
                       "(the notice when a moderator hid it)"})
    last_message_original_text = fields.String(required=True, metadata={
        "description": "the latest message's text as its author wrote it (the notice when hidden)"})
    last_message_language = fields.String(allow_none=True, metadata={
        "description": "the BCP 47 tag of the language `last_message_text` is in; null when there is no message"})
    last_message_translation = translation_outcome(
        "original: as written (the viewer's language or own message, asked for the original, or hidden); "
        "translated: in the viewer's language; unavailable: no translation is stored for it, the original is shown")


class ConversationPage(Schema):
    items = fields.List(fields.Nested(ConversationSummary), required=True, metadata={
        "description": "the viewer's conversations, the most recently active first"})
    total = fields.Integer(required=True, metadata={"description": "how many conversations the viewer has"})
    page = fields.Integer(required=True, metadata={"description": "this page's number, 1-based"})
    per_page = fields.Integer(required=True, metadata={"description": "conversations per page"})


class EmailReplyRequest(Schema):
    """SendGrid Inbound Parse's form fields, as the gateway received them (no principal: a provider calls)."""

    url_secret = fields.String(required=True, metadata={
        "description": "the secret of the inbound URL the provider called, checked against the configured one"})
    to = fields.String(required=True, metadata={"description": "the To header: the Reply-To address replied to"})
    envelope = fields.String(load_default="", metadata={
        "description": "the SMTP envelope as JSON ({\"to\": [...], \"from\": ...}); its recipients are tried too"})
    sender = fields.String(load_default="", data_key="from", metadata={"description": "the From header"})
    text = fields.String(load_default="", metadata={"description": "the plain-text body, quoted history included"})
    html = fields.String(load_default="", metadata={"description": "the HTML body, used when there is no text"})
    headers = fields.String(load_default="", metadata={
        "description": "the raw headers; its Message-ID makes a repeated post file nothing twice"})


class EmailReplyResult(Schema):
    accepted = fields.Boolean(required=True, metadata={
        "description": "false when the URL's secret is not the configured one (the gateway answers 403)"})
    outcome = fields.String(required=True, validate=validate.OneOf((FILED, IGNORED)), metadata={
        "description": "filed into a conversation, or ignored (forged, expired or unknown token, a repeat)"})

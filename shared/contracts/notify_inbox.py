"""notify's schemas for each person's own app inbox (read state) and push devices; declared in notify.py."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts import identity
from shared.contracts.common import Timestamp
from shared.contracts.conversations import translation_outcome

# What an inbox item can be: the communication kinds that reach the app.
INBOX_KINDS = ("announcement", "message")
DEVICE_PLATFORMS = ("android", "ios", "web")
# FCM registration tokens are URL-safe text of about 160 characters.
MAX_DEVICE_TOKEN_LENGTH = 512
DEVICE_TOKEN_PATTERN = r"^[A-Za-z0-9_:.\-]+$"

_ORIGINAL = {"description": "true: subjects and texts as their sender wrote them; by default in your language "
                            "(the translation stored when it was sent to you)"}
_VIEWER = {"description": "whose inbox or devices (an identity Principal): always the signed-in person, set by "
                          "the gateway from the token"}


class InboxRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata=_VIEWER)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000), metadata={
        "description": "the page wanted, from 1"})
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100), metadata={
        "description": "items per page, 1 to 100 (default 25)"})
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only the items not read yet"})
    kind = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(INBOX_KINDS), metadata={
        "description": "only items of this kind (announcement or message); null for every kind"})
    original = fields.Boolean(load_default=False, metadata=_ORIGINAL)


class InboxItem(Schema):
    communication_id = fields.String(required=True, metadata={
        "description": "notify's id of the communication: open the item by it"})
    kind = fields.String(required=True, validate=validate.OneOf(INBOX_KINDS), metadata={
        "description": "announcement, or message (a conversation's)"})
    subject = fields.String(allow_none=True, metadata={"description": "its subject; null when it has none"})
    preview = fields.String(required=True, metadata={"description": "the start of its text, on one line"})
    priority = fields.Boolean(required=True, metadata={"description": "true when it was sent as priority"})
    sender_id = fields.String(allow_none=True, metadata={
        "description": "the directory's id of the sender; null when none is recorded"})
    received_at = Timestamp(required=True, metadata={
        "description": "when it reached the inbox, ISO 8601 with zone (UTC)"})
    read = fields.Boolean(required=True, metadata={"description": "true once the person opened it"})
    read_at = Timestamp(allow_none=True, metadata={
        "description": "when the person first opened it (or marked all read); null while unread"})
    language = fields.String(required=True, metadata={
        "description": "the BCP 47 tag of the language its subject and text are shown in"})
    original_language = fields.String(required=True, metadata={
        "description": "the BCP 47 tag of the language its sender wrote it in"})
    translation = translation_outcome(
        "original: shown as written (your language, asked for the original, or hidden); translated: in your "
        "language, the translation stored when it was sent to you; unavailable: its translation failed, the "
        "original is shown with a note")


class InboxPage(Schema):
    items = fields.List(fields.Nested(InboxItem), required=True, metadata={
        "description": "this page of the person's items, newest first"})
    total = fields.Integer(required=True, metadata={"description": "items matching the filters, over every page"})
    unread_count = fields.Integer(required=True, metadata={
        "description": "the person's unread items of every kind, whatever the filters"})
    page = fields.Integer(required=True, metadata={"description": "the page answered, from 1"})
    per_page = fields.Integer(required=True, metadata={"description": "items per page, as asked"})


class OpenInboxItemRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata=_VIEWER)
    communication_id = fields.String(required=True, metadata={
        "description": "the item's communication id"})
    original = fields.Boolean(load_default=False, metadata=_ORIGINAL)


class OpenedInboxItem(InboxItem):
    body = fields.String(required=True, metadata={"description": "its whole text"})


class MarkInboxReadRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata=_VIEWER)
    kind = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(INBOX_KINDS), metadata={
        "description": "only items of this kind; null for every kind"})


class InboxMarkedRead(Schema):
    marked = fields.Integer(required=True, metadata={"description": "items that were unread and now are read"})
    unread_count = fields.Integer(required=True, metadata={"description": "the person's unread items left"})


class RegisterDeviceRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata=_VIEWER)
    token = fields.String(required=True, validate=[
        validate.Length(min=1, max=MAX_DEVICE_TOKEN_LENGTH),
        validate.Regexp(DEVICE_TOKEN_PATTERN, error="not an FCM registration token")], metadata={
        "description": "the app's FCM registration token (letters, digits, `-`, `_`, `:` and `.`; at most 512); "
                       "registering it again keeps one device (and moves it to this person when someone else "
                       "had it)"})
    platform = fields.String(required=True, validate=validate.OneOf(DEVICE_PLATFORMS), metadata={
        "description": "android, ios or web"})


class Device(Schema):
    device_id = fields.String(required=True, metadata={"description": "notify's id of the device, to remove it"})
    platform = fields.String(required=True, validate=validate.OneOf(DEVICE_PLATFORMS), metadata={
        "description": "android, ios or web"})
    registered_at = Timestamp(required=True, metadata={"description": "when the token was first registered"})
    last_seen_at = Timestamp(required=True, metadata={"description": "when the token was last registered"})


class DevicesRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata=_VIEWER)


class Devices(Schema):
    devices = fields.List(fields.Nested(Device), required=True, metadata={
        "description": "the person's devices, most recently seen first; FCM's stale ones are gone"})


class RemoveDeviceRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata=_VIEWER)
    device_id = fields.String(required=True, metadata={
        "description": "the device's id, as registering it answered"})

"""notify's schemas for a person's communication history, as a user profile shows it; declared in notify.py.

Who sees what is shared.contracts.permissions' rule (communication_history_scope, may_see_delivery_status),
applied by notify to the `viewer` it is handed.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts import identity
from shared.contracts.common import Timestamp
from shared.contracts.notify_inbox import INBOX_KINDS
from shared.contracts.permissions import HISTORY_EVERYTHING, HISTORY_TOOK_PART

# What a profile's history lists: the communications a person reads (invitations and codes are not history).
HISTORY_KINDS = INBOX_KINDS
MAX_HISTORY_PER_PAGE = 50


class CommunicationHistoryRequest(Schema):
    viewer = fields.Nested(identity.Principal, required=True, metadata={
        "description": "who is looking (an identity Principal, set by the gateway from the token); notify shows "
                       "them what the permission rules let them see"})
    person_id = fields.String(required=True, metadata={
        "description": "whose history: the directory's id of the person whose profile is shown"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000), metadata={
        "description": "the page wanted, from 1"})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_HISTORY_PER_PAGE), metadata={
        "description": f"communications per page, 1 to {MAX_HISTORY_PER_PAGE} (default 20)"})


class HistoryDelivery(Schema):
    channel = fields.String(required=True, metadata={
        "description": "email, sms, voice, app (the inbox) or push, as in the delivery report"})
    address = fields.String(required=True, allow_none=True, metadata={
        "description": "the credential it went to (email address, mobile phone in E.164); null for app and push"})
    status = fields.String(required=True, metadata={
        "description": "planned, queued, sent, delivered, failed, fell_back or skipped, as in the delivery report"})
    reason = fields.String(required=True, allow_none=True, metadata={
        "description": "why it failed or was skipped; null otherwise"})
    updated_at = Timestamp(required=True, metadata={"description": "when the status last changed"})


class HistoryItem(Schema):
    communication_id = fields.String(required=True, metadata={"description": "notify's id of the communication"})
    kind = fields.String(required=True, validate=validate.OneOf(HISTORY_KINDS), metadata={
        "description": "announcement, or message (a conversation's)"})
    conversation_id = fields.String(required=True, allow_none=True, metadata={
        "description": "the conversation a message belongs to; null for announcements"})
    subject = fields.String(required=True, allow_none=True, metadata={"description": "its subject; null when none"})
    preview = fields.String(required=True, metadata={"description": "the start of its text, on one line"})
    priority = fields.Boolean(required=True, metadata={"description": "true when it was sent as priority"})
    sender_id = fields.String(required=True, allow_none=True, metadata={
        "description": "the directory's id of the sender; null when none is recorded"})
    sent_at = Timestamp(required=True, metadata={"description": "when it was sent, ISO 8601 with zone (UTC)"})
    deliveries = fields.List(fields.Nested(HistoryDelivery), metadata={
        "description": "each delivery to this person (per credential and channel), oldest first; present only "
                       "when the viewer may see delivery status (themselves, Users Manager, Engagement "
                       "Visibility, administrators)"})


class CommunicationHistory(Schema):
    items = fields.List(fields.Nested(HistoryItem), required=True, metadata={
        "description": "this page of the person's communications the viewer may see, newest first"})
    total = fields.Integer(required=True, metadata={"description": "how many the viewer may see, over every page"})
    page = fields.Integer(required=True, metadata={"description": "the page answered, from 1"})
    per_page = fields.Integer(required=True, metadata={"description": "communications per page, as asked"})
    scope = fields.String(required=True, validate=validate.OneOf((HISTORY_EVERYTHING, HISTORY_TOOK_PART)), metadata={
        "description": "everything (the person themselves, Engagement Visibility, administrators), or took_part: "
                       "only what the viewer sent or a conversation they are a participant of"})

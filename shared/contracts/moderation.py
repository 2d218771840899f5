"""notify's content moderation: flagging a conversation message, and a moderator's list and decisions.

notify.py registers the RPC methods and the event (one contract per service); who may moderate which
conversation is shared.contracts.permissions.may_moderate.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts import identity
from shared.contracts.common import Timestamp

# What a hidden message shows everyone instead of its text (and attachments), in the conversation and the inbox.
HIDDEN_NOTICE = "This message was hidden by a moderator"
MAX_REASON_CHARS = 500
PENDING, ALL = "pending", "all"
FLAG_STATES = (PENDING, ALL)
# The audit log's actions (directory keeps them, with before and after).
FLAGGED, HIDDEN, RESTORED = "flag_message", "hide_message", "restore_message"
DECISIONS = (FLAGGED, HIDDEN, RESTORED)


def _reason(description: str) -> fields.String:
    return fields.String(required=True, validate=validate.Length(
        min=1, max=MAX_REASON_CHARS, error=f"a reason is 1 to {MAX_REASON_CHARS} characters"),
        metadata={"description": description})


def _viewer(description: str) -> fields.Nested:
    return fields.Nested(identity.Principal, required=True, metadata={"description": description})


class FlagMessageRequest(Schema):
    viewer = _viewer("who flags (an identity Principal), a participant: set by the gateway from the token")
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of the conversation"})
    message_id = fields.String(required=True, metadata={"description": "notify's id of the message flagged"})
    reason = _reason("why the message should be reviewed, 1 to 500 characters")


class Flag(Schema):
    flag_id = fields.String(required=True, metadata={"description": "notify's id of the flag"})
    message_id = fields.String(required=True, metadata={"description": "notify's id of the message flagged"})
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of its conversation"})
    flagged_by = fields.String(required=True, metadata={"description": "the person id of who flagged it"})
    reason = fields.String(required=True, metadata={"description": "why they flagged it"})
    created_at = Timestamp(required=True, metadata={"description": "when it was flagged, ISO 8601 with zone"})
    reviewed_at = Timestamp(allow_none=True, metadata={
        "description": "when a moderator decided on the message (hid or restored it); null while pending"})


class ListFlaggedRequest(Schema):
    viewer = _viewer("who asks (an identity Principal): administrators and Content Moderators, in their reach")
    state = fields.String(load_default=PENDING, validate=validate.OneOf(FLAG_STATES), metadata={
        "description": "pending: messages with a flag no moderator decided on yet (default); all: every "
                       "flagged message"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000), metadata={
        "description": "1-based page number"})
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200), metadata={
        "description": "messages per page, 1 to 200"})


class FlaggedMessage(Schema):
    message_id = fields.String(required=True, metadata={"description": "notify's id of the message"})
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of its conversation"})
    author_id = fields.String(allow_none=True, metadata={
        "description": "who wrote it; null for a text from a phone several participants share"})
    text = fields.String(required=True, metadata={
        "description": "the message's own text, hidden or not: the moderator judges what was written"})
    created_at = Timestamp(required=True, metadata={"description": "when it was written, ISO 8601 with zone"})
    hidden = fields.Boolean(required=True, metadata={"description": "true while a moderator keeps it hidden"})
    hidden_by = fields.String(allow_none=True, metadata={"description": "who hid it; null when it is shown"})
    hidden_at = Timestamp(allow_none=True, metadata={"description": "when it was hidden; null when it is shown"})
    flags = fields.List(fields.Nested(Flag), required=True, metadata={
        "description": "every flag of the message, the latest first"})


class DeliveriesOfDecision(Schema):
    withdrawn = fields.Integer(required=True, metadata={
        "description": "deliveries of the message not yet handed to a provider when it was hidden: withdrawn, "
                       "never sent (its delivery report shows them skipped, withdrawn_by_moderator); 0 on restore"})
    already_sent = fields.Integer(required=True, metadata={
        "description": "deliveries already handed to a provider (SMS, email, call, push) when it was hidden: "
                       "they cannot be recalled; 0 on restore"})
    withdrawn_by_channel = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "channel -> deliveries withdrawn"})
    already_sent_by_channel = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "channel -> deliveries beyond recall"})
    note = fields.String(required=True, metadata={"description": "what this means, in words"})


class ModerationDecision(FlaggedMessage):
    deliveries = fields.Nested(DeliveriesOfDecision, required=True, metadata={
        "description": "what the decision did to the message's deliveries: hiding withdraws those not yet "
                       "handed to a provider; what was sent by SMS or email cannot be recalled"})


class FlaggedPage(Schema):
    items = fields.List(fields.Nested(FlaggedMessage), required=True, metadata={
        "description": "flagged messages in the moderator's reach, the most recently flagged first"})
    total = fields.Integer(required=True, metadata={"description": "how many messages match, over every page"})
    page = fields.Integer(required=True, metadata={"description": "this page's number, 1-based"})
    per_page = fields.Integer(required=True, metadata={"description": "messages per page"})


class ModerateMessageRequest(Schema):
    viewer = _viewer("who decides (an identity Principal): an administrator or Content Moderator in reach")
    message_id = fields.String(required=True, metadata={"description": "notify's id of the message"})
    reason = _reason("why, 1 to 500 characters: kept in the audit log")


class ContentModerated(Schema):
    """A decision on a message (a flag, hiding, restoring): who, when, why, before and after, so the directory's
    audit log shows it without asking back."""

    decision_id = fields.String(required=True, metadata={
        "description": "notify's id of the decision; the same id delivered twice is one entry"})
    district_id = fields.String(required=True, metadata={"description": "the conversation's district"})
    action = fields.String(required=True, validate=validate.OneOf(DECISIONS), metadata={
        "description": "flag_message, hide_message or restore_message"})
    actor_id = fields.String(required=True, metadata={"description": "the person id of who decided"})
    message_id = fields.String(required=True, metadata={"description": "notify's id of the message"})
    conversation_id = fields.String(required=True, metadata={"description": "notify's id of its conversation"})
    reason = fields.String(required=True, metadata={"description": "why, as the person gave it"})
    hidden_before = fields.Boolean(required=True, metadata={"description": "whether it was hidden before"})
    hidden_after = fields.Boolean(required=True, metadata={"description": "whether it is hidden after"})
    at = fields.DateTime(required=True, metadata={"description": "when it was decided (UTC)"})

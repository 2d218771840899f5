"""notify's schemas for the delivery queue's dead letters, as the operator sees them; declared in notify.py."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

# What a dead letter's reason can be (services/notify/domain/stuck_jobs.DeadReason).
DEAD_REASONS = ("invalid_job", "poison_job", "retries_exhausted", "delivery_limit", "rejected", "unknown")
# How many dead letters one call reads at most (each is held by notify until the call ends).
MAX_DEAD_LETTERS = 1000
MAX_MESSAGE_ID_LENGTH = 128

_MESSAGE_IDS = fields.List(
    fields.String(validate=validate.Length(min=1, max=MAX_MESSAGE_ID_LENGTH)), allow_none=True, load_default=None,
    validate=validate.Length(min=1, max=MAX_DEAD_LETTERS), metadata={
        "description": "the dead letters' message ids (as `list_dead_letters` answers them); null for every one"})


class ListDeadLettersRequest(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_DEAD_LETTERS), metadata={
        "description": f"the most to answer, oldest first, 1 to {MAX_DEAD_LETTERS} (default 100)"})


class DeadLetterItem(Schema):
    message_id = fields.String(allow_none=True, required=True, metadata={
        "description": "the job's message id: name it to show, replay or purge this one; null when it has none"})
    reason = fields.String(required=True, validate=validate.OneOf(DEAD_REASONS), metadata={
        "description": "why it is here: invalid_job (not a delivery job), poison_job (no worker can process it), "
                       "retries_exhausted, delivery_limit (workers died holding it), rejected, unknown"})
    detail = fields.String(required=True, metadata={"description": "the reason in a line: the error, the queue"})
    dead_at = fields.String(allow_none=True, required=True, metadata={
        "description": "when a worker gave up on it, ISO 8601 with zone; null when the broker dead-lettered it"})
    communication_id = fields.String(allow_none=True, required=True, metadata={
        "description": "the job's communication; null when the message is not a delivery job"})
    channel = fields.String(allow_none=True, required=True, metadata={"description": "the job's channel, or null"})
    delivery_count = fields.Integer(allow_none=True, required=True, metadata={
        "description": "how many deliveries the job's page holds, or null"})
    delivery_ids = fields.List(fields.String(), required=True, metadata={
        "description": "the page's delivery ids (empty when the message is not a delivery job)"})
    replayable = fields.Boolean(required=True, metadata={
        "description": "true for a delivery job (replay sends what it holds and was not sent); false: purge only"})
    body_preview = fields.String(required=True, metadata={"description": "the start of the message as sent"})


class DeadLetterList(Schema):
    total = fields.Integer(required=True, metadata={"description": "dead letters in the queue, all of them"})
    items = fields.List(fields.Nested(DeadLetterItem), required=True, metadata={
        "description": "up to `limit` of them, oldest first; reading them leaves them in the queue"})


class DeadLettersRequest(Schema):
    message_ids = _MESSAGE_IDS


class SkippedDeadLetter(Schema):
    message_id = fields.String(required=True, metadata={"description": "the dead letter left in the queue"})
    reason = fields.String(required=True, metadata={"description": "why it was not replayed"})


class ReplayedDeadLetters(Schema):
    replayed = fields.List(fields.String(), required=True, metadata={
        "description": "message ids put back on their channels' queues (under the same id), confirmed"})
    skipped = fields.List(fields.Nested(SkippedDeadLetter), required=True, metadata={
        "description": "dead letters chosen but left in the queue, each with why"})


class PurgedDeadLetters(Schema):
    purged = fields.Integer(required=True, metadata={"description": "how many dead letters were deleted"})

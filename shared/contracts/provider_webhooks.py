"""Provider webhooks between the gateway and notify: where providers post, and the queue a verified post travels on.

The gateway is the edge: it verifies each post's signature (shared/provider_signatures.py) and publishes the
verified post, persistent and confirmed, to the durable queue below; notify consumes it in batches and applies
it. A post is answered 200 only once the broker has confirmed it, so nothing answered is lost; a broker that
cannot take it answers 503 and the provider posts it again.

    notify.webhooks (direct exchange), routing key = queue name
        └─ notify.webhooks           the verified posts, one message each (VerifiedWebhook); x-delivery-limit,
                                      then ↓
    notify.webhooks.dead (fanout)
        └─ notify.webhooks.dead      what notify could not apply, with its reason in the headers
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.common import Timestamp

# Where the providers post (the gateway's routes; notify builds the StatusCallback URLs from the first).
TWILIO_STATUS_PATH = "/webhooks/twilio/status"  # messages and calls
TWILIO_INBOUND_PATH = "/webhooks/twilio/inbound"
SENDGRID_EVENTS_PATH = "/webhooks/sendgrid/events"

WEBHOOK_KINDS = TWILIO_STATUS, TWILIO_INBOUND, SENDGRID_EVENTS = ("twilio_status", "twilio_inbound",
                                                                  "sendgrid_events")
PROVIDER_OF_KIND = {TWILIO_STATUS: "twilio", TWILIO_INBOUND: "twilio", SENDGRID_EVENTS: "sendgrid"}
# Why the gateway refused a post (403): its signature does not verify, or it is signed outside the replay window.
WEBHOOK_SIGNATURE_REFUSED, WEBHOOK_REPLAY_REFUSED = WEBHOOK_REFUSALS = ("signature", "replayed")

WEBHOOK_EXCHANGE = "notify.webhooks"
WEBHOOK_QUEUE = "notify.webhooks"
WEBHOOK_DEAD_EXCHANGE = "notify.webhooks.dead"
WEBHOOK_DEAD_QUEUE = "notify.webhooks.dead"
# A post handed out this many times more is dead-lettered: notify died holding it that often. Set explicitly
# (RabbitMQ 4.0 defaults it to 20), as on the delivery queues.
WEBHOOK_DELIVERY_LIMIT = 10
# A quorum queue: replicated once there is a cluster, and x-delivery-limit needs one. Declaring it with other
# arguments fails (PRECONDITION_FAILED): a change here means a new queue name or a broker policy.
WEBHOOK_QUEUE_ARGUMENTS = {"x-queue-type": "quorum", "x-delivery-limit": WEBHOOK_DELIVERY_LIMIT,
                           "x-dead-letter-exchange": WEBHOOK_DEAD_EXCHANGE}
WEBHOOK_DEAD_QUEUE_ARGUMENTS = {"x-queue-type": "quorum"}
WEBHOOK_CONTENT_TYPE = "application/json"
# Why notify dead-lettered a post, and the error in a line, in the dead letter's headers.
DEAD_REASON_HEADER = "x-notify-dead-reason"
DEAD_DETAIL_HEADER = "x-notify-dead-detail"
DEAD_REASONS = UNREADABLE_WEBHOOK, POISON_WEBHOOK = ("unreadable_webhook", "poison_webhook")


class VerifiedWebhook(Schema):
    """One message on notify.webhooks: a post whose signature the gateway verified, exactly as it came."""

    kind = fields.String(required=True, validate=validate.OneOf(WEBHOOK_KINDS), metadata={
        "description": "twilio_status (an SMS or call status), twilio_inbound (an SMS received) or "
                       "sendgrid_events (a batch of email events)"})
    url = fields.String(required=True, metadata={
        "description": "the full URL the provider called (a status callback's carries the delivery id)"})
    body = fields.String(required=True, metadata={"description": "the raw request body, as received"})
    received_at = Timestamp(required=True, metadata={"description": "when the gateway verified it, ISO 8601"})


class WebhookAccepted(Schema):
    """The gateway's answer to a verified post (an inbound SMS is answered empty TwiML instead)."""

    accepted = fields.Boolean(required=True, metadata={
        "description": "always true: the post is verified and held durably; notify applies it moments later "
                       "(a post that does not verify is answered 403, one the queue cannot take 503)"})

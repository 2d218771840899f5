"""The broker objects of the verified-webhook queue (shared/contracts/provider_webhooks.py), declared alike by
the gateway, which publishes to it, and by notify, which consumes it (both with pika).
Declaring again what exists changes nothing; both sides declare, so neither depends on the other starting first.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from shared.contracts.provider_webhooks import (
    WEBHOOK_DEAD_EXCHANGE,
    WEBHOOK_DEAD_QUEUE,
    WEBHOOK_DEAD_QUEUE_ARGUMENTS,
    WEBHOOK_EXCHANGE,
    WEBHOOK_QUEUE,
    WEBHOOK_QUEUE_ARGUMENTS,
)


def declare_with_pika(channel) -> None:
    """The dead-letter side first, so the work queue's dead-letter exchange exists, then the work queue."""
    channel.exchange_declare(WEBHOOK_DEAD_EXCHANGE, "fanout", durable=True)
    channel.queue_declare(WEBHOOK_DEAD_QUEUE, durable=True, arguments=dict(WEBHOOK_DEAD_QUEUE_ARGUMENTS))
    channel.queue_bind(WEBHOOK_DEAD_QUEUE, WEBHOOK_DEAD_EXCHANGE, routing_key="")
    channel.exchange_declare(WEBHOOK_EXCHANGE, "direct", durable=True)
    channel.queue_declare(WEBHOOK_QUEUE, durable=True, arguments=dict(WEBHOOK_QUEUE_ARGUMENTS))
    channel.queue_bind(WEBHOOK_QUEUE, WEBHOOK_EXCHANGE, routing_key=WEBHOOK_QUEUE)


def verified_webhook_json(*, kind: str, url: str, body: str, received_at: datetime) -> bytes:
    """One message on the queue, as `VerifiedWebhook().dump` writes it (a test holds the two alike), without the
    schema's per-field work on the gateway's hot path."""
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=timezone.utc)
    return json.dumps({"kind": kind, "url": url, "body": body, "received_at": received_at.isoformat()},
                      separators=(",", ":"), ensure_ascii=False).encode("utf-8")

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
    WEBHOOK_KINDS,
    WEBHOOK_QUEUE,
    WEBHOOK_QUEUE_ARGUMENTS,
    VerifiedWebhook,
)

_FIELDS = frozenset(("kind", "url", "body", "received_at"))
_KINDS = frozenset(WEBHOOK_KINDS)
_SCHEMA = VerifiedWebhook()


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


def load_verified_webhook(message: bytes) -> dict:
    """One message off the queue, as `VerifiedWebhook().load(json.loads(message))` loads it (ValueError for JSON
    that does not parse, ValidationError for a message the schema refuses).

    notify reads two of these per SMS sent. What `verified_webhook_json` writes (the four strings, a known kind,
    an ISO 8601 time, which the schema's DateTime reads with `datetime.fromisoformat` too) is taken here without
    the schema's per-field work; anything else goes to the schema, which coerces or refuses it as ever."""
    payload = json.loads(message)
    if type(payload) is dict and payload.keys() == _FIELDS and type(payload["kind"]) is str \
            and payload["kind"] in _KINDS and type(payload["url"]) is str and type(payload["body"]) is str \
            and type(payload["received_at"]) is str:
        try:
            received_at = datetime.fromisoformat(payload["received_at"])
        except ValueError:
            pass
        else:
            return {"kind": payload["kind"], "url": payload["url"], "body": payload["body"],
                    "received_at": received_at}
    return _SCHEMA.load(payload)

"""Provider webhooks in: verify the signature, then turn the payload into plain values.

No database and no framework here. The receiving endpoint (whoever mounts the
paths below) must verify first and reject with no change when verification
is False; then store or apply the parsed values idempotently (providers
repeat and reorder webhooks, PLATFORM-NOTES "Reliability facts").

Twilio signs form posts with HMAC-SHA1 of the exact URL it called plus the
sorted parameters (X-Twilio-Signature); behind a proxy, pass the public URL.
SendGrid signs (timestamp + raw body) with ECDSA P-256; the verification key
comes from its settings page as base64, or as a PEM.
"""
from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from sendgrid.helpers.eventwebhook import EventWebhook
from twilio.request_validator import RequestValidator

from services.notify.domain.outcomes import (
    DeliveryReport,
    InboundSms,
    inbound_keyword,
    sendgrid_event_outcome,
    twilio_call_status_outcome,
    twilio_message_status_outcome,
)

# Where notify's webhook endpoints live under NOTIFY_WEBHOOK_BASE_URL; the
# provider adapters build StatusCallback URLs from the first.
TWILIO_STATUS_PATH = "/webhooks/twilio/status"  # messages and calls
TWILIO_INBOUND_PATH = "/webhooks/twilio/inbound"
SENDGRID_EVENTS_PATH = "/webhooks/sendgrid/events"
# The query parameter (Twilio) and custom_args key (SendGrid) that carry our delivery id.
DELIVERY_ID_FIELD = "delivery_id"

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


class MalformedWebhook(ValueError):
    """A verified webhook whose payload is not what the provider documents."""


def verify_twilio(url: str, params: Mapping[str, str], signature: str | None, auth_token: str) -> bool:
    if not signature or not auth_token:
        return False
    return RequestValidator(auth_token).validate(url, dict(params), signature)


def _bare_public_key(public_key_pem: str) -> str:
    """EventWebhook wants the base64 body alone; accept a full PEM as well."""
    return "".join(line.strip() for line in public_key_pem.strip().splitlines() if not line.startswith("-----"))


def verify_sendgrid(raw_body: bytes | str, signature: str | None, timestamp: str | None,
                    public_key_pem: str) -> bool:
    if not signature or not timestamp or not public_key_pem:
        return False
    try:
        payload = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
        verifier = EventWebhook(_bare_public_key(public_key_pem))
        return verifier.verify_signature(payload, signature, timestamp)
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):
        # Undecodable body, malformed signature, a key that is not EC P-256: nothing was proven.
        return False


# SendGrid signs the time of each post (the timestamp header) with its body: a signed batch whose time is further
# than this from ours is a replay, refused however good its signature (NOTIFY_WEBHOOK_REPLAY_WINDOW_SECONDS).
DEFAULT_REPLAY_WINDOW = timedelta(minutes=10)


def sendgrid_signed_within(timestamp: str | None, now: datetime, window: timedelta) -> bool:
    """Whether SendGrid's signed timestamp (Unix seconds) lies within `window` of `now`, either side (clocks
    drift); a missing or unreadable one is not."""
    try:
        signed_at = datetime.fromtimestamp(int((timestamp or "").strip()), timezone.utc)
    except (ValueError, OverflowError, OSError):
        return False
    return abs(now - signed_at) <= window


def _delivery_id_from(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(DELIVERY_ID_FIELD)
    return values[0] if values else None


def _twilio_time(value: str | None, received_at: datetime) -> datetime:
    if value:
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            pass
    return received_at


def parse_twilio_status(url: str, params: Mapping[str, str],
                        received_at: datetime | None = None) -> DeliveryReport | None:
    """A message or call status callback; None for a status that says nothing we act on."""
    received_at = received_at or datetime.now(timezone.utc)
    error_code = params.get("ErrorCode") or None
    if params.get("CallSid") and params.get("CallStatus"):
        sid, row = params["CallSid"], twilio_call_status_outcome(params["CallStatus"], error_code)
        occurred_at = _twilio_time(params.get("Timestamp"), received_at)
    elif params.get("MessageSid") and (status := params.get("MessageStatus") or params.get("SmsStatus")):
        sid, row = params["MessageSid"], twilio_message_status_outcome(status, error_code)
        occurred_at = received_at  # message callbacks carry no time of their own
    else:
        raise MalformedWebhook("a Twilio status callback needs MessageSid/MessageStatus or CallSid/CallStatus")
    if row is None:
        return None
    reason = params.get("ErrorMessage") or row.reason
    return DeliveryReport(sid, _delivery_id_from(url), row.outcome, error_code, reason, occurred_at)


def parse_twilio_inbound(params: Mapping[str, str]) -> InboundSms:
    try:
        from_, to = params["From"], params["To"]
    except KeyError as missing:
        raise MalformedWebhook(f"an inbound SMS webhook needs {missing.args[0]}") from None
    body = params.get("Body", "")
    return InboundSms(from_=from_, to=to, body=body, keyword=inbound_keyword(body))


def _sendgrid_report(event: Mapping) -> DeliveryReport | None:
    name = event.get("event")
    sg_message_id = event.get("sg_message_id")
    if not isinstance(name, str) or not isinstance(sg_message_id, str):
        return None
    row = sendgrid_event_outcome(name, bounce_type=event.get("type"), reason=event.get("reason"),
                                 bounce_classification=event.get("bounce_classification"))
    if row is None:
        return None
    code = f"{name}/{event['type']}" if name == "bounce" and event.get("type") else name
    provider_reason = event.get("reason") or event.get("response")
    try:
        occurred_at = datetime.fromtimestamp(int(event["timestamp"]), timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise MalformedWebhook(f"SendGrid event {name} for {sg_message_id} has no valid timestamp") from None
    delivery_id = event.get(DELIVERY_ID_FIELD)
    return DeliveryReport(
        provider_message_id=sg_message_id,
        delivery_id=delivery_id if isinstance(delivery_id, str) else None,
        outcome=row.outcome,
        provider_code=code,
        reason=f"{row.reason}: {provider_reason}" if provider_reason else row.reason,
        occurred_at=occurred_at,
    )


def parse_sendgrid_events(raw_body: bytes | str) -> list[DeliveryReport]:
    """Reports for the delivery events of a batch; engagement events (open, click) are left out."""
    try:
        events = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedWebhook("a SendGrid event batch must be a JSON array") from None
    if not isinstance(events, list):
        raise MalformedWebhook("a SendGrid event batch must be a JSON array")
    reports = [_sendgrid_report(event) for event in events if isinstance(event, dict)]
    return [report for report in reports if report is not None]

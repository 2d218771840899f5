"""Provider webhooks in: turn a verified payload into plain values.

No database and no framework here. The gateway verifies each post first (shared/provider_signatures.py: the
edge) and hands notify only what verified; notify stores or applies the parsed values idempotently (providers
repeat and reorder webhooks, PLATFORM-NOTES "Reliability facts").
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from services.notify.domain.outcomes import (
    DeliveryReport,
    InboundSms,
    inbound_keyword,
    sendgrid_event_outcome,
    twilio_call_status_outcome,
    twilio_message_status_outcome,
)
# Where the gateway receives them (the provider adapters build StatusCallback URLs from the first).
from shared.contracts.provider_webhooks import (  # noqa: F401 (re-exported for the provider adapters)
    SENDGRID_EVENTS_PATH,
    TWILIO_INBOUND_PATH,
    TWILIO_STATUS_PATH,
)

# The query parameter (Twilio) and custom_args key (SendGrid) that carry our delivery id.
DELIVERY_ID_FIELD = "delivery_id"


class MalformedWebhook(ValueError):
    """A verified webhook whose payload is not what the provider documents."""


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

"""Provider webhooks as notify's receive_provider_webhook takes them, signed as the providers sign them.

The signatures come from the sandbox's signing (the providers' own schemes), so notify's verifiers meet them.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import ec

from services.sandbox.signing import public_key_base64, sendgrid_signature, twilio_signature
from shared.contracts.provider_webhooks import SENDGRID_EVENTS_PATH, TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH
from shared.provider_signatures import (
    SENDGRID_SIGNATURE_HEADER,
    SENDGRID_TIMESTAMP_HEADER,
    TWILIO_SIGNATURE_HEADER,
    WebhookSecrets,
)

PUBLIC_BASE = "https://gateway.example.org"
TWILIO_TOKEN = "twilio-auth-token-for-webhook-tests"


class Signer:
    """Signs webhooks with one Twilio auth token and one SendGrid key; `secrets` is what notify verifies with."""

    def __init__(self, *, replay_window=None) -> None:
        self.sendgrid_key = ec.generate_private_key(ec.SECP256R1())
        options = {} if replay_window is None else {"replay_window": replay_window}
        self.secrets = WebhookSecrets(twilio_auth_token=TWILIO_TOKEN,
                                      sendgrid_public_key=public_key_base64(self.sendgrid_key), **options)

    def twilio_status(self, delivery_id: str, sid: str, status: str, *, error_code: str | None = None,
                      to: str = "+15555550101", base: str = PUBLIC_BASE) -> dict:
        """`base`: the gateway's address as the provider calls it (Twilio signs the whole URL)."""
        url = f"{base}{TWILIO_STATUS_PATH}?delivery_id={delivery_id}"
        params = {"MessageSid": sid, "MessageStatus": status, "SmsStatus": status, "To": to,
                  "From": "+15005550006", "AccountSid": "AC" + "0" * 32}
        if error_code:
            params["ErrorCode"] = error_code
        return {"kind": "twilio_status", "url": url, "body": urlencode(params),
                "headers": {TWILIO_SIGNATURE_HEADER: twilio_signature(url, params, TWILIO_TOKEN),
                            "Content-Type": "application/x-www-form-urlencoded"}}

    def twilio_inbound(self, body: str, sid: str, *, from_: str = "+15555550101", base: str = PUBLIC_BASE) -> dict:
        url = f"{base}{TWILIO_INBOUND_PATH}"
        params = {"MessageSid": sid, "From": from_, "To": "+15005550006", "Body": body,
                  "AccountSid": "AC" + "0" * 32}
        return {"kind": "twilio_inbound", "url": url, "body": urlencode(params),
                "headers": {TWILIO_SIGNATURE_HEADER: twilio_signature(url, params, TWILIO_TOKEN),
                            "Content-Type": "application/x-www-form-urlencoded"}}

    def sendgrid_events(self, events: Sequence[Mapping], *, signed_at: datetime) -> dict:
        body = json.dumps(list(events)).encode()
        timestamp = str(int(signed_at.timestamp()))
        return {"kind": "sendgrid_events", "url": f"{PUBLIC_BASE}{SENDGRID_EVENTS_PATH}", "body": body.decode(),
                "headers": {SENDGRID_SIGNATURE_HEADER: sendgrid_signature(self.sendgrid_key, timestamp, body),
                            SENDGRID_TIMESTAMP_HEADER: timestamp}}


def sendgrid_event(delivery_id: str, message_id: str, event: str, at: datetime, **more: str) -> dict:
    """One event of a batch, as SendGrid posts it (our delivery id in its custom_args)."""
    return {"email": "someone@example.org", "event": event, "timestamp": int(at.timestamp()),
            "sg_message_id": message_id, "delivery_id": delivery_id, **more}

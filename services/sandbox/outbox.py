"""Webhook requests the sandbox owes someone, built and signed, not yet posted."""
from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import ec
from urllib3 import encode_multipart_formdata

from services.sandbox.signing import sendgrid_signature, twilio_signature

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


@dataclass(frozen=True, slots=True)
class OutgoingRequest:
    kind: str  # twilio_status, twilio_inbound, sendgrid_events: for the stats
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    # Twilio retries only when it cannot connect; SendGrid retries any non-2xx answer.
    retry_on_error_status: bool = False


def twilio_form_request(kind: str, url: str, params: Mapping[str, str], auth_token: str) -> OutgoingRequest:
    return OutgoingRequest(
        kind=kind,
        url=url,
        body=urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            TWILIO_SIGNATURE_HEADER: twilio_signature(url, params, auth_token),
            "User-Agent": "TwilioProxy/1.1 (sandbox)",
        },
    )


def sendgrid_events_request(url: str, events: Sequence[Mapping], key: ec.EllipticCurvePrivateKey,
                            now: float | None = None) -> OutgoingRequest:
    body = json.dumps(list(events), separators=(",", ":")).encode()
    timestamp = str(int(time.time() if now is None else now))
    return OutgoingRequest(
        kind="sendgrid_events",
        url=url,
        body=body,
        headers={
            "Content-Type": "application/json",
            SENDGRID_SIGNATURE_HEADER: sendgrid_signature(key, timestamp, body),
            SENDGRID_TIMESTAMP_HEADER: timestamp,
            "User-Agent": "SendGrid Event API (sandbox)",
        },
        retry_on_error_status=True,
    )


def sendgrid_inbound_request(url: str, fields: Mapping[str, str]) -> OutgoingRequest:
    """An Inbound Parse post: the email as a multipart form (from, to, subject, text, html, envelope, headers).
    Unsigned, as SendGrid's are: the secret is in the URL."""
    body, content_type = encode_multipart_formdata(dict(fields))
    return OutgoingRequest(kind="sendgrid_inbound", url=url, body=body,
                           headers={"Content-Type": content_type, "User-Agent": "Sendlib/1.0 (sandbox)"},
                           retry_on_error_status=True)

"""Whether a provider's webhook post is the provider's: its signature, and for SendGrid its signed time.

The gateway checks every post with `refusal` before anything else happens to it (edge authentication); nothing
here touches a database or the broker. Twilio signs form posts with HMAC-SHA1 of the exact URL it called plus
the sorted parameters (X-Twilio-Signature); behind a proxy, pass the public URL. SendGrid signs (timestamp +
raw body) with ECDSA P-256; the verification key comes from its settings page as base64, or as a PEM.
"""
from __future__ import annotations

import binascii
import functools
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from sendgrid.helpers.eventwebhook import EventWebhook
from twilio.request_validator import RequestValidator

from shared.contracts.provider_webhooks import SENDGRID_EVENTS, WEBHOOK_REPLAY_REFUSED, WEBHOOK_SIGNATURE_REFUSED
from shared.settings import seconds, value

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

# SendGrid signs the time of each post (the timestamp header) with its body: a signed batch whose time is further
# than NOTIFY_WEBHOOK_REPLAY_WINDOW_SECONDS from ours is a replay, refused however good its signature.
REPLAY_WINDOW_VARIABLE = "NOTIFY_WEBHOOK_REPLAY_WINDOW_SECONDS"


@dataclass(frozen=True)
class WebhookSecrets:
    """What proves a webhook came from the provider; None when that provider is not configured. A signed
    SendGrid batch is fresh only within `replay_window` of its signed time (the setting, unless given)."""

    twilio_auth_token: str | None = field(repr=False)
    sendgrid_public_key: str | None = field(repr=False)
    replay_window: timedelta = field(default_factory=lambda: seconds(REPLAY_WINDOW_VARIABLE))


def webhook_secrets_from_env() -> WebhookSecrets:
    """TWILIO_AUTH_TOKEN, SENDGRID_WEBHOOK_PUBLIC_KEY and NOTIFY_WEBHOOK_REPLAY_WINDOW_SECONDS; read at start."""
    return WebhookSecrets(twilio_auth_token=(value("TWILIO_AUTH_TOKEN") or "").strip() or None,
                          sendgrid_public_key=(value("SENDGRID_WEBHOOK_PUBLIC_KEY") or "").strip() or None)


def refusal(kind: str, url: str, headers: Mapping[str, str], body: str, secrets: WebhookSecrets,
            now: datetime) -> str | None:
    """Why a post is refused (WEBHOOK_SIGNATURE_REFUSED, WEBHOOK_REPLAY_REFUSED), or None when it is the
    provider's. `headers` with lower-case names."""
    if kind == SENDGRID_EVENTS:
        timestamp = headers.get(SENDGRID_TIMESTAMP_HEADER.lower())
        if not verify_sendgrid(body, headers.get(SENDGRID_SIGNATURE_HEADER.lower()), timestamp,
                               secrets.sendgrid_public_key or ""):
            return WEBHOOK_SIGNATURE_REFUSED
        if not sendgrid_signed_within(timestamp, now, secrets.replay_window):
            # Twilio signs no time: its replays meet notify's idempotency instead (a report already in a
            # delivery's history changes nothing; an inbound text is taken once per MessageSid).
            return WEBHOOK_REPLAY_REFUSED
        return None
    params = dict(parse_qsl(body, keep_blank_values=True))
    if not verify_twilio(url, params, headers.get(TWILIO_SIGNATURE_HEADER.lower()), secrets.twilio_auth_token or ""):
        return WEBHOOK_SIGNATURE_REFUSED
    return None


def verify_twilio(url: str, params: Mapping[str, str], signature: str | None, auth_token: str) -> bool:
    """What the SDK's `RequestValidator.validate` answers for form parameters: the signature of the URL with or
    of the URL without its port, computed by the SDK itself.

    It runs twice for every Twilio callback, so the SDK's validate is not called: it signs both URLs every time
    and looks each parameter up through two caught AttributeErrors (about 45 microseconds a post). Here the
    URL as called is tried first (what Twilio signs, so the only one signed in the usual case) and the other
    form only when that fails; the outcome is the same either way."""
    if not signature or not auth_token:
        return False
    validator = _twilio_validator(auth_token)
    values = _FormValues(params)
    given = signature.encode("utf-8", "surrogateescape")
    first, second = _signed_url_forms(url)
    for candidate in (first, second):
        if candidate is not None and hmac.compare_digest(
                validator.compute_signature(candidate, values).encode("utf-8"), given):
            return True
    return False


def twilio_signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """X-Twilio-Signature as Twilio makes it, computed by the SDK (the sandbox signs its callbacks with it)."""
    return _twilio_validator(auth_token).compute_signature(url, _FormValues(params))


@functools.lru_cache(maxsize=4)
def _twilio_validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


class _FormValues(dict):
    """Form parameters, one value each, offering the `getall` the SDK's signing looks for first (a plain dict
    makes it raise and catch two AttributeErrors per parameter)."""

    def getall(self, name: str) -> list[str]:
        return [self[name]]


def _signed_url_forms(url: str) -> tuple[str, str | None]:
    """The two URLs RequestValidator.validate signs (with the port, without it), the one that is the URL as
    called first; the second is None when it is the same URL."""
    parsed = urlsplit(url)
    as_called = parsed.geturl()
    try:
        port = parsed.port
    except ValueError:  # a port that is not a number: only the URL as called can match
        return as_called, None
    host = parsed.netloc.split(":")[0]
    if port:
        other = parsed._replace(netloc=host).geturl()
    else:
        other = parsed._replace(netloc=f"{parsed.netloc}:{443 if parsed.scheme == 'https' else 80}").geturl()
    return as_called, (other if other != as_called else None)


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


def sendgrid_signed_within(timestamp: str | None, now: datetime, window: timedelta) -> bool:
    """Whether SendGrid's signed timestamp (Unix seconds) lies within `window` of `now`, either side (clocks
    drift); a missing or unreadable one is not."""
    try:
        signed_at = datetime.fromtimestamp(int((timestamp or "").strip()), timezone.utc)
    except (ValueError, OverflowError, OSError):
        return False
    return abs(now - signed_at) <= window

"""Provider webhooks at the edge: verified here, handed to notify on a durable queue, answered once it is held.

Public endpoints (the providers hold no token). A signature that does not verify, or a SendGrid batch signed
outside the replay window, answers 403 and hands nothing over. A verified post is published, persistent and
confirmed, to notify.webhooks (shared/contracts/provider_webhooks.py) and answered 200 only after the broker's
confirm; a broker that cannot take it answers 503 (services/gateway/webhook_intake.py), so the provider posts
it again. notify applies what the queue holds in batches (services/notify/handlers_webhook_batches.py).
"""
from __future__ import annotations

import logging

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.webhooks import EMPTY_TWIML, body_text
from shared.contracts.errors import PermissionDenied
from shared.contracts.provider_webhooks import (
    SENDGRID_EVENTS,
    TWILIO_INBOUND,
    TWILIO_STATUS,
    WEBHOOK_REPLAY_REFUSED,
)
from shared.provider_signatures import refusal

log = logging.getLogger(__name__)


def receive_twilio_status(call: ApiCall, backends: Backends) -> dict:
    return _verify_and_hand_over(TWILIO_STATUS, call, backends)


def receive_twilio_inbound(call: ApiCall, backends: Backends) -> str:
    _verify_and_hand_over(TWILIO_INBOUND, call, backends)
    # Any reply to the texter goes out through notify's own sends; Twilio needs valid TwiML either way.
    return EMPTY_TWIML


def receive_sendgrid_events(call: ApiCall, backends: Backends) -> dict:
    return _verify_and_hand_over(SENDGRID_EVENTS, call, backends)


def _verify_and_hand_over(kind: str, call: ApiCall, backends: Backends) -> dict:
    intake = backends.webhooks
    body = body_text(call.raw.body)
    headers = {name.lower(): value for name, value in call.raw.headers.items()}
    now = intake.clock()
    refused = refusal(kind, call.raw.url, headers, body, intake.secrets, now)
    if refused == WEBHOOK_REPLAY_REFUSED:
        log.warning("refused a %s webhook for %s signed outside the replay window", kind, call.raw.url)
        raise PermissionDenied("This webhook was signed outside the replay window: a replay is refused.")
    if refused is not None:
        log.warning("refused a %s webhook for %s: its signature does not verify", kind, call.raw.url)
        raise PermissionDenied("This webhook's signature does not verify.")
    intake.hand_over({"kind": kind, "url": call.raw.url, "body": body, "received_at": now})
    return {"accepted": True}

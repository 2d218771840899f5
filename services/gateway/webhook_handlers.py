"""Provider webhooks: handed to notify as they came, which verifies the signature and applies them.

Public endpoints (the providers hold no token); a signature notify does not
accept answers 403 and changes nothing.
"""
from __future__ import annotations

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.webhooks import EMPTY_TWIML, body_text
from shared.contracts import notify
from shared.contracts.errors import PermissionDenied


def receive_twilio_status(call: ApiCall, backends: Backends) -> dict:
    return _hand_to_notify("twilio_status", call, backends)


def receive_twilio_inbound(call: ApiCall, backends: Backends) -> str:
    _hand_to_notify("twilio_inbound", call, backends)
    # Any reply to the texter goes out through notify's own sends; Twilio needs valid TwiML either way.
    return EMPTY_TWIML


def receive_sendgrid_events(call: ApiCall, backends: Backends) -> dict:
    return _hand_to_notify("sendgrid_events", call, backends)


def _hand_to_notify(kind: str, call: ApiCall, backends: Backends) -> dict:
    answer = backends.notify.receive_provider_webhook({
        "kind": kind, "url": call.raw.url, "headers": dict(call.raw.headers), "body": body_text(call.raw.body),
    })
    if not answer["accepted"]:
        if answer.get("refused") == notify.WEBHOOK_REPLAY_REFUSED:
            raise PermissionDenied("This webhook was signed outside the replay window: a replay is refused.")
        raise PermissionDenied("This webhook's signature does not verify.")
    return answer

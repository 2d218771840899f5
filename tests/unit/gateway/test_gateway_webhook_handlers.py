"""Provider webhooks at the edge: the gateway verifies each post and hands over only what verifies."""
from datetime import datetime, timedelta, timezone
from unittest.mock import Mock
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from services.gateway import webhook_handlers as handlers
from services.gateway.api import ApiCall, Backends, RawRequest
from services.gateway.errors import problem_for
from services.gateway.webhook_intake import WebhookIntake, WebhookQueueUnavailable
from services.sandbox.signing import public_key_base64, sendgrid_signature, twilio_signature
from shared.contracts.errors import PermissionDenied
from shared.provider_signatures import WebhookSecrets

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
TOKEN = "twilio-auth-token-for-edge-tests"
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
STATUS_URL = "https://school.example.org/webhooks/twilio/status?delivery_id=d-1"
INBOUND_URL = "https://school.example.org/webhooks/twilio/inbound"
EVENTS_URL = "https://school.example.org/webhooks/sendgrid/events"
STATUS = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": "+15555550101"}


class Handed(list):
    def __call__(self, webhook):
        self.append(webhook)


def backends(hand_over=None, *, replay_window=timedelta(minutes=10)) -> tuple[Backends, Handed]:
    handed = Handed()
    intake = WebhookIntake(secrets=WebhookSecrets(TOKEN, public_key_base64(SENDGRID_KEY), replay_window),
                           hand_over=hand_over or handed, clock=lambda: NOW)
    return Backends(identity=Mock(name="identity"), directory=Mock(name="directory"), webhooks=intake), handed


def twilio_call(url: str, params: dict, *, token: str = TOKEN) -> ApiCall:
    return ApiCall(None, raw=RawRequest(url=url, headers={"X-Twilio-Signature": twilio_signature(url, params, token)},
                                        body=urlencode(params).encode()))


def sendgrid_call(body: bytes = b'[{"event":"delivered","sg_message_id":"m1","timestamp":1}]', *,
                  signed_at: datetime = NOW, key=SENDGRID_KEY) -> ApiCall:
    timestamp = str(int(signed_at.timestamp()))
    return ApiCall(None, raw=RawRequest(url=EVENTS_URL, body=body, headers={
        "X-Twilio-Email-Event-Webhook-Signature": sendgrid_signature(key, timestamp, body),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp}))


def test_a_verified_status_callback_is_handed_over_with_its_kind_url_body_and_time():
    edge, handed = backends()

    answer = handlers.receive_twilio_status(twilio_call(STATUS_URL, STATUS), edge)

    assert answer == {"accepted": True}
    assert handed == [{"kind": "twilio_status", "url": STATUS_URL, "body": urlencode(STATUS), "received_at": NOW}]


def test_a_verified_inbound_text_is_handed_over_and_answered_with_empty_twiml():
    edge, handed = backends()
    params = {"MessageSid": "SM" + "b" * 32, "From": "+15555550101", "Body": "STOP"}

    assert handlers.receive_twilio_inbound(twilio_call(INBOUND_URL, params), edge) == "<Response/>"
    assert [webhook["kind"] for webhook in handed] == ["twilio_inbound"]


def test_a_signed_sendgrid_batch_within_the_replay_window_is_handed_over():
    edge, handed = backends()

    handlers.receive_sendgrid_events(sendgrid_call(signed_at=NOW - timedelta(minutes=9)), edge)

    assert [webhook["kind"] for webhook in handed] == ["sendgrid_events"]


@pytest.mark.parametrize("call", [
    twilio_call(STATUS_URL, STATUS, token="another-token"),
    ApiCall(None, raw=RawRequest(url=STATUS_URL, headers={"X-Twilio-Signature": twilio_signature(
        STATUS_URL, STATUS, TOKEN)}, body=urlencode({**STATUS, "MessageStatus": "undelivered"}).encode())),
    ApiCall(None, raw=RawRequest(url=STATUS_URL, headers={}, body=urlencode(STATUS).encode())),
], ids=["wrong-token", "tampered-body", "unsigned"])
def test_a_status_callback_that_does_not_verify_is_forbidden_and_nothing_is_handed_over(call):
    edge, handed = backends()

    with pytest.raises(PermissionDenied, match="signature"):
        handlers.receive_twilio_status(call, edge)
    assert handed == []


def test_a_sendgrid_batch_signed_with_another_key_is_forbidden():
    edge, handed = backends()

    with pytest.raises(PermissionDenied, match="signature"):
        handlers.receive_sendgrid_events(sendgrid_call(key=ec.generate_private_key(ec.SECP256R1())), edge)
    assert handed == []


@pytest.mark.parametrize("signed_at", [NOW - timedelta(minutes=11), NOW + timedelta(minutes=11)],
                         ids=["too-old", "from-the-future"])
def test_a_sendgrid_batch_signed_outside_the_replay_window_is_refused_as_a_replay(signed_at):
    edge, handed = backends()

    with pytest.raises(PermissionDenied, match="replay window"):
        handlers.receive_sendgrid_events(sendgrid_call(signed_at=signed_at), edge)
    assert handed == []


def test_a_queue_that_cannot_take_a_verified_post_answers_503_with_retry_after_never_500():
    def refuse(webhook):
        raise WebhookQueueUnavailable("connection refused")

    edge, _ = backends(hand_over=refuse)

    with pytest.raises(WebhookQueueUnavailable) as failed:
        handlers.receive_twilio_status(twilio_call(STATUS_URL, STATUS), edge)
    problem = problem_for(failed.value)
    assert (problem.status, problem.headers.get("Retry-After")) == (503, "5")

"""The sandbox signs as the providers do: the SDKs' own verifiers accept its webhooks."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook
from twilio.request_validator import RequestValidator

from services.sandbox.outbox import sendgrid_events_request, twilio_form_request
from services.sandbox.signing import private_key_pem, public_key_base64, signing_key


def test_twilio_form_webhook_validates_with_the_sdks_request_validator():
    url = "http://127.0.0.1:8000/webhooks/twilio/status?delivery_id=d-1"
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+15555550100"}

    request = twilio_form_request("twilio_status", url, params, "auth-token")

    assert RequestValidator("auth-token").validate(url, params, request.headers["X-Twilio-Signature"])
    assert not RequestValidator("other-token").validate(url, params, request.headers["X-Twilio-Signature"])
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_sendgrid_event_batch_verifies_with_the_sdks_event_webhook():
    key = signing_key(None)

    request = sendgrid_events_request("http://127.0.0.1:8000/e", [{"event": "delivered"}], key, now=1767225600)

    verifier = EventWebhook(public_key_base64(key))
    timestamp = request.headers["X-Twilio-Email-Event-Webhook-Timestamp"]
    assert timestamp == "1767225600"
    assert verifier.verify_signature(request.body.decode(), request.headers["X-Twilio-Email-Event-Webhook-Signature"],
                                     timestamp)
    assert not verifier.verify_signature(request.body.decode().replace("delivered", "bounce"),
                                         request.headers["X-Twilio-Email-Event-Webhook-Signature"], timestamp)
    assert request.retry_on_error_status


def test_a_signing_key_given_as_pem_is_used_as_is():
    key = signing_key(None)

    assert public_key_base64(signing_key(private_key_pem(key))) == public_key_base64(key)


def test_a_signing_key_on_another_curve_is_refused():
    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()

    with pytest.raises(ValueError, match="P-256"):
        signing_key(other)

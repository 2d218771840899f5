"""Webhook signatures: good ones pass; tampered, wrongly keyed or missing ones never do.

The test signs independently of the code under test: Twilio's scheme by hand
with hmac, SendGrid's with `cryptography` directly.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from twilio.request_validator import RequestValidator

from shared.provider_signatures import (
    REPLAY_WINDOW_VARIABLE,
    sendgrid_signed_within,
    verify_sendgrid,
    verify_twilio,
    webhook_secrets_from_env,
)

AUTH_TOKEN = "12345678901234567890123456789012"
URL = "https://notify.lincoln.example.org/webhooks/twilio/status?delivery_id=d-1"
PARAMS = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": "+15555550100",
          "From": "+15005550006", "AccountSid": "AC" + "0" * 32}


def twilio_signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    payload = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def test_twilio_signature_made_with_our_auth_token_verifies():
    assert verify_twilio(URL, PARAMS, twilio_signature(URL, PARAMS), AUTH_TOKEN)


def test_twilio_signature_over_a_url_with_an_explicit_port_verifies_either_way():
    url = "https://notify.lincoln.example.org:443/webhooks/twilio/status"
    assert verify_twilio(url, PARAMS, twilio_signature(url, PARAMS), AUTH_TOKEN)


def test_twilio_tampered_parameter_fails():
    tampered = {**PARAMS, "MessageStatus": "undelivered"}
    assert not verify_twilio(URL, tampered, twilio_signature(URL, PARAMS), AUTH_TOKEN)


def test_twilio_added_parameter_fails():
    assert not verify_twilio(URL, {**PARAMS, "ErrorCode": "30005"}, twilio_signature(URL, PARAMS), AUTH_TOKEN)


def test_twilio_signature_for_another_url_fails():
    other = URL.replace("d-1", "d-2")
    assert not verify_twilio(other, PARAMS, twilio_signature(URL, PARAMS), AUTH_TOKEN)


def test_twilio_signature_made_with_another_token_fails():
    assert not verify_twilio(URL, PARAMS, twilio_signature(URL, PARAMS, token="another-token"), AUTH_TOKEN)


@pytest.mark.parametrize("signature", [None, ""])
def test_twilio_missing_signature_fails(signature):
    assert not verify_twilio(URL, PARAMS, signature, AUTH_TOKEN)


def test_twilio_without_a_configured_token_nothing_verifies():
    assert not verify_twilio(URL, PARAMS, twilio_signature(URL, PARAMS, token=""), "")


URL_FORMS = [
    "https://notify.lincoln.example.org/webhooks/twilio/status?delivery_id=d-1",
    "https://notify.lincoln.example.org:443/webhooks/twilio/status?delivery_id=d-1",
    "http://127.0.0.1:8080/webhooks/twilio/status?delivery_id=d-1",
    "http://127.0.0.1/webhooks/twilio/status",
    "http://127.0.0.1:80/webhooks/twilio/status",
    "HTTPS://Notify.Example.org/webhooks/twilio/status?",
    "https://notify.example.org/webhooks/twilio/status;v=1?delivery_id=d%201#part",
]


@pytest.mark.parametrize("called", URL_FORMS)
@pytest.mark.parametrize("signed", URL_FORMS)
@pytest.mark.parametrize("params", [PARAMS, {}, {"Body": "caf\u00e9 & more", "To": ""}])
def test_twilio_verification_agrees_with_the_sdks_validator(called, signed, params):
    """Whatever URL was signed and whatever URL was called, it accepts exactly what the SDK's own
    RequestValidator.validate accepts (which signs the called URL with and without its port)."""
    signature = twilio_signature(signed, params)
    expected = RequestValidator(AUTH_TOKEN).validate(called, dict(params), signature)
    assert verify_twilio(called, params, signature, AUTH_TOKEN) is expected
    assert not verify_twilio(called, params, twilio_signature(signed, params, token="another-token"), AUTH_TOKEN)


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_base64(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def sendgrid_signature(key: ec.EllipticCurvePrivateKey, timestamp: str, body: bytes) -> str:
    return base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


BODY = json.dumps([{"email": "ana@example.org", "event": "delivered", "timestamp": 1767225600,
                    "sg_message_id": "abc.recvd-1-0.0", "delivery_id": "d-1"}]).encode()
TIMESTAMP = "1767225600"


@pytest.mark.parametrize("as_pem", [True, False], ids=["pem", "base64 as sendgrid shows it"])
def test_sendgrid_signature_made_with_the_matching_key_verifies(key, as_pem):
    public_key = public_pem(key) if as_pem else public_base64(key)
    assert verify_sendgrid(BODY, sendgrid_signature(key, TIMESTAMP, BODY), TIMESTAMP, public_key)


def test_sendgrid_body_given_as_text_verifies_too(key):
    assert verify_sendgrid(BODY.decode(), sendgrid_signature(key, TIMESTAMP, BODY), TIMESTAMP, public_pem(key))


def test_sendgrid_tampered_body_fails(key):
    tampered = BODY.replace(b"delivered", b"bounce")
    assert not verify_sendgrid(tampered, sendgrid_signature(key, TIMESTAMP, BODY), TIMESTAMP, public_pem(key))


def test_sendgrid_replayed_with_another_timestamp_fails(key):
    assert not verify_sendgrid(BODY, sendgrid_signature(key, TIMESTAMP, BODY), "1767229200", public_pem(key))


def test_sendgrid_signature_from_another_key_fails(key):
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert not verify_sendgrid(BODY, sendgrid_signature(stranger, TIMESTAMP, BODY), TIMESTAMP, public_pem(key))


@pytest.mark.parametrize("signature, timestamp", [(None, TIMESTAMP), ("", TIMESTAMP), ("sig", None), ("sig", "")])
def test_sendgrid_missing_signature_or_timestamp_header_fails(key, signature, timestamp):
    assert not verify_sendgrid(BODY, signature, timestamp, public_pem(key))


@pytest.mark.parametrize("signature", ["not base64 at all!", base64.b64encode(b"garbage").decode()])
def test_sendgrid_malformed_signature_fails_without_raising(key, signature):
    assert not verify_sendgrid(BODY, signature, TIMESTAMP, public_pem(key))


@pytest.mark.parametrize("public_key", ["", "not a key", base64.b64encode(b"not a key either").decode()])
def test_sendgrid_unusable_public_key_fails_without_raising(key, public_key):
    assert not verify_sendgrid(BODY, sendgrid_signature(key, TIMESTAMP, BODY), TIMESTAMP, public_key)


def test_sendgrid_body_that_is_not_utf8_fails_without_raising(key):
    body = b"\xff\xfe not utf-8"
    assert not verify_sendgrid(body, sendgrid_signature(key, TIMESTAMP, body), TIMESTAMP, public_pem(key))


def test_sendgrid_key_of_the_wrong_kind_fails_without_raising(key):
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert not verify_sendgrid(BODY, sendgrid_signature(key, TIMESTAMP, BODY), TIMESTAMP, rsa_public)


# --- SendGrid's replay window: the signed time against ours ---

SIGNED_AT = datetime.fromtimestamp(int(TIMESTAMP), timezone.utc)
WINDOW = timedelta(minutes=10)


@pytest.mark.parametrize("now, fresh", [
    (SIGNED_AT, True), (SIGNED_AT + WINDOW, True), (SIGNED_AT - WINDOW, True),
    (SIGNED_AT + WINDOW + timedelta(seconds=1), False), (SIGNED_AT - WINDOW - timedelta(seconds=1), False)],
    ids=["now", "at the edge", "clock behind by the window", "just too old", "just too far ahead"])
def test_a_sendgrid_signed_time_counts_within_the_window_either_side(now, fresh):
    assert sendgrid_signed_within(TIMESTAMP, now, WINDOW) is fresh


@pytest.mark.parametrize("timestamp", [None, "", "yesterday", "1e9", "99999999999999999999"])
def test_a_missing_or_unreadable_signed_time_is_never_fresh(timestamp):
    assert not sendgrid_signed_within(timestamp, SIGNED_AT, WINDOW)


def test_the_replay_window_is_ten_minutes_unless_configured(monkeypatch):
    monkeypatch.delenv(REPLAY_WINDOW_VARIABLE, raising=False)
    assert webhook_secrets_from_env().replay_window == timedelta(minutes=10)
    monkeypatch.setenv(REPLAY_WINDOW_VARIABLE, "90")
    assert webhook_secrets_from_env().replay_window == timedelta(seconds=90)

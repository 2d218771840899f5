"""POST /webhooks/twilio/status, /webhooks/twilio/inbound, /webhooks/sendgrid/events: public, verified by the
gateway, and handed to notify on the durable webhook queue exactly as the provider sent them (a real broker)."""
import json
import time
from urllib.parse import urlencode

import pika
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from gateway_http_support import assert_error, free_port
from services.gateway.webhook_intake import ProviderWebhookIntake, WebhookIntake, WebhookQueuePublisher
from services.sandbox.signing import public_key_base64, sendgrid_signature, twilio_signature
from shared.contracts.provider_webhooks import WEBHOOK_QUEUE
from shared.webhook_queue import declare_with_pika

TOKEN = "twilio-auth-token-for-gateway-tests"
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
STATUS = {"MessageSid": "SM0123456789abcdef0123456789abcdef", "MessageStatus": "undelivered", "ErrorCode": "30006",
          "To": "+15555550101", "From": "+15005550006", "AccountSid": "AC" + "0" * 32}
INBOUND = {"MessageSid": "SM" + "1" * 32, "From": "+15555550101", "To": "+15005550006", "Body": "STOP"}
SENDGRID_BATCH = ('[{"email":"zoë@example.org","event":"bounce","type":"bounce","status":"5.1.1",'
                  '"reason":"550 5.1.1  The account   does not exist","timestamp":1767225600,'
                  '"sg_message_id":"m1.recvd-0","delivery_id":"d-1"}]').encode()


@pytest.fixture
def signed_gateway(start_gateway, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("SENDGRID_WEBHOOK_PUBLIC_KEY", public_key_base64(SENDGRID_KEY))
    return start_gateway


@pytest.fixture
def gateway(signed_gateway):
    return signed_gateway()


@pytest.fixture
def queued(rabbit_config):
    """queued() -> the messages on the webhook queue (taken off it), each (body as JSON, properties)."""

    def take() -> list:
        connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
        try:
            channel = connection.channel()
            declare_with_pika(channel)  # nothing published yet: the queue exists, empty
            messages = []
            while (got := channel.basic_get(WEBHOOK_QUEUE, auto_ack=True))[0] is not None:
                messages.append((json.loads(got[2]), got[1]))
            return messages
        finally:
            connection.close()

    return take


def post_twilio(gateway, path: str, params: dict, *, signed_url: str | None = None, **headers):
    signature = twilio_signature(signed_url or gateway.url + path, params, TOKEN)
    return gateway.post(path, data=urlencode(params).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature, **headers})


def post_sendgrid(gateway, body: bytes = SENDGRID_BATCH, *, key=SENDGRID_KEY, **headers):
    timestamp = str(int(time.time()))
    return gateway.post("/webhooks/sendgrid/events", data=body, headers={
        "Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "X-Twilio-Email-Event-Webhook-Signature": sendgrid_signature(key, timestamp, body), **headers})


def test_a_verified_status_callback_is_queued_persistent_with_its_url_and_body_byte_for_byte(gateway, queued):
    path = "/webhooks/twilio/status?delivery_id=d%2F1&attempt=2"

    response = post_twilio(gateway, path, STATUS)

    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": True}
    [(message, properties)] = queued()
    assert (message["kind"], message["url"], message["body"]) == ("twilio_status", gateway.url + path,
                                                                  urlencode(STATUS))
    assert properties.delivery_mode == 2
    gateway.notify.receive_provider_webhook.assert_not_called()
    gateway.identity.issue_assertion.assert_not_called()


def test_a_verified_inbound_text_is_queued_and_answered_with_empty_twiml_as_xml(gateway, queued):
    response = post_twilio(gateway, "/webhooks/twilio/inbound", INBOUND)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.text == "<Response/>"
    assert [message["kind"] for message, _ in queued()] == ["twilio_inbound"]


def test_a_signed_sendgrid_batch_is_queued_with_its_body_byte_for_byte(gateway, queued):
    assert post_sendgrid(gateway).status_code == 200

    [(message, _)] = queued()
    assert (message["kind"], message["body"].encode("utf-8")) == ("sendgrid_events", SENDGRID_BATCH)


@pytest.mark.parametrize("post", [
    lambda gateway: post_twilio(gateway, "/webhooks/twilio/status", STATUS, signed_url="https://elsewhere.example"),
    lambda gateway: post_twilio(gateway, "/webhooks/twilio/inbound", INBOUND, **{"X-Twilio-Signature": "Zm9yZ2Vk"}),
    lambda gateway: post_sendgrid(gateway, key=ec.generate_private_key(ec.SECP256R1())),
], ids=["twilio-status", "twilio-inbound", "sendgrid-events"])
def test_a_webhook_that_does_not_verify_is_forbidden_in_the_error_shape_and_nothing_is_queued(gateway, queued, post):
    assert_error(post(gateway), 403, "permission_denied")
    assert queued() == []


def test_behind_a_proxy_the_configured_public_url_is_the_url_the_provider_signed(signed_gateway, queued):
    gateway = signed_gateway(GATEWAY_PUBLIC_URL="https://school.example.org")
    path = "/webhooks/twilio/status?delivery_id=d-1"

    response = post_twilio(gateway, path, STATUS, signed_url="https://school.example.org" + path)

    assert response.status_code == 200, response.text
    assert queued()[0][0]["url"] == "https://school.example.org/webhooks/twilio/status?delivery_id=d-1"


def test_a_body_that_is_not_utf8_is_refused_naming_body_and_nothing_is_queued(gateway, queued):
    response = gateway.post("/webhooks/sendgrid/events", data=b"[\xff]",
                            headers={"Content-Type": "application/json"})

    assert assert_error(response, 400, "invalid_request") == {"body": ["Not UTF-8."]}
    assert queued() == []


def test_a_bearer_token_on_a_webhook_is_ignored_rather_than_checked(gateway):
    response = post_sendgrid(gateway, **{"Authorization": "Bearer forged"})

    assert response.status_code == 200
    gateway.identity.issue_assertion.assert_not_called()


def test_a_broker_that_cannot_take_a_verified_post_answers_503_with_retry_after(gateway):
    [intake] = [d for d in gateway.container.dependencies if isinstance(d, ProviderWebhookIntake)]
    unreachable = WebhookQueuePublisher(f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    intake.intake = WebhookIntake(secrets=intake.intake.secrets, hand_over=unreachable.hand_over)

    response = post_twilio(gateway, "/webhooks/twilio/status", STATUS)

    assert_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "5"


def test_a_queue_deleted_after_the_first_post_is_declared_again_and_the_next_post_still_queued(
        gateway, queued, rabbit_config):
    assert post_twilio(gateway, "/webhooks/twilio/status", STATUS).status_code == 200
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    try:
        connection.channel().queue_delete(WEBHOOK_QUEUE)
    finally:
        connection.close()

    response = post_twilio(gateway, "/webhooks/twilio/inbound", INBOUND)

    assert response.status_code == 200
    [(webhook, _)] = queued()
    assert webhook["kind"] == "twilio_inbound"


def test_webhooks_take_posts_only(gateway):
    response = gateway.get("/webhooks/twilio/status")

    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"

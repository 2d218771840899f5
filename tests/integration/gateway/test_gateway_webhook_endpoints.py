"""POST /webhooks/twilio/status, /webhooks/twilio/inbound, /webhooks/sendgrid/events: public, passed to notify
exactly as the provider sent them."""
import pytest

from gateway_http_support import assert_error

TWILIO_FORM = ("MessageSid=SM0123456789abcdef0123456789abcdef&MessageStatus=undelivered&ErrorCode=30006&"
               "To=%2B15555550101&From=%2B15005550006&AccountSid=AC" + "0" * 32).encode()
SENDGRID_BATCH = ('[{"email":"zoë@example.org","event":"bounce","type":"bounce","status":"5.1.1",'
                  '"reason":"550 5.1.1  The account   does not exist","timestamp":1767225600,'
                  '"sg_message_id":"m1.recvd-0","delivery_id":"d-1"}]').encode()
TWILIO_SIGNATURE = "4kL9sB1U3Zr+q2vGmJx0c8a5Wk4="
SENDGRID_SIGNATURE = "MEUCIQCtQXq4vYj1Wb1r5LwPq9gS0A/ZR3n7+kXyP6mD0fT1VwIgE2s9kYHdJ8q0bUu1C3d4e5f6g7h8i9j0k1l2m3n4o5p="

WEBHOOKS = [
    ("/webhooks/twilio/status?delivery_id=d%2F1&attempt=2", "twilio_status", "application/x-www-form-urlencoded",
     TWILIO_FORM, {"X-Twilio-Signature": TWILIO_SIGNATURE}),
    ("/webhooks/twilio/inbound", "twilio_inbound", "application/x-www-form-urlencoded",
     b"From=%2B15555550101&To=%2B15005550006&Body=STOP", {"X-Twilio-Signature": TWILIO_SIGNATURE}),
    ("/webhooks/sendgrid/events", "sendgrid_events", "application/json", SENDGRID_BATCH,
     {"X-Twilio-Email-Event-Webhook-Signature": SENDGRID_SIGNATURE,
      "X-Twilio-Email-Event-Webhook-Timestamp": "1767225600"}),
]
WEBHOOK_IDS = ["twilio-status", "twilio-inbound", "sendgrid-events"]


def forwarded(gateway) -> dict:
    gateway.notify.receive_provider_webhook.assert_called_once()
    return gateway.notify.receive_provider_webhook.call_args.args[0]


@pytest.mark.parametrize(("path", "kind", "content_type", "body", "signature"), WEBHOOKS, ids=WEBHOOK_IDS)
def test_a_webhook_reaches_notify_with_the_raw_body_and_signature_byte_for_byte(
        gateway, path, kind, content_type, body, signature):
    gateway.notify.receive_provider_webhook.return_value = {"accepted": True, "applied": 1}

    response = gateway.post(path, data=body, headers={"Content-Type": content_type, **signature})

    assert response.status_code == 200
    request = forwarded(gateway)
    assert request["kind"] == kind
    assert request["body"].encode("utf-8") == body
    for name, value in signature.items():
        assert request["headers"][name] == value
    assert request["headers"]["Content-Type"] == content_type
    assert request["url"] == gateway.url + path
    gateway.identity.issue_assertion.assert_not_called()


def test_a_status_callback_answers_what_notify_applied(gateway):
    gateway.notify.receive_provider_webhook.return_value = {"accepted": True, "applied": 1}

    response = gateway.post("/webhooks/twilio/status", data=TWILIO_FORM,
                            headers={"X-Twilio-Signature": TWILIO_SIGNATURE})

    assert response.json() == {"accepted": True, "applied": 1}


def test_an_inbound_sms_is_answered_with_empty_twiml_as_xml(gateway):
    gateway.notify.receive_provider_webhook.return_value = {"accepted": True, "applied": 0}

    response = gateway.post("/webhooks/twilio/inbound", data=b"From=%2B15555550101&Body=STOP",
                            headers={"X-Twilio-Signature": TWILIO_SIGNATURE})

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.text == "<Response/>"


@pytest.mark.parametrize(("path", "kind", "content_type", "body", "signature"), WEBHOOKS, ids=WEBHOOK_IDS)
def test_a_webhook_notify_does_not_accept_is_forbidden_in_the_error_shape(
        gateway, path, kind, content_type, body, signature):
    gateway.notify.receive_provider_webhook.return_value = {"accepted": False, "applied": 0}

    response = gateway.post(path, data=body, headers={"Content-Type": content_type, **signature})

    assert_error(response, 403, "permission_denied")


def test_behind_a_proxy_the_configured_public_url_is_the_url_the_provider_called(start_gateway):
    gateway = start_gateway(GATEWAY_PUBLIC_URL="https://school.example.org")
    gateway.notify.receive_provider_webhook.return_value = {"accepted": True, "applied": 1}

    gateway.post("/webhooks/twilio/status?delivery_id=d-1", data=TWILIO_FORM,
                 headers={"X-Twilio-Signature": TWILIO_SIGNATURE})

    assert forwarded(gateway)["url"] == "https://school.example.org/webhooks/twilio/status?delivery_id=d-1"


def test_a_body_that_is_not_utf8_is_refused_naming_body_and_never_reaches_notify(gateway):
    response = gateway.post("/webhooks/sendgrid/events", data=b"[\xff]",
                            headers={"Content-Type": "application/json"})

    assert assert_error(response, 400, "invalid_request") == {"body": ["Not UTF-8."]}
    gateway.notify.receive_provider_webhook.assert_not_called()


def test_a_bearer_token_on_a_webhook_is_ignored_rather_than_checked(gateway):
    gateway.notify.receive_provider_webhook.return_value = {"accepted": True, "applied": 1}

    response = gateway.post("/webhooks/sendgrid/events", data=b"[]",
                            headers={"Authorization": "Bearer forged", "Content-Type": "application/json"})

    assert response.status_code == 200
    gateway.identity.issue_assertion.assert_not_called()


def test_webhooks_take_posts_only(gateway):
    response = gateway.get("/webhooks/twilio/status")

    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"

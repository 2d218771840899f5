from unittest.mock import Mock

import pytest

from services.gateway import webhook_handlers as handlers
from services.gateway.api import ApiCall, Backends, RawRequest
from shared.contracts.errors import PermissionDenied

STATUS_URL = "http://127.0.0.1:8000/webhooks/twilio/status?delivery_id=d-1"
FORM = b"MessageSid=SM1&MessageStatus=delivered"


def make_backends(accepted: bool = True) -> Backends:
    backends = Backends(identity=Mock(name="identity"), directory=Mock(name="directory"), notify=Mock(name="notify"))
    backends.notify.receive_provider_webhook.return_value = {"accepted": accepted, "applied": int(accepted)}
    return backends


def webhook_call(url: str = STATUS_URL, body: bytes = FORM) -> ApiCall:
    return ApiCall(None, raw=RawRequest(url=url, headers={"X-Twilio-Signature": "c2ln"}, body=body))


def test_a_status_callback_goes_to_notify_with_its_kind_url_headers_and_body():
    backends = make_backends()

    answer = handlers.receive_twilio_status(webhook_call(), backends)

    assert answer == {"accepted": True, "applied": 1}
    backends.notify.receive_provider_webhook.assert_called_once_with({
        "kind": "twilio_status", "url": STATUS_URL, "headers": {"X-Twilio-Signature": "c2ln"},
        "body": "MessageSid=SM1&MessageStatus=delivered"})


def test_an_inbound_sms_is_answered_with_empty_twiml():
    backends = make_backends()

    assert handlers.receive_twilio_inbound(webhook_call(body=b"From=%2B1&Body=STOP"), backends) == "<Response/>"
    assert backends.notify.receive_provider_webhook.call_args.args[0]["kind"] == "twilio_inbound"


def test_sendgrid_events_go_to_notify_as_sendgrid_events():
    backends = make_backends()

    handlers.receive_sendgrid_events(webhook_call(body=b"[]"), backends)

    assert backends.notify.receive_provider_webhook.call_args.args[0]["kind"] == "sendgrid_events"


@pytest.mark.parametrize("receive", [handlers.receive_twilio_status, handlers.receive_twilio_inbound,
                                     handlers.receive_sendgrid_events])
def test_a_webhook_notify_does_not_accept_is_permission_denied(receive):
    with pytest.raises(PermissionDenied, match="signature"):
        receive(webhook_call(), make_backends(accepted=False))


def test_a_replayed_sendgrid_batch_is_permission_denied_saying_so():
    backends = make_backends(accepted=False)
    backends.notify.receive_provider_webhook.return_value = {"accepted": False, "applied": 0, "refused": "replayed"}

    with pytest.raises(PermissionDenied, match="replay window"):
        handlers.receive_sendgrid_events(webhook_call(body=b"[]"), backends)

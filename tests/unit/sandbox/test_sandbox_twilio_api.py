"""The sandbox's Twilio endpoints as functions: validation, refusals, resources and signed callbacks."""
from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from services.sandbox.config import SandboxConfig
from services.sandbox.rules import make_rule
from services.sandbox.state import Sandbox
from services.sandbox.twilio_api import check_auth, create_call, create_message, spoken_text

CONFIG = SandboxConfig(twilio_account_sid="AC" + "1" * 32, twilio_auth_token="token-123")
CALLBACK = "http://127.0.0.1:9999/webhooks/twilio/status?delivery_id=d-1"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(CONFIG)


def sms_form(**overrides: str) -> dict[str, str]:
    return {"To": "+15555550100", "From": "+15005550006", "Body": "Report cards go home today.", **overrides}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def body(answer) -> dict:
    return json.loads(answer.body)


def test_the_account_sid_and_auth_token_authorise_a_request(sandbox):
    assert check_auth(sandbox, CONFIG.twilio_account_sid, basic(CONFIG.twilio_account_sid, "token-123")) is None


@pytest.mark.parametrize("authorization", [None, "Bearer token-123", basic("AC" + "1" * 32, "wrong"), "Basic !!!"])
def test_anything_else_is_refused_with_20003(sandbox, authorization):
    answer = check_auth(sandbox, CONFIG.twilio_account_sid, authorization)

    assert (answer.status, body(answer)["code"]) == (401, 20003)


def test_another_accounts_path_is_not_found(sandbox):
    answer = check_auth(sandbox, "AC" + "2" * 32, basic(CONFIG.twilio_account_sid, "token-123"))

    assert (answer.status, body(answer)["code"]) == (404, 20404)


@pytest.mark.parametrize("overrides, code", [
    ({"To": ""}, 21604),
    ({"To": "5555550100"}, 21211),
    ({"From": ""}, 21603),
    ({"Body": ""}, 21602),
    ({"Body": "x" * 1601}, 21617),
    ({"StatusCallback": "ftp://example.org/cb"}, 21609),
])
def test_a_message_twilio_would_refuse_is_refused_with_its_code(sandbox, overrides, code):
    answer = create_message(sandbox, sms_form(**overrides))

    assert answer.status == 400
    assert body(answer)["code"] == code
    assert body(answer)["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


def test_an_accepted_message_is_queued_recorded_and_has_no_callbacks_without_a_url(sandbox):
    answer = create_message(sandbox, sms_form())

    message = body(answer)
    assert answer.status == 201
    assert (message["status"], message["direction"], message["num_segments"]) == ("queued", "outbound-api", "1")
    assert message["uri"] == f"/2010-04-01/Accounts/{CONFIG.twilio_account_sid}/Messages/{message['sid']}.json"
    [recorded] = sandbox.log.query()
    assert (recorded["provider_message_id"], recorded["status"]) == (message["sid"], "delivered")
    assert answer.callbacks == []


def test_a_messaging_service_picks_the_sender_and_answers_accepted(sandbox):
    answer = create_message(sandbox, sms_form(From="", MessagingServiceSid="MG" + "3" * 32))

    assert (answer.status, body(answer)["status"]) == (201, "accepted")
    assert body(answer)["from"].startswith("+")


def test_status_callbacks_say_sent_then_the_fate_signed_with_the_auth_token(sandbox):
    sandbox.rules.add(make_rule("+15555550100", "undeliverable"))

    answer = create_message(sandbox, sms_form(StatusCallback=CALLBACK))

    sent, final = answer.callbacks
    validator = RequestValidator("token-123")
    for callback in (sent, final):
        params = dict(parse_qsl(callback.body.decode()))
        assert callback.url == CALLBACK
        assert validator.validate(CALLBACK, params, callback.headers["X-Twilio-Signature"])
    final_params = dict(parse_qsl(final.body.decode()))
    assert dict(parse_qsl(sent.body.decode()))["MessageStatus"] == "sent"
    assert (final_params["MessageStatus"], final_params["ErrorCode"]) == ("undelivered", "30005")
    assert final_params["MessageSid"] == body(answer)["sid"]


def test_a_refused_message_is_recorded_as_refused_and_calls_nobody_back(sandbox):
    sandbox.rules.add(make_rule("+15555550100", "hard_bounce"))

    answer = create_message(sandbox, sms_form(StatusCallback=CALLBACK))

    assert (answer.status, body(answer)["code"], answer.callbacks) == (400, 21211, [])
    assert sandbox.log.count(status="refused") == 1


def test_an_opted_out_number_is_refused_with_21610(sandbox):
    sandbox.rules.set_opted_out("+15555550100", True)

    answer = create_message(sandbox, sms_form())

    assert body(answer) == {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                            "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}


def test_a_call_records_what_its_twiml_says_and_calls_back_once_when_done(sandbox):
    twiml = "<Response><Say>Lockdown drill at ten &amp; eleven.</Say></Response>"

    answer = create_call(sandbox, {"To": "+15555550100", "From": "+15005550006", "Twiml": twiml,
                                   "StatusCallback": CALLBACK})

    assert (answer.status, body(answer)["status"]) == (201, "queued")
    assert body(answer)["sid"].startswith("CA")
    [recorded] = sandbox.log.query(channel="voice")
    assert (recorded["body"], recorded["twiml"]) == ("Lockdown drill at ten & eleven.", twiml)
    [callback] = answer.callbacks
    params = dict(parse_qsl(callback.body.decode()))
    assert (params["CallStatus"], params["CallSid"]) == ("completed", body(answer)["sid"])


@pytest.mark.parametrize("form, code", [
    ({"From": "+15005550006", "Twiml": "<Response/>"}, 21201),
    ({"To": "+15555550100", "Twiml": "<Response/>"}, 21213),
    ({"To": "+15555550100", "From": "+15005550006"}, 21205),
])
def test_a_call_twilio_would_refuse_is_refused_with_its_code(sandbox, form, code):
    assert body(create_call(sandbox, form))["code"] == code


def test_twiml_that_does_not_parse_has_no_spoken_text():
    assert spoken_text("<Response><Say>unclosed") is None
    assert spoken_text("<Response><Say>One</Say><Pause/><Say>Two</Say></Response>") == "One Two"

"""The sandbox's own endpoints as functions: rules, inbound texts, configuration, queries."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from services.sandbox import control
from services.sandbox.config import SandboxConfig
from services.sandbox.state import DEFAULT_SENDER_NUMBER, Sandbox
from services.sandbox.twilio_api import create_message

INBOUND_URL = "http://127.0.0.1:9999/webhooks/twilio/inbound"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(twilio_inbound_url=INBOUND_URL))


def posted_form(answer) -> dict[str, str]:
    [callback] = answer.callbacks
    return dict(parse_qsl(callback.body.decode()))


def add_rule(sandbox: Sandbox, **payload):
    return control.add_rule(sandbox, json.dumps(payload).encode())


def test_a_stop_rule_makes_the_number_text_stop_to_whoever_last_texted_it(sandbox):
    create_message(sandbox, {"To": "+15555550100", "From": "+15005550123", "Body": "Hello"})

    answer = add_rule(sandbox, address="+15555550100", kind="stop_reply")

    assert answer.status == 201
    form = posted_form(answer)
    assert (form["From"], form["To"], form["Body"], form["OptOutType"]) == (
        "+15555550100", "+15005550123", "STOP", "STOP")
    assert sandbox.rules.is_opted_out("+15555550100")


def test_a_stop_rule_for_a_number_never_texted_replies_to_the_default_sender(sandbox):
    assert posted_form(add_rule(sandbox, address="+15555550100", kind="stop_reply"))["To"] == DEFAULT_SENDER_NUMBER


def test_a_refused_rule_answers_400_with_the_reason(sandbox):
    answer = add_rule(sandbox, address="+15555550100", kind="spam_report")

    assert answer.status == 400
    assert "does not apply to a phone" in json.loads(answer.body)["error"]


@pytest.mark.parametrize("body, opted_out, opt_out_type", [
    ("stop", True, "STOP"), ("UNSUBSCRIBE", True, "STOP"), ("help", False, "HELP"), ("Thanks!", False, None)])
def test_an_inbound_text_applies_twilios_keywords_before_it_is_forwarded(sandbox, body, opted_out, opt_out_type):
    answer = control.receive_sms(sandbox, "+15555550100", "+15005550006", body)

    assert sandbox.rules.is_opted_out("+15555550100") is opted_out
    assert posted_form(answer).get("OptOutType") == opt_out_type
    assert posted_form(answer)["Body"] == body


def test_start_lifts_an_opt_out(sandbox):
    control.receive_sms(sandbox, "+15555550100", "+15005550006", "STOP")

    control.receive_sms(sandbox, "+15555550100", "+15005550006", "start")

    assert not sandbox.rules.is_opted_out("+15555550100")


def test_an_inbound_text_with_no_url_configured_is_counted_but_not_posted():
    sandbox = Sandbox(SandboxConfig())

    answer = control.receive_sms(sandbox, "+15555550100", "+15005550006", "hi")

    assert (answer.callbacks, json.loads(answer.body)["posted"], sandbox.inbound_sms_count) == ([], False, 1)


def test_an_inbound_text_from_a_malformed_number_is_refused(sandbox):
    assert control.receive_sms(sandbox, "555-0100", "+15005550006", "hi").status == 400


def test_configure_changes_targets_and_an_empty_string_switches_one_off(sandbox):
    answer = control.configure(sandbox, json.dumps({"sendgrid_events_url": "http://127.0.0.1:1/e",
                                                     "twilio_inbound_url": ""}).encode())

    assert json.loads(answer.body) == {"sendgrid_events_url": "http://127.0.0.1:1/e", "twilio_inbound_url": None}


def test_message_queries_filter_page_and_count(sandbox):
    for n in range(5):
        create_message(sandbox, {"To": f"+1555555010{n}", "From": "+15005550006", "Body": f"m{n}"})

    page = json.loads(control.list_messages(sandbox, {"channel": "sms", "offset": "1", "limit": "2"}).body)
    assert [m["body"] for m in page["messages"]] == ["m1", "m2"]
    assert json.loads(control.count_messages(sandbox, {"to": "+15555550103"}).body) == {"count": 1}
    assert control.list_messages(sandbox, {"limit": "many"}).status == 400

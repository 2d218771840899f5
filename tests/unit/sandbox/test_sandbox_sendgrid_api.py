"""The sandbox's SendGrid mail send as a function: validation, recording and the events it queues."""
from __future__ import annotations

import json

import pytest

from services.sandbox.config import SandboxConfig
from services.sandbox.rules import make_rule
from services.sandbox.sendgrid_api import check_auth, mail_send, validate
from services.sandbox.state import Sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(sendgrid_api_key="SG.key"))


def mail(*emails: str, **overrides) -> dict:
    return {
        "personalizations": [{"to": [{"email": email}], "custom_args": {"delivery_id": f"d-{n}"}}
                             for n, email in enumerate(emails)],
        "from": {"email": "office@school.example.org", "name": "Lincoln Elementary"},
        "subject": "Book fair",
        "content": [{"type": "text/plain", "value": "The book fair opens Monday."}],
        **overrides,
    }


def send(sandbox: Sandbox, payload: dict):
    return mail_send(sandbox, json.dumps(payload).encode())


def test_only_the_configured_bearer_key_is_accepted(sandbox):
    assert check_auth(sandbox, "Bearer SG.key") is None
    refused = check_auth(sandbox, "Bearer SG.other")
    assert refused.status == 401
    assert json.loads(refused.body)["errors"][0]["field"] is None


@pytest.mark.parametrize("payload, field", [
    ({**mail("a@example.org"), "personalizations": []}, "personalizations"),
    (mail("a@example.org", "bad"), "personalizations.1.to.0.email"),
    ({**mail("a@example.org"), "from": {"email": "nobody"}}, "from.email"),
    ({**mail("a@example.org"), "subject": ""}, "subject"),
    ({**mail("a@example.org"), "content": []}, "content"),
    (mail(*[f"g{n}@example.org" for n in range(1001)]), "personalizations"),
])
def test_mail_sendgrid_would_refuse_names_the_field(payload, field):
    assert field in [error["field"] for error in validate(payload)]


def test_a_subject_in_every_personalization_is_enough():
    payload = mail("a@example.org", subject=None)
    payload["personalizations"][0]["subject"] = "Per person"

    assert validate(payload) == []


def test_a_body_that_is_not_json_is_a_bad_request(sandbox):
    answer = mail_send(sandbox, b"{not json")

    assert answer.status == 400


def test_accepted_mail_answers_202_with_a_message_id_and_records_each_recipient(sandbox):
    answer = send(sandbox, mail("a@example.org", "b@example.org"))

    assert (answer.status, answer.body) == (202, b"")
    message_id = answer.headers["X-Message-Id"]
    recorded = sandbox.log.query(channel="email")
    assert [r["to"] for r in recorded] == ["a@example.org", "b@example.org"]
    assert {r["batch_id"] for r in recorded} == {message_id}
    assert all(r["provider_message_id"].startswith(message_id + ".") for r in recorded)
    assert [r["custom_args"] for r in recorded] == [{"delivery_id": "d-0"}, {"delivery_id": "d-1"}]


def test_each_recipient_gets_processed_then_delivered_with_its_custom_args(sandbox):
    answer = send(sandbox, mail("a@example.org"))

    processed, delivered = answer.events
    assert (processed["event"], delivered["event"]) == ("processed", "delivered")
    assert delivered["delivery_id"] == "d-0"
    assert delivered["email"] == "a@example.org"
    assert delivered["sg_message_id"].startswith(answer.headers["X-Message-Id"])


def test_custom_args_cannot_overwrite_sendgrids_own_fields(sandbox):
    payload = mail("a@example.org")
    payload["personalizations"][0]["custom_args"]["event"] = "forged"

    answer = send(sandbox, payload)

    assert [event["event"] for event in answer.events] == ["processed", "delivered"]


def test_a_bounce_rule_produces_a_bounce_event_with_status_and_reason(sandbox):
    sandbox.rules.add(make_rule("a@example.org", "hard_bounce"))

    _, bounce = send(sandbox, mail("a@example.org")).events

    assert (bounce["event"], bounce["type"], bounce["status"]) == ("bounce", "bounce", "5.1.1")
    assert bounce["reason"].startswith("550 5.1.1")
    assert sandbox.log.query()[0]["status"] == "bounce"


def test_a_suppressed_address_gets_only_a_dropped_event(sandbox):
    sandbox.rules.add(make_rule("a@example.org", "spam_report"))
    send(sandbox, mail("a@example.org"))

    [dropped] = send(sandbox, mail("a@example.org")).events

    assert (dropped["event"], dropped["reason"]) == ("dropped", "Spam Reporting Address")

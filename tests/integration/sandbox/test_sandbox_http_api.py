"""The sandbox over HTTP, driven with plain requests: the provider shapes and its own endpoints."""
from __future__ import annotations

import http.client
import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from services.notify.adapters.webhooks import SENDGRID_EVENTS_PATH, TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH
from services.sandbox.client import SandboxError
from services.sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_SENDGRID_API_KEY
from services.sandbox.process import running_sandbox
from services.sandbox.signing import private_key_pem, public_key_base64, signing_key
from tests.integration.sandbox.sandbox_harness import SANDBOX_ENV

MESSAGES_PATH = f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"
TWILIO_AUTH = (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
SENDGRID_HEADERS = {"Authorization": f"Bearer {DEFAULT_SENDGRID_API_KEY}"}


def post_sms(base_url: str, to: str = "+15555550100", **extra: str) -> requests.Response:
    form = {"To": to, "From": "+15005550006", "Body": "Early dismissal at noon.", **extra}
    return requests.post(base_url + MESSAGES_PATH, data=form, auth=TWILIO_AUTH, timeout=5)


def mail(*emails: str) -> dict:
    return {
        "personalizations": [{"to": [{"email": email}], "custom_args": {"delivery_id": f"d-{n}"}}
                             for n, email in enumerate(emails)],
        "from": {"email": "office@school.example.org"},
        "subject": "Picture day",
        "content": [{"type": "text/plain", "value": "Picture day is Friday."}],
    }


def test_message_create_answers_201_with_a_queued_twilio_message(sandbox, sandbox_process):
    response = post_sms(sandbox_process.base_url)

    assert response.status_code == 201
    message = response.json()
    assert message["sid"].startswith("SM") and len(message["sid"]) == 34
    assert message["status"] == "queued"
    assert message["to"] == "+15555550100" and message["account_sid"] == DEFAULT_ACCOUNT_SID


def test_wrong_auth_token_gets_twilio_20003_with_http_401(sandbox, sandbox_process):
    response = requests.post(sandbox_process.base_url + MESSAGES_PATH, data={"To": "+15555550100"},
                             auth=(DEFAULT_ACCOUNT_SID, "wrong"), timeout=5)

    assert response.status_code == 401
    assert response.json()["code"] == 20003


def test_invalid_to_number_is_refused_with_twilio_error_json(sandbox, sandbox_process):
    response = post_sms(sandbox_process.base_url, to="555-0100")

    assert response.status_code == 400
    assert response.json() == {
        "code": 21211,
        "message": "The 'To' number 555-0100 is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400,
    }


def test_mail_send_answers_202_with_an_x_message_id(sandbox, sandbox_process):
    response = requests.post(sandbox_process.base_url + "/v3/mail/send", json=mail("ana@example.org"),
                             headers=SENDGRID_HEADERS, timeout=5)

    assert response.status_code == 202
    assert response.content == b""
    assert len(response.headers["X-Message-Id"]) == 22


def test_mail_send_with_a_bad_key_gets_sendgrids_401_shape(sandbox, sandbox_process):
    response = requests.post(sandbox_process.base_url + "/v3/mail/send", json=mail("ana@example.org"),
                             headers={"Authorization": "Bearer nope"}, timeout=5)

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"].startswith("The provided authorization grant is invalid")


def test_mail_send_names_each_invalid_address_by_its_field(sandbox, sandbox_process):
    response = requests.post(sandbox_process.base_url + "/v3/mail/send",
                             json=mail("ana@example.org", "not-an-address", "bo@example.org", "also bad"),
                             headers=SENDGRID_HEADERS, timeout=5)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [
        "personalizations.1.to.0.email", "personalizations.3.to.0.email"]
    assert sandbox.count(channel="email") == 0


def test_recorded_messages_can_be_filtered_counted_and_cleared(sandbox, sandbox_process):
    post_sms(sandbox_process.base_url, to="+15555550101")
    post_sms(sandbox_process.base_url, to="+15555550102")
    requests.post(sandbox_process.base_url + "/v3/mail/send", json=mail("Ana@Example.org"),
                  headers=SENDGRID_HEADERS, timeout=5)

    assert sandbox.count() == 3
    assert sandbox.count(channel="sms") == 2
    [email] = sandbox.messages(channel="email", to="ana@example.org")
    assert (email["subject"], email["body"], email["status"]) == ("Picture day", "Picture day is Friday.", "delivered")
    assert email["custom_args"] == {"delivery_id": "d-0"}
    assert sandbox.stats()["requests"] == {"twilio_messages": 2, "sendgrid_mail_send": 1}

    sandbox.clear_messages()
    assert sandbox.count() == 0


def test_rules_with_an_unknown_kind_or_misplaced_code_are_refused(sandbox):
    with pytest.raises(SandboxError, match="kind must be one of"):
        sandbox.add_rule("+15555550100", "lost_in_space")
    with pytest.raises(SandboxError, match="landline does not apply to an email"):
        sandbox.add_rule("ana@example.org", "landline")
    with pytest.raises(SandboxError, match="code applies to phone numbers only"):
        sandbox.add_rule("ana@example.org", "hard_bounce", code=21211)
    assert sandbox.rules() == []


def test_keep_alive_posts_do_not_stall_on_nagle(sandbox, sandbox_process):
    """200 sequential POSTs on one connection: ~44 ms each with the Nagle stall, under 2 ms without."""
    connection = http.client.HTTPConnection(urlsplit(sandbox_process.base_url).netloc, timeout=5)
    request = requests.Request("POST", sandbox_process.base_url + MESSAGES_PATH, auth=TWILIO_AUTH,
                               data={"To": "+15555550100", "From": "+15005550006", "Body": "hi"}).prepare()
    started = time.monotonic()
    for _ in range(200):
        connection.request("POST", MESSAGES_PATH, body=request.body, headers=dict(request.headers))
        response = connection.getresponse()
        response.read()
        assert response.status == 201
    elapsed = time.monotonic() - started
    connection.close()

    assert elapsed < 3.0, f"200 keep-alive POSTs took {elapsed:.2f}s"


def test_sendgrid_events_are_retried_after_an_error_answer_and_twilio_callbacks_are_not(
        sandbox, sandbox_process, receiver):
    receiver.fail_next(SENDGRID_EVENTS_PATH, times=1, status=503)
    receiver.fail_next(TWILIO_STATUS_PATH, times=1, status=503)

    requests.post(sandbox_process.base_url + "/v3/mail/send", json=mail("ana@example.org"),
                  headers=SENDGRID_HEADERS, timeout=5)
    post_sms(sandbox_process.base_url, StatusCallback=receiver.base_url + TWILIO_STATUS_PATH)

    batches = receiver.wait_for(lambda got: len(got) >= 2, SENDGRID_EVENTS_PATH)
    assert batches[0].body == batches[1].body  # the same batch, again
    callbacks = receiver.wait_for(lambda got: len(got) >= 2, TWILIO_STATUS_PATH)
    time.sleep(0.5)
    assert len(receiver.received(TWILIO_STATUS_PATH)) == len(callbacks) == 2  # sent + delivered, no retry


def test_webhooks_to_a_receiver_that_is_down_are_retried_then_given_up(sandbox, sandbox_process):
    sandbox.configure(twilio_inbound_url="http://127.0.0.1:9/nobody-listens")

    sandbox.send_inbound_sms("+15555550100", "+15005550006", "hello?")

    deadline = time.monotonic() + 10
    while sandbox.stats()["webhooks"].get("twilio_inbound.gave_up", 0) < 1:
        assert time.monotonic() < deadline, sandbox.stats()
        time.sleep(0.1)


def test_signing_key_comes_from_the_environment_when_given():
    key = signing_key(None)
    env = {**SANDBOX_ENV, "SANDBOX_SENDGRID_SIGNING_KEY": private_key_pem(key)}

    with running_sandbox(env) as process:
        assert process.client.sendgrid_public_key() == public_key_base64(key)
        answer = requests.get(process.base_url + "/sandbox/sendgrid/public-key", timeout=5).json()
        assert answer["pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_unknown_endpoints_answer_404_and_wrong_methods_405(sandbox, sandbox_process):
    assert requests.get(sandbox_process.base_url + "/nowhere", timeout=5).status_code == 404
    response = requests.delete(sandbox_process.base_url + "/sandbox/rules", timeout=5)
    assert response.status_code == 405
    assert json.loads(response.content)["error"] == "DELETE is not allowed on /sandbox/rules"


def test_inbound_sms_reaches_the_configured_url(sandbox, receiver):
    sid = sandbox.send_inbound_sms("+15555550100", "+15005550006", "Running late, sorry")

    [webhook] = receiver.wait_for(lambda got: len(got) == 1, TWILIO_INBOUND_PATH)
    assert webhook.form["MessageSid"] == sid
    assert (webhook.form["From"], webhook.form["Body"]) == ("+15555550100", "Running late, sorry")


def test_a_chunked_body_is_refused_and_the_connection_closed(sandbox, sandbox_process):
    host, port = urlsplit(sandbox_process.base_url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(b"POST /v3/mail/send HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"2\r\n{}\r\n0\r\n\r\n")
        answer = b""
        while chunk := connection.recv(4096):  # the sandbox closes, so this ends
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 411 ")
    assert b"\r\nConnection: close\r\n" in answer


def test_stats_count_accepted_connections_so_keep_alive_can_be_checked(sandbox, sandbox_process):
    before = sandbox.stats()["connections"]
    for _ in range(2):  # two fresh connections, one request each
        connection = http.client.HTTPConnection(urlsplit(sandbox_process.base_url).netloc)
        connection.request("GET", "/sandbox/health")
        connection.getresponse().read()
        connection.close()
    keep_alive = http.client.HTTPConnection(urlsplit(sandbox_process.base_url).netloc)
    for _ in range(3):  # and one connection for three requests
        keep_alive.request("GET", "/sandbox/health")
        keep_alive.getresponse().read()
    keep_alive.close()

    assert sandbox.stats()["connections"] == before + 3


def test_a_provider_latency_delays_each_send_until_reset_and_is_bounded(sandbox, sandbox_process):
    assert sandbox.set_provider_latency(0.3) == {"seconds": 0.3}
    started = time.monotonic()
    assert post_sms(sandbox_process.base_url).status_code == 201
    assert requests.post(sandbox_process.base_url + "/v3/mail/send", json=mail("ana@example.org"),
                         headers=SENDGRID_HEADERS, timeout=5).status_code == 202
    assert time.monotonic() - started >= 0.6

    refused = requests.post(sandbox_process.base_url + "/sandbox/latency", json={"seconds": 60}, timeout=5)
    assert refused.status_code == 400 and "seconds" in refused.json()["error"]
    sandbox.reset()
    assert requests.get(sandbox_process.base_url + "/sandbox/latency", timeout=5).json() == {"seconds": 0.0}

"""The sandbox's FCM and OAuth token endpoints as functions: signed assertions, bearer tokens, token fates."""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import jwt
import pytest

from services.sandbox.fcm_api import FCM_SCOPE, JWT_BEARER, FcmSandbox, sandbox_service_account
from services.sandbox.recording import MessageLog

ACCOUNT = json.loads(sandbox_service_account("http://127.0.0.1:1/oauth2/token"))
OTHER_ACCOUNT = json.loads(sandbox_service_account("http://127.0.0.1:1/oauth2/token"))


@pytest.fixture
def log() -> MessageLog:
    return MessageLog()


@pytest.fixture
def fcm(log) -> FcmSandbox:
    return FcmSandbox(log, json.dumps(ACCOUNT))


def assertion(account: dict, scope: str = FCM_SCOPE) -> bytes:
    now = int(time.time())
    signed = jwt.encode({"iss": account["client_email"], "scope": scope, "aud": account["token_uri"], "iat": now,
                         "exp": now + 3600}, account["private_key"], algorithm="RS256")
    return urlencode({"grant_type": JWT_BEARER, "assertion": signed}).encode()


def bearer(fcm: FcmSandbox) -> str:
    return "Bearer " + json.loads(fcm.issue_token(assertion(ACCOUNT)).body)["access_token"]


def send(fcm: FcmSandbox, token: str, authorization: str):
    body = {"message": {"token": token, "notification": {"title": "Snow day", "body": "Closed."}}}
    return fcm.send("school", authorization, json.dumps(body).encode())


def test_only_the_service_accounts_signed_assertion_with_the_fcm_scope_gets_a_token(fcm):
    assert fcm.issue_token(assertion(ACCOUNT)).status == 200
    assert fcm.issue_token(assertion(OTHER_ACCOUNT)).status == 400
    assert fcm.issue_token(assertion(ACCOUNT, scope="email")).status == 400
    assert fcm.issue_token(b"grant_type=password").status == 400


def test_a_send_needs_an_issued_bearer_and_is_recorded_as_a_push(fcm, log):
    assert send(fcm, "t-1", "Bearer made-up").status == 401
    accepted = send(fcm, "t-1", bearer(fcm))
    assert accepted.status == 200 and json.loads(accepted.body)["name"].startswith("projects/school/messages/")
    [push] = log.query(channel="push")
    assert (push["to"], push["subject"], push["status"]) == ("t-1", "Snow day", "accepted")


def test_a_token_answers_its_fate_as_fcm_does_and_a_limited_fate_wears_off(fcm):
    authorization = bearer(fcm)
    fcm.set_fate(json.dumps({"token": "gone", "fate": "unregistered"}).encode())
    fcm.set_fate(json.dumps({"token": "busy", "fate": "unavailable", "times": 1}).encode())

    gone = json.loads(send(fcm, "gone", authorization).body)["error"]
    assert gone["code"] == 404 and gone["details"][0]["errorCode"] == "UNREGISTERED"
    assert send(fcm, "busy", authorization).status == 503 and send(fcm, "busy", authorization).status == 200
    assert fcm.set_fate(json.dumps({"token": "x", "fate": "lost"}).encode()).status == 400

"""Joining and one's own account settings through the gateway, every process running, on PostgreSQL:
an invitation issued by identity, Join Now in a language the district offers (and every way a join is refused),
then the person's credentials and language."""
from __future__ import annotations

import json
import re
import time

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL, DEMO_GUARDIAN_SOURCE_ID
from shared.contracts import identity, notify

from district_support import WAIT_SECONDS, find_person_id, import_demo_district, person, sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "maple kettle orbit"


@pytest.fixture
def invited(stack, tmp_path):
    """The demo district, with English and Spanish offered; its first guardian (never signed in) invited."""
    snapshot = import_demo_district(stack, tmp_path / "district")
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    offered = stack.api("PUT", "/api/v1/district/languages", admin, json={"languages": ["en", "ES"]})
    assert offered.status_code == 200 and offered.json()["languages"] == ["en", "es"], offered.text
    guardian = person(snapshot, DEMO_GUARDIAN_SOURCE_ID)
    guardian_id = find_person_id(stack, admin, guardian, "guardian")
    with stack.rpc_as_platform(notify.NAME) as rpc:
        [issued] = rpc(identity.contract).issue_join_tokens({"person_ids": [guardian_id],
                                                             "issued_by": "admin-1"})["results"]
    assert issued["outcome"] == "issued"
    return guardian, guardian_id, issued


def join(stack, expect: int, **body) -> dict:
    response = stack.api("POST", "/api/v1/join", json={"password": PASSWORD, **body})
    assert response.status_code == expect, response.text
    return response.json()


def test_an_invitee_joins_once_in_a_language_of_the_district_and_manages_their_account(stack, invited):
    guardian, guardian_id, issued = invited

    page = stack.api("POST", "/api/v1/join/invitation", json={"token": issued["token"]})
    assert page.status_code == 200 and page.json()["languages"] == ["en", "es"], page.text
    assert page.json()["given_name"] == guardian.given_name

    # Refused joins change nothing: the invitation still serves afterwards.
    assert join(stack, 400, token="forged")["error"]["fields"] == {
        "token": ["this invitation is not valid: check the link or the code, or ask the school for a new one"]}
    assert "language" in join(stack, 400, token=issued["token"], language="fr")["error"]["fields"]
    assert "password" in join(stack, 400, token=issued["token"], password="password1")["error"]["fields"]
    assert "password" in join(stack, 400, token=issued["token"], password="short")["error"]["fields"]

    session = join(stack, 200, join_code=issued["join_code"].lower(), language="es")
    me = stack.api("GET", "/api/v1/me", session["token"]).json()

    assert (me["principal"]["person_id"], me["principal"]["status"]) == (guardian_id, "active")
    assert me["principal"]["language"] == me["account"]["language"] == "es"
    assert join(stack, 409, token=issued["token"])["error"]["code"] == "conflict"
    assert stack.login(guardian.email, PASSWORD)

    token = session["token"]
    credentials = stack.api("GET", "/api/v1/me/credentials", token).json()["credentials"]
    assert [c["kind"] for c in credentials] == ["email", "mobile_phone"]
    assert stack.api("PUT", "/api/v1/me/language", token, json={"language": "fr"}).status_code == 400
    assert stack.api("PUT", "/api/v1/me/language", token, json={"language": "en"}).json()["language"] == "en"

    removed = stack.api("DELETE", "/api/v1/me/credentials/mobile_phone", token)
    assert removed.status_code == 200 and removed.json()["mobile_phone"] is None
    last = stack.api("DELETE", "/api/v1/me/credentials/email", token)
    assert last.status_code == 400 and "only credential" in last.json()["error"]["message"]


def test_a_new_credential_is_refused_when_malformed_or_another_joined_accounts(stack, invited):
    _, _, issued = invited
    token = join(stack, 200, token=issued["token"])["token"]
    admin_email = DEMO_ADMIN_EMAIL  # the administrator has signed in, so the address is theirs

    malformed = stack.api("POST", "/api/v1/me/credentials/email/code", token, json={"value": "not-an-email"})
    taken = stack.api("POST", "/api/v1/me/credentials/email/code", token, json={"value": admin_email.upper()})
    bad_kind = stack.api("POST", "/api/v1/me/credentials/home_phone/code", token, json={"value": "4155550100"})

    assert malformed.status_code == 400 and list(malformed.json()["error"]["fields"]) == ["value"]
    assert taken.status_code == 409
    assert taken.json()["error"]["message"] == identity.CREDENTIAL_OF_JOINED_ACCOUNT
    assert bad_kind.status_code == 400


def test_a_new_email_is_proved_with_the_code_sent_to_it(stack, invited):
    _, _, issued = invited
    token = join(stack, 200, token=issued["token"])["token"]
    new_email = "dana.new@families.example.org"

    sent = stack.api("POST", "/api/v1/me/credentials/email/code", token, json={"value": new_email})
    assert sent.status_code == 200, sent.text
    code = _code_sent_to(stack, new_email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert stack.api("POST", "/api/v1/me/credentials/email/confirm", token, json={"code": wrong}).status_code == 400
    confirmed = stack.api("POST", "/api/v1/me/credentials/email/confirm", token, json={"code": code})

    assert confirmed.status_code == 200 and confirmed.json()["email"] == new_email
    assert stack.api("POST", "/api/v1/me/credentials/email/confirm", token, json={"code": code}).status_code == 400


def _code_sent_to(stack, address: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        for message in stack.sandbox.messages(channel="email", to=address):
            found = re.search(r"\b(\d{6})\b", json.dumps(message))
            if found:
                return found.group(1)
        time.sleep(0.5)
    raise AssertionError(f"no code reached {address} within {WAIT_SECONDS} s")

"""Signing in through the gateway with every process running, on PostgreSQL: only failures lock a
login (or an address behind a trusted proxy) out; refresh tokens rotate and a reused one ends its session;
signing out everywhere and changing the password end the other sessions."""
from __future__ import annotations

import pytest

from shared.contracts import identity, rostering
from shared.messaging import cluster_rpc

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
DANA, LEE = "dana.rivera@example.org", "lee.chen@example.org"
# The gateway runs behind a proxy on this machine: requests from loopback name the client in X-Forwarded-For.
FAILURES_PER_ADDRESS = 15


@pytest.fixture
def stack_environment() -> dict[str, str]:
    return {"GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32, ::1",
            "GATEWAY_LOGIN_FAILURES_PER_ADDRESS": str(FAILURES_PER_ADDRESS)}


@pytest.fixture
def people(stack) -> dict[str, str]:
    """Two guardians with the test password, created in identity as a sync would; login -> person id."""
    rows = [{"person_id": person_id, "given_name": given, "family_name": family, "email": email,
             "roles": [{"role": identity.GUARDIAN, "school_ids": []}]}
            for person_id, given, family, email in (("guardian-dana", "Dana", "Rivera", DANA),
                                                   ("guardian-lee", "Lee", "Chen", LEE))]
    with stack.rpc_as_platform(rostering.NAME) as rpc:
        rpc(identity.contract).upsert_accounts({"district_id": "district-1", "accounts": rows})
    with cluster_rpc(stack.amqp_uri, credential=stack.operator_token()) as operator:
        for row in rows:
            operator(identity.contract).set_password({"login": row["email"], "password": PASSWORD})
    return {row["email"]: row["person_id"] for row in rows}


def sign_in(stack, login: str, password: str = PASSWORD, client: str | None = None):
    headers = {"X-Forwarded-For": client} if client else {}
    return stack.api("POST", "/api/v1/auth/login", json={"login": login, "password": password}, headers=headers)


def signed_in(stack, login: str, password: str = PASSWORD) -> dict:
    response = sign_in(stack, login, password)
    assert response.status_code == 200, response.text
    return response.json()


def me(stack, session: dict) -> int:
    return stack.api("GET", "/api/v1/me", session["token"]).status_code


def refresh(stack, refresh_token) -> object:
    return stack.api("POST", "/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def assert_too_many(response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "too_many_requests"
    assert int(response.headers["Retry-After"]) >= 1


def test_only_failed_sign_ins_lock_a_login_or_an_address_out(stack, people):
    # A hundred successful sign-ins of one user from one address: never a refusal, for them or anyone.
    sessions = [sign_in(stack, DANA) for _ in range(100)]
    assert [response.status_code for response in sessions if response.status_code != 200] == []
    assert sessions[-1].json()["principal"]["person_id"] == people[DANA]
    assert "refresh_token" in sessions[-1].json()
    assert sign_in(stack, LEE).status_code == 200

    # Twenty wrong passwords: the first ten are told so, then the login is locked, the right password too,
    # from anywhere; other people keep signing in from the same address.
    wrong = [sign_in(stack, DANA, "not the password") for _ in range(20)]
    assert [response.status_code for response in wrong] == [401] * 10 + [429] * 10
    assert_too_many(wrong[-1])
    assert 1 <= int(wrong[-1].headers["Retry-After"]) <= 900
    assert_too_many(sign_in(stack, DANA))
    assert_too_many(sign_in(stack, DANA.upper(), client="198.51.100.9"))
    assert sign_in(stack, LEE).status_code == 200
    # Sessions opened before the lock-out stay signed in.
    assert me(stack, sessions[0].json()) == 200

    # Behind the trusted proxy, one client guessing at many logins is refused; another client is not.
    guesses = [sign_in(stack, f"guess-{n}@example.org", "guess", client="203.0.113.7")
               for n in range(FAILURES_PER_ADDRESS + 1)]
    assert [response.status_code for response in guesses] == [401] * FAILURES_PER_ADDRESS + [429]
    assert_too_many(sign_in(stack, LEE, client="203.0.113.7"))
    assert sign_in(stack, LEE, client="6.6.6.6, 198.51.100.20").status_code == 200


def test_refresh_tokens_rotate_and_signing_out_or_changing_the_password_ends_sessions(stack, people):
    # A refresh token works once; used twice, the whole session ends, and only that session.
    phone, laptop = signed_in(stack, DANA), signed_in(stack, DANA)
    renewed = refresh(stack, phone["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    renewed = renewed.json()
    assert renewed["refresh_token"] != phone["refresh_token"] and me(stack, renewed) == 200

    reused = refresh(stack, phone["refresh_token"])
    assert (reused.status_code, reused.json()["error"]["code"]) == (401, "not_authenticated")
    assert (me(stack, renewed), me(stack, phone)) == (401, 401)
    assert refresh(stack, renewed["refresh_token"]).status_code == 401
    assert me(stack, laptop) == 200

    # Forged and malformed refreshes: a clear 4xx each, nothing changed.
    assert refresh(stack, "forged-refresh-token").status_code == 401
    for body in ({}, {"refresh_token": ""}, {"refresh_token": laptop["refresh_token"], "extra": 1}):
        assert stack.api("POST", "/api/v1/auth/refresh", json=body).status_code == 400
    assert me(stack, laptop) == 200

    # A password change proves the current password, keeps this device and ends the others.
    tablet = signed_in(stack, DANA)
    password = "/api/v1/me/password"
    wrong = stack.api("POST", password, laptop["token"],
                      json={"current_password": "not it", "new_password": "a brand new password"})
    assert (wrong.status_code, list(wrong.json()["error"]["fields"])) == (403, ["current_password"])
    short = stack.api("POST", password, laptop["token"], json={"current_password": PASSWORD, "new_password": "short"})
    assert (short.status_code, list(short.json()["error"]["fields"])) == (400, ["new_password"])
    assert me(stack, tablet) == 200 and sign_in(stack, DANA).status_code == 200

    changed = stack.api("POST", password, laptop["token"],
                        json={"current_password": PASSWORD, "new_password": "a brand new password"})
    assert (changed.status_code, changed.json()["sessions_ended"] >= 2) == (200, True), changed.text
    assert (me(stack, laptop), me(stack, tablet)) == (200, 401)
    assert sign_in(stack, DANA).status_code == 401
    here = signed_in(stack, DANA, "a brand new password")

    # Signing out ends this device; signing out everywhere ends every device, at once.
    signed_out = stack.api("POST", "/api/v1/auth/sign-out", here["token"])
    assert (signed_out.status_code, signed_out.json()) == (200, {"sessions_ended": 1})
    assert (me(stack, here), refresh(stack, here["refresh_token"]).status_code, me(stack, laptop)) == (401, 401, 200)
    other = signed_in(stack, DANA, "a brand new password")
    everywhere = stack.api("POST", "/api/v1/auth/sign-out-everywhere", other["token"])
    assert (everywhere.status_code, everywhere.json()) == (200, {"sessions_ended": 2})
    assert (me(stack, laptop), me(stack, other)) == (401, 401)
    # Lee's sessions were never touched.
    assert me(stack, signed_in(stack, LEE)) == 200

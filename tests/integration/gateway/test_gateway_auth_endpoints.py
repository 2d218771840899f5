"""POST /api/v1/auth/login, the session endpoints after it, and GET /api/v1/me."""
import pytest

from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotAuthenticated, PermissionDenied, TooManyRequests

from gateway_http_support import assert_error, make_account, make_principal


def test_login_answers_the_tokens_their_expiries_and_the_principal(gateway):
    session = a_session(make_principal(identity.GUARDIAN))
    gateway.identity.login.return_value = session

    response = gateway.post("/api/v1/auth/login", json={"login": "dana@example.org", "password": "s3cret-pass"})

    assert response.status_code == 200
    assert response.json() == session
    gateway.identity.login.assert_called_once_with({"login": "dana@example.org", "password": "s3cret-pass"})


def test_login_with_a_wrong_password_is_not_authenticated(gateway):
    gateway.identity.login.side_effect = NotAuthenticated("That login and password do not match.")

    response = gateway.post("/api/v1/auth/login", json={"login": "dana@example.org", "password": "wrong"})

    assert_error(response, 401, "not_authenticated")
    assert response.json()["error"]["message"] == "That login and password do not match."


def test_login_without_a_password_names_the_missing_field(gateway):
    response = gateway.post("/api/v1/auth/login", json={"login": "dana@example.org"})

    assert assert_error(response, 400, "invalid_request") == {"password": ["Missing data for required field."]}
    gateway.identity.login.assert_not_called()


def test_me_answers_the_principal_and_their_account(gateway):
    guardian = make_principal(identity.GUARDIAN, person_id="person-1")
    gateway.identity.get_accounts.return_value = {"accounts": [make_account(person_id="person-1")]}

    response = gateway.get("/api/v1/me", headers=gateway.sign_in(guardian))

    assert response.status_code == 200
    assert response.json() == {"principal": guardian, "account": make_account(person_id="person-1")}
    gateway.identity.get_accounts.assert_called_once_with({"person_ids": ["person-1"]})


def test_me_for_a_student_is_allowed_too(gateway):
    student = make_principal(identity.STUDENT)
    gateway.identity.get_accounts.return_value = {"accounts": []}

    response = gateway.get("/api/v1/me", headers=gateway.sign_in(student))

    assert response.status_code == 200
    assert response.json()["account"] is None


def a_session(principal: dict) -> dict:
    return {"token": "t-1", "expires_at": "2025-09-02T08:00:00+00:00", "refresh_token": "r-1",
            "refresh_expires_at": "2025-09-16T08:00:00+00:00", "principal": principal}


def sign_in_as(gateway, login: str, password: str = "guess", **headers: str):
    return gateway.post("/api/v1/auth/login", json={"login": login, "password": password}, headers=headers)


def test_failed_sign_ins_past_the_per_login_limit_answer_429_with_retry_after_without_asking_identity(
        start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_FAILURES_PER_LOGIN=3)
    gateway.identity.login.side_effect = NotAuthenticated("That login and password do not match.")

    answers = [sign_in_as(gateway, spelling)
               for spelling in ("4155552671", "(415) 555-2671", "+1 415 555 2671", "415.555.2671")]

    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    assert_error(answers[-1], 429, "too_many_requests")
    assert 890 <= int(answers[-1].headers["Retry-After"]) <= 900
    assert gateway.identity.login.call_count == 3


def test_successful_sign_ins_never_count_against_the_limits(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_FAILURES_PER_LOGIN=1, GATEWAY_LOGIN_FAILURES_PER_ADDRESS=1)
    gateway.identity.login.return_value = a_session(make_principal(identity.GUARDIAN))

    answers = [sign_in_as(gateway, "dana@example.org") for _ in range(15)]

    assert {answer.status_code for answer in answers} == {200}


def test_failed_sign_ins_past_the_per_address_limit_answer_429_whatever_the_login(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_FAILURES_PER_ADDRESS=2, GATEWAY_LOGIN_WINDOW_PER_ADDRESS=30)
    gateway.identity.login.side_effect = NotAuthenticated("That login and password do not match.")

    answers = [sign_in_as(gateway, f"parent-{n}@example.org") for n in range(3)]

    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 30


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_FAILURES_PER_ADDRESS=1)
    gateway.identity.login.side_effect = NotAuthenticated("That login and password do not match.")

    first = sign_in_as(gateway, "a@example.org", **{"X-Forwarded-For": "203.0.113.7"})
    spoofed = sign_in_as(gateway, "b@example.org", **{"X-Forwarded-For": "198.51.100.9"})

    assert (first.status_code, spoofed.status_code) == (401, 429)


def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_FAILURES_PER_ADDRESS=1, GATEWAY_TRUSTED_PROXIES="127.0.0.0/8, ::1")
    gateway.identity.login.side_effect = NotAuthenticated("That login and password do not match.")

    answers = [sign_in_as(gateway, f"parent-{n}@example.org", **{"X-Forwarded-For": address})
               for n, address in enumerate(("203.0.113.7", "198.51.100.9", "6.6.6.6, 203.0.113.7"))]

    assert [answer.status_code for answer in answers] == [401, 401, 429]


def test_a_gateway_with_an_unusable_proxy_list_does_not_start(start_gateway):
    with pytest.raises(Exception, match="GATEWAY_TRUSTED_PROXIES"):
        start_gateway(GATEWAY_TRUSTED_PROXIES="the load balancer")


def test_a_malformed_sign_in_is_refused_before_it_is_counted(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_FAILURES_PER_ADDRESS=1)
    gateway.identity.login.return_value = a_session(make_principal(identity.GUARDIAN))

    malformed = [gateway.post("/api/v1/auth/login", json=body)
                 for body in ({"login": "dana@example.org"}, {"login": "dana@example.org", "password": "pw",
                                                              "role": "district_admin"}, ["login"])]
    signed_in = sign_in_as(gateway, "dana@example.org")

    assert [answer.status_code for answer in malformed] == [400, 400, 400]
    assert signed_in.status_code == 200
    gateway.identity.login.assert_called_once()


def test_identity_too_busy_to_check_a_password_answers_429_with_a_short_retry_after(gateway):
    gateway.identity.login.side_effect = TooManyRequests("too many sign-ins are being checked right now")

    response = gateway.post("/api/v1/auth/login", json={"login": "dana@example.org", "password": "s3cret-pass"})

    assert_error(response, 429, "too_many_requests")
    assert response.headers["Retry-After"] == "2"


# --- after sign-in: refresh, sign out, change password --------------------------------------------------------

def test_a_refresh_token_is_traded_for_new_tokens_without_an_access_token(gateway):
    renewed = a_session(make_principal(identity.GUARDIAN))
    gateway.identity.refresh_session.return_value = renewed

    response = gateway.post("/api/v1/auth/refresh", json={"refresh_token": "r-1"})

    assert (response.status_code, response.json()) == (200, renewed)
    gateway.identity.refresh_session.assert_called_once_with({"refresh_token": "r-1"})


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": 42}, {"refresh_token": "r",
                                                                                      "person_id": "someone"}])
def test_a_malformed_refresh_is_refused_naming_the_field_and_identity_is_not_asked(gateway, body):
    response = gateway.post("/api/v1/auth/refresh", json=body)

    assert_error(response, 400, "invalid_request")
    gateway.identity.refresh_session.assert_not_called()


def test_a_refresh_token_identity_refuses_answers_401(gateway):
    gateway.identity.refresh_session.side_effect = NotAuthenticated("the refresh token was already used")

    response = gateway.post("/api/v1/auth/refresh", json={"refresh_token": "r-1"})

    assert_error(response, 401, "not_authenticated")
    assert response.json()["error"]["message"] == "the refresh token was already used"


@pytest.mark.parametrize("path, rpc", [("/api/v1/auth/sign-out", "sign_out"),
                                       ("/api/v1/auth/sign-out-everywhere", "sign_out_everywhere")])
def test_signing_out_hands_identity_the_callers_own_token(gateway, path, rpc):
    headers = gateway.sign_in(make_principal(identity.GUARDIAN))
    getattr(gateway.identity, rpc).return_value = {"sessions_ended": 1}

    response = gateway.post(path, headers=headers)

    assert (response.status_code, response.json()) == (200, {"sessions_ended": 1})
    getattr(gateway.identity, rpc).assert_called_once_with({"token": headers["Authorization"].split()[1]})


@pytest.mark.parametrize("path", ["/api/v1/auth/sign-out", "/api/v1/auth/sign-out-everywhere",
                                  "/api/v1/me/password"])
def test_the_session_endpoints_need_a_sign_in(gateway, path):
    assert_error(gateway.post(path, json={}), 401, "not_authenticated")


def test_a_password_change_answers_how_many_other_sessions_ended(gateway):
    headers = gateway.sign_in(make_principal(identity.GUARDIAN))
    gateway.identity.change_password.return_value = {"sessions_ended": 2}
    body = {"current_password": "old password", "new_password": "a new password"}

    response = gateway.post("/api/v1/me/password", json=body, headers=headers)

    assert (response.status_code, response.json()) == (200, {"sessions_ended": 2})
    gateway.identity.change_password.assert_called_once_with({**body, "token": headers["Authorization"].split()[1]})


@pytest.mark.parametrize("body, field", [
    ({"new_password": "a new password"}, "current_password"),
    ({"current_password": "old password"}, "new_password"),
    ({"current_password": "old password", "new_password": "a new password", "token": "someone else's"}, "token"),
])
def test_a_malformed_password_change_names_the_field_and_identity_is_not_asked(gateway, body, field):
    headers = gateway.sign_in(make_principal(identity.GUARDIAN))

    response = gateway.post("/api/v1/me/password", json=body, headers=headers)

    assert field in assert_error(response, 400, "invalid_request")
    gateway.identity.change_password.assert_not_called()


def test_a_wrong_current_password_answers_403_and_too_many_answer_429(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_FAILURES_PER_LOGIN=2)
    headers = gateway.sign_in(make_principal(identity.GUARDIAN))
    gateway.identity.change_password.side_effect = PermissionDenied(
        "the current password is not right", fields={"current_password": ["is not your current password"]})
    body = {"current_password": "guess", "new_password": "a new password"}

    answers = [gateway.post("/api/v1/me/password", json=body, headers=headers) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [403, 403, 429]
    assert assert_error(answers[0], 403, "permission_denied") == {"current_password": ["is not your current password"]}
    assert "Retry-After" in answers[-1].headers
    assert gateway.identity.change_password.call_count == 2


def test_a_new_password_identity_refuses_answers_400_naming_the_field(gateway):
    gateway.identity.change_password.side_effect = InvalidRequest(
        "the new password must be at least 8 characters long", fields={"new_password": ["too short"]})

    response = gateway.post("/api/v1/me/password", json={"current_password": "old password", "new_password": "x"},
                            headers=gateway.sign_in(make_principal(identity.GUARDIAN)))

    assert assert_error(response, 400, "invalid_request") == {"new_password": ["too short"]}

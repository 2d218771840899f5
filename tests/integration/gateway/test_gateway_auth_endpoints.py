"""POST /api/v1/auth/login and GET /api/v1/me."""
from shared.contracts import identity
from shared.contracts.errors import NotAuthenticated, TooManyRequests

from gateway_http_support import assert_error, make_account, make_principal


def test_login_answers_the_token_its_expiry_and_the_principal(gateway):
    principal = make_principal(identity.GUARDIAN)
    gateway.identity.login.return_value = {"token": "t-1", "expires_at": "2025-09-02T08:00:00+00:00",
                                           "principal": principal}

    response = gateway.post("/api/v1/auth/login", json={"login": "dana@example.org", "password": "s3cret-pass"})

    assert response.status_code == 200
    assert response.json() == {"token": "t-1", "expires_at": "2025-09-02T08:00:00+00:00", "principal": principal}
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
    return {"token": "t-1", "expires_at": "2025-09-02T08:00:00+00:00", "principal": principal}


def test_sign_ins_past_the_per_login_limit_answer_429_with_retry_after_without_asking_identity(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_ATTEMPTS_PER_LOGIN=3)
    gateway.identity.login.side_effect = NotAuthenticated("That login and password do not match.")

    answers = [gateway.post("/api/v1/auth/login", json={"login": spelling, "password": "guess"})
               for spelling in ("4155552671", "(415) 555-2671", "+1 415 555 2671", "415.555.2671")]

    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    assert_error(answers[-1], 429, "too_many_requests")
    assert 890 <= int(answers[-1].headers["Retry-After"]) <= 900
    assert gateway.identity.login.call_count == 3


def test_sign_ins_past_the_per_address_limit_answer_429_whatever_the_login(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_ATTEMPTS_PER_ADDRESS=2, GATEWAY_LOGIN_WINDOW_PER_ADDRESS=30)
    gateway.identity.login.return_value = a_session(make_principal(identity.GUARDIAN))

    answers = [gateway.post("/api/v1/auth/login", json={"login": f"parent-{n}@example.org", "password": "pw"})
               for n in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 30


def test_a_malformed_sign_in_is_refused_before_it_is_counted(start_gateway):
    gateway = start_gateway(GATEWAY_LOGIN_ATTEMPTS_PER_ADDRESS=1)
    gateway.identity.login.return_value = a_session(make_principal(identity.GUARDIAN))

    malformed = gateway.post("/api/v1/auth/login", json={"login": "dana@example.org"})
    signed_in = gateway.post("/api/v1/auth/login", json={"login": "dana@example.org", "password": "pw"})

    assert (malformed.status_code, signed_in.status_code) == (400, 200)


def test_identity_too_busy_to_check_a_password_answers_429_with_a_short_retry_after(gateway):
    gateway.identity.login.side_effect = TooManyRequests("too many sign-ins are being checked right now")

    response = gateway.post("/api/v1/auth/login", json={"login": "dana@example.org", "password": "s3cret-pass"})

    assert_error(response, 429, "too_many_requests")
    assert response.headers["Retry-After"] == "2"

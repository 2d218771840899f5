"""POST /api/v1/auth/login and GET /api/v1/me."""
from shared.contracts import identity
from shared.contracts.errors import NotAuthenticated

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

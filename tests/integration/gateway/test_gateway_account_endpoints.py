"""POST /api/v1/join, the district's languages and /api/v1/me/...: the caller is always the token's person."""
import pytest

from shared.contracts import identity
from shared.contracts.errors import Conflict, InvalidRequest, TooManyRequests

from gateway_http_support import assert_error, make_principal

SESSION = {"token": "access-token", "expires_at": "2026-09-01T20:00:00+00:00",
           "principal": make_principal(identity.GUARDIAN, person_id="guardian-1")}


def make_account(**overrides) -> dict:
    account = {"person_id": "guardian-1", "district_id": "district-1", "given_name": "Dana", "family_name": "Rivera",
               "email": "dana@example.org", "mobile_phone": None, "home_phone": None,
               "credentials": [{"kind": "email", "value": "dana@example.org", "shared": True}],
               "status": "active", "joined_at": "2026-09-01T08:00:00+00:00", "archived": False,
               "roles": [{"role": "guardian", "school_ids": []}], "permissions": [], "language": "en"}
    return {**account, **overrides}


def test_joining_needs_no_token_and_answers_like_sign_in(gateway):
    gateway.identity.join.return_value = SESSION

    response = gateway.post("/api/v1/join", json={"join_code": "7K3M-QX2P-9RTD", "password": "maple kettle orbit",
                                                  "language": "es"})

    assert response.status_code == 200 and response.json() == SESSION
    gateway.identity.join.assert_called_once_with(
        {"join_code": "7K3M-QX2P-9RTD", "password": "maple kettle orbit", "language": "es"})
    gateway.identity.authenticate.assert_not_called()


@pytest.mark.parametrize("body, field", [
    ({"password": "maple kettle orbit"}, "token"),
    ({"token": "t", "join_code": "c", "password": "maple kettle orbit"}, "token"),
    ({"token": "t"}, "password"),
    ({"token": "t", "password": "maple kettle orbit", "person_id": "someone-else"}, "person_id"),
])
def test_a_join_body_without_exactly_one_invitation_or_with_unknown_fields_is_refused(gateway, body, field):
    response = gateway.post("/api/v1/join", json=body)

    assert_error(response, 400, "invalid_request")
    assert field in response.json()["error"]["fields"]
    gateway.identity.join.assert_not_called()


@pytest.mark.parametrize("error, status", [(InvalidRequest("this invitation has expired"), 400),
                                           (Conflict("this invitation was used already"), 409)])
def test_identitys_refusal_of_an_invitation_is_the_answer(gateway, error, status):
    gateway.identity.join.side_effect = error

    response = gateway.post("/api/v1/join", json={"token": "t", "password": "maple kettle orbit"})

    assert response.status_code == status


def test_anyone_signed_in_reads_the_district_languages_and_only_a_district_admin_sets_them(gateway):
    languages = {"district_id": "district-1", "languages": ["en", "es"], "default_language": "es"}
    gateway.identity.get_district_languages.return_value = languages
    gateway.identity.set_district_languages.return_value = languages
    guardian = gateway.sign_in(make_principal(identity.GUARDIAN, person_id="guardian-1"))
    admin = gateway.sign_in(make_principal(identity.DISTRICT_ADMIN, person_id="admin-1"))

    assert gateway.get("/api/v1/district/languages", headers=guardian).json() == languages
    assert_error(gateway.put("/api/v1/district/languages", json={"languages": ["en"]}, headers=guardian), 403,
                 "permission_denied")
    response = gateway.put("/api/v1/district/languages", json={"languages": ["en", "es"], "default_language": "es"},
                           headers=admin)

    assert response.status_code == 200
    gateway.identity.get_district_languages.assert_called_once_with({"district_id": "district-1"})
    gateway.identity.set_district_languages.assert_called_once_with(
        {"district_id": "district-1", "languages": ["en", "es"], "default_language": "es", "changed_by": "admin-1"})


def test_my_credentials_and_language_are_the_callers_own(gateway):
    gateway.identity.get_accounts.return_value = {"accounts": [make_account()]}
    gateway.identity.set_language.return_value = make_account(language="es")
    headers = gateway.sign_in(make_principal(identity.GUARDIAN, person_id="guardian-1"))

    credentials = gateway.get("/api/v1/me/credentials", headers=headers)
    language = gateway.put("/api/v1/me/language", json={"language": "es"}, headers=headers)

    assert credentials.json() == {"credentials": [{"kind": "email", "value": "dana@example.org", "shared": True}]}
    assert language.json()["language"] == "es"
    gateway.identity.get_accounts.assert_called_once_with({"person_ids": ["guardian-1"]})
    assert_called_for_the_caller(gateway.identity.set_language, "guardian-1", {"language": "es"})


def test_a_code_goes_to_the_new_address_and_confirms_it_for_the_caller_only(gateway):
    gateway.identity.send_credential_code.return_value = {
        "kind": "mobile_phone", "address": "+14155550199", "expires_at": "2026-09-01T08:10:00+00:00", "tries": 5}
    gateway.identity.confirm_credential.return_value = make_account(mobile_phone="+14155550199")
    headers = gateway.sign_in(make_principal(identity.GUARDIAN, person_id="guardian-1"))

    sent = gateway.post("/api/v1/me/credentials/mobile_phone/code", json={"value": "415 555 0199"},
                        headers=headers)
    confirmed = gateway.post("/api/v1/me/credentials/mobile_phone/confirm", json={"code": "123456"},
                             headers=headers)

    assert sent.status_code == 200 and sent.json()["address"] == "+14155550199"
    assert confirmed.status_code == 200
    assert_called_for_the_caller(gateway.identity.send_credential_code, "guardian-1",
                                 {"value": "415 555 0199", "region": "US", "kind": "mobile_phone"})
    assert_called_for_the_caller(gateway.identity.confirm_credential, "guardian-1",
                                 {"code": "123456", "kind": "mobile_phone"})


def test_a_code_that_is_not_six_digits_or_names_someone_else_never_reaches_identity(gateway):
    headers = gateway.sign_in(make_principal(identity.GUARDIAN, person_id="guardian-1"))

    for body in ({"code": "12345"}, {"code": "123456", "person_id": "guardian-2"},
                 {"code": "123456", "viewer": make_principal(identity.GUARDIAN, person_id="guardian-2")}):
        assert_error(gateway.post("/api/v1/me/credentials/email/confirm", json=body, headers=headers), 400,
                     "invalid_request")

    gateway.identity.confirm_credential.assert_not_called()


@pytest.mark.parametrize("error, status, code", [
    (TooManyRequests("the code was tried 5 times: ask for a new code"), 429, "too_many_requests"),
    (Conflict(identity.CREDENTIAL_OF_JOINED_ACCOUNT, fields={"value": ["x already belongs to another account"]}),
     409, "conflict"),
])
def test_identitys_refusals_of_a_code_are_the_answer(gateway, error, status, code):
    gateway.identity.confirm_credential.side_effect = error
    headers = gateway.sign_in(make_principal(identity.GUARDIAN, person_id="guardian-1"))

    response = gateway.post("/api/v1/me/credentials/email/confirm", json={"code": "123456"}, headers=headers)

    assert_error(response, status, code)


def test_removing_a_credential_removes_the_callers(gateway):
    gateway.identity.remove_credential.return_value = make_account()
    headers = gateway.sign_in(make_principal(identity.GUARDIAN, person_id="guardian-1"))

    response = gateway.request("DELETE", "/api/v1/me/credentials/mobile_phone", headers=headers)

    assert response.status_code == 200
    assert_called_for_the_caller(gateway.identity.remove_credential, "guardian-1", {"kind": "mobile_phone"})


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/me/credentials"), ("PUT", "/api/v1/me/language"),
                                          ("DELETE", "/api/v1/me/credentials/email")])
def test_account_settings_need_a_signed_in_person(gateway, method, path):
    assert_error(gateway.request(method, path, json={"language": "en"}), 401, "not_authenticated")


def test_the_join_page_asks_identity_about_the_invitation_without_a_token(gateway):
    page = {"given_name": "Dana", "expires_at": "2026-09-11T08:00:00+00:00", "languages": ["en", "es"]}
    gateway.identity.check_join_invitation.return_value = page

    response = gateway.post("/api/v1/join/invitation", json={"token": "link-secret"})

    assert response.status_code == 200 and response.json() == page
    gateway.identity.check_join_invitation.assert_called_once_with({"token": "link-secret"})


def assert_called_for_the_caller(rpc, person_id: str, fields: dict) -> None:
    """One call, with `fields` and the signed-in caller's principal as `viewer` (never a person id from the body)."""
    rpc.assert_called_once()
    [payload] = rpc.call_args.args
    viewer = payload.pop("viewer")
    assert viewer["person_id"] == person_id
    assert payload == fields


def test_my_teachers_are_those_directory_lists_for_the_caller_and_only_the_caller(gateway):
    teachers = {"teachers": [{"person_id": "teacher-1", "given_name": "Tess", "family_name": "Ito",
                              "classroom_ids": ["classroom-1"]}]}
    gateway.directory.list_teachers_of.return_value = teachers
    guardian = make_principal(identity.GUARDIAN, person_id="guardian-1")

    response = gateway.get("/api/v1/me/teachers?person_id=someone-else", headers=gateway.sign_in(guardian))

    assert response.status_code == 200 and response.json() == teachers
    gateway.directory.list_teachers_of.assert_called_once_with({"viewer": guardian})
    assert gateway.get("/api/v1/me/teachers").status_code == 401

"""identity's sessions over RPC on a real broker and PostgreSQL: refresh, sign out, change password."""
from __future__ import annotations

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from services.identity.adapters.tables import refresh_tokens, sessions
from services.identity.domain.sessions import refresh_token_hash
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotAuthenticated, PermissionDenied

pytestmark = pytest.mark.postgres

PASSWORD = "a long enough password"
DANA = "dana.rivera@example.org"


@pytest.fixture
def dana(sync, make_account_input, identity_rpc) -> str:
    sync(make_account_input())
    identity_rpc.set_password({"login": DANA, "password": PASSWORD})
    return "person-guardian-1"


def sign_in(rpc, password: str = PASSWORD) -> dict:
    return rpc.login({"login": DANA, "password": password})


def authenticates(rpc, token: str) -> bool:
    try:
        rpc.authenticate({"token": token})
    except NotAuthenticated:
        return False
    return True


def stored_rows(stored, table) -> list:
    stored.session.rollback()  # a fresh snapshot of what the service committed
    return list(stored.session.execute(select(table)))


def test_a_sign_in_answers_both_tokens_and_stores_the_refresh_token_only_as_its_hash(identity_rpc, dana, stored):
    session = sign_in(identity_rpc)

    assert identity.LoginResult().validate(session) == {}
    [row] = stored_rows(stored, refresh_tokens)
    assert row.token_hash == refresh_token_hash(session["refresh_token"])
    assert session["refresh_token"] not in {str(value) for value in row}
    assert authenticates(identity_rpc, session["token"])


def test_a_refresh_rotates_and_a_second_use_of_the_same_token_ends_the_whole_session(identity_rpc, dana, stored):
    first = sign_in(identity_rpc)
    renewed = identity_rpc.refresh_session({"refresh_token": first["refresh_token"]})
    newest = identity_rpc.refresh_session({"refresh_token": renewed["refresh_token"]})
    assert authenticates(identity_rpc, newest["token"])

    with pytest.raises(NotAuthenticated, match="already used"):
        identity_rpc.refresh_session({"refresh_token": first["refresh_token"]})

    assert not any(authenticates(identity_rpc, s["token"]) for s in (first, renewed, newest))
    with pytest.raises(NotAuthenticated):
        identity_rpc.refresh_session({"refresh_token": newest["refresh_token"]})
    [row] = stored_rows(stored, sessions)
    assert row.revoked_reason == "refresh_token_reused"


def test_two_refreshes_with_one_token_at_once_never_both_renew(identity_rpc, identity_config, dana, stored):
    session = sign_in(identity_rpc)

    def refresh():
        with ServiceRpcProxy(identity.NAME, identity_config, timeout=30) as proxy:
            try:
                return proxy.refresh_session({"refresh_token": session["refresh_token"]})
            except NotAuthenticated as refused:
                return refused

    answers = [thread.wait() for thread in [eventlet.spawn(refresh) for _ in range(4)]]

    renewed = [answer for answer in answers if isinstance(answer, dict)]
    assert len(renewed) <= 1 and len(answers) - len(renewed) >= 3
    # Whichever came second saw a used token: the session ended, so no answer's tokens still work.
    assert not any(authenticates(identity_rpc, answer["token"]) for answer in renewed)
    assert [row.revoked_reason for row in stored_rows(stored, sessions)] == ["refresh_token_reused"]
    assert sum(row.used_at is None for row in stored_rows(stored, refresh_tokens)) <= 1


@pytest.mark.parametrize("forged", ["forged", "x" * 512])
def test_a_forged_refresh_token_is_not_authenticated_and_changes_nothing(identity_rpc, dana, stored, forged):
    session = sign_in(identity_rpc)
    before = stored_rows(stored, refresh_tokens), stored_rows(stored, sessions)

    with pytest.raises(NotAuthenticated, match="not valid"):
        identity_rpc.refresh_session({"refresh_token": forged})

    assert (stored_rows(stored, refresh_tokens), stored_rows(stored, sessions)) == before
    assert authenticates(identity_rpc, session["token"])


@pytest.mark.parametrize("request_body", [{}, {"refresh_token": ""}, {"refresh_token": "x" * 513},
                                          {"refresh_token": None}])
def test_a_malformed_refresh_request_is_refused_naming_the_field(identity_rpc, request_body):
    with pytest.raises(InvalidRequest) as refused:
        identity_rpc.refresh_session(request_body)

    assert "refresh_token" in refused.value.fields


def test_signing_out_ends_this_device_at_once_and_the_other_stays(identity_rpc, dana):
    phone, laptop = sign_in(identity_rpc), sign_in(identity_rpc)

    assert identity_rpc.sign_out({"token": phone["token"]}) == {"sessions_ended": 1}

    assert not authenticates(identity_rpc, phone["token"])
    with pytest.raises(NotAuthenticated, match="ended"):
        identity_rpc.refresh_session({"refresh_token": phone["refresh_token"]})
    assert authenticates(identity_rpc, laptop["token"])


def test_signing_out_everywhere_ends_every_session_of_the_person(identity_rpc, dana):
    devices = [sign_in(identity_rpc) for _ in range(3)]

    assert identity_rpc.sign_out_everywhere({"token": devices[1]["token"]}) == {"sessions_ended": 3}

    assert not any(authenticates(identity_rpc, device["token"]) for device in devices)
    with pytest.raises(NotAuthenticated):
        identity_rpc.sign_out_everywhere({"token": devices[1]["token"]})


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(identity_rpc, dana, stored):
    here, elsewhere = sign_in(identity_rpc), sign_in(identity_rpc)

    ended = identity_rpc.change_password({"token": here["token"], "current_password": PASSWORD,
                                          "new_password": "another long password"})

    assert ended == {"sessions_ended": 1}
    assert authenticates(identity_rpc, here["token"])
    assert not authenticates(identity_rpc, elsewhere["token"])
    with pytest.raises(NotAuthenticated):
        sign_in(identity_rpc)
    assert sign_in(identity_rpc, "another long password")["principal"]["person_id"] == dana
    assert sorted(str(row.revoked_reason) for row in stored_rows(stored, sessions)) == ["None", "None",
                                                                                       "password_changed"]


@pytest.mark.parametrize("current, new, error, field", [
    ("not the password", "another long password", PermissionDenied, "current_password"),
    (PASSWORD, "short", InvalidRequest, "new_password"),
    (PASSWORD, "", InvalidRequest, "new_password"),
])
def test_a_refused_password_change_names_the_field_and_changes_nothing(identity_rpc, dana, current, new, error,
                                                                         field):
    here, elsewhere = sign_in(identity_rpc), sign_in(identity_rpc)

    with pytest.raises(error) as refused:
        identity_rpc.change_password({"token": here["token"], "current_password": current, "new_password": new})

    assert list(refused.value.fields) == [field]
    assert authenticates(identity_rpc, elsewhere["token"])
    assert sign_in(identity_rpc)["principal"]["person_id"] == dana


def test_an_operator_setting_the_password_ends_every_session_and_its_refresh_tokens(identity_rpc, dana):
    session = sign_in(identity_rpc)

    identity_rpc.set_password({"login": DANA, "password": "set by the office"})

    assert not authenticates(identity_rpc, session["token"])
    with pytest.raises(NotAuthenticated):
        identity_rpc.refresh_session({"refresh_token": session["refresh_token"]})

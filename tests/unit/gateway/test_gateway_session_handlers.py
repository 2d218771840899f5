"""Sign-in and the session endpoints, with identity replaced by a mock."""
from unittest.mock import Mock

import pytest

from services.gateway import session_handlers as sessions
from services.gateway.api import ApiCall, Backends
from services.gateway.domain.throttling import Limit, LoginThrottle, LoginThrottled
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, NotAuthenticated, PermissionDenied

from gateway_builders import make_principal

ADDRESS = "203.0.113.7"
SIGN_IN = {"login": "dana@example.org", "password": "secret"}


def make_backends(per_login: int = 1) -> Backends:
    return Backends(identity=Mock(name="identity"), directory=Mock(name="directory"),
                    login_attempts=LoginThrottle(per_login=Limit(per_login, 900)))


def test_a_successful_sign_in_is_handed_to_identity_as_it_came_and_never_counted():
    backends = make_backends()
    backends.identity.login.return_value = {"token": "t"}

    answers = [sessions.log_in(ApiCall(None, body=SIGN_IN, client_address=ADDRESS), backends) for _ in range(5)]

    assert answers == [{"token": "t"}] * 5
    backends.identity.login.assert_called_with(SIGN_IN)


def test_a_failed_sign_in_counts_and_the_next_past_the_limit_is_refused_without_asking_identity():
    backends = make_backends()
    backends.identity.login.side_effect = NotAuthenticated("the login or password is incorrect")

    with pytest.raises(NotAuthenticated):
        sessions.log_in(ApiCall(None, body=SIGN_IN, client_address=ADDRESS), backends)
    with pytest.raises(LoginThrottled):
        sessions.log_in(ApiCall(None, body={**SIGN_IN, "login": " DANA@example.org"}, client_address=ADDRESS),
                        backends)

    assert backends.identity.login.call_count == 1


def test_a_refresh_is_handed_to_identity_as_it_came():
    backends = make_backends()
    backends.identity.refresh_session.return_value = {"token": "t2"}

    assert sessions.refresh_session(ApiCall(None, body={"refresh_token": "r1"}), backends) == {"token": "t2"}
    backends.identity.refresh_session.assert_called_once_with({"refresh_token": "r1"})


@pytest.mark.parametrize("handler, rpc", [(sessions.sign_out, "sign_out"),
                                          (sessions.sign_out_everywhere, "sign_out_everywhere")])
def test_signing_out_names_the_session_by_the_callers_own_token(handler, rpc):
    backends = make_backends()
    getattr(backends.identity, rpc).return_value = {"sessions_ended": 1}

    answer = handler(ApiCall(make_principal(identity.GUARDIAN), token="access-1"), backends)

    assert answer == {"sessions_ended": 1}
    getattr(backends.identity, rpc).assert_called_once_with({"token": "access-1"})


def test_a_password_change_sends_the_callers_token_never_one_from_the_body():
    backends = make_backends()
    backends.identity.change_password.return_value = {"sessions_ended": 2}
    body = {"current_password": "old password", "new_password": "new password"}

    answer = sessions.change_password(ApiCall(make_principal(identity.GUARDIAN), body=body, token="access-1"),
                                      backends)

    assert answer == {"sessions_ended": 2}
    backends.identity.change_password.assert_called_once_with({**body, "token": "access-1"})


def test_wrong_current_passwords_count_per_person_and_lock_out_only_password_changes():
    backends = make_backends()
    backends.identity.change_password.side_effect = PermissionDenied("the current password is not right")
    backends.identity.login.return_value = {"token": "t"}
    call = ApiCall(make_principal(identity.GUARDIAN), body={"current_password": "guess", "new_password": "n" * 8},
                   client_address=ADDRESS, token="access-1")

    with pytest.raises(PermissionDenied):
        sessions.change_password(call, backends)
    with pytest.raises(LoginThrottled):
        sessions.change_password(call, backends)

    assert backends.identity.change_password.call_count == 1
    assert sessions.log_in(ApiCall(None, body=SIGN_IN, client_address=ADDRESS), backends) == {"token": "t"}


def test_a_new_password_that_breaks_the_rule_is_not_a_guess():
    backends = make_backends()
    backends.identity.change_password.side_effect = InvalidRequest("the new password is too short")
    call = ApiCall(make_principal(identity.GUARDIAN), body={"current_password": "pw", "new_password": "short"},
                   client_address=ADDRESS, token="access-1")

    for _ in range(3):
        with pytest.raises(InvalidRequest):
            sessions.change_password(call, backends)

    assert backends.identity.change_password.call_count == 3

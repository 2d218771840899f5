"""The gateway hands services the signed-in user's assertion, never only a principal they would have to believe."""
from unittest.mock import Mock

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.api import Backends, Route
from services.gateway.pipeline import prepare
from shared.contracts.errors import NotAuthenticated

from gateway_builders import make_principal

SIGNED_IN = {"principal": make_principal(person_id="teacher-1"), "assertion": "signed-assertion-of-teacher-1",
             "expires_at": "2026-12-05T08:05:00+00:00"}


def request(headers: dict | None = None) -> Request:
    return Request(EnvironBuilder(method="GET", path="/api/v1/me", headers=headers or {}).get_environ())


def route(**overrides) -> Route:
    options = {"name": "show_me", "method": "GET", "rule": "/api/v1/me", "summary": "Me", "tag": "me",
               "handler": lambda call, backends: {}, "response": None}
    return Route(**{**options, **overrides})


def backends() -> Backends:
    identity = Mock(name="identity")
    identity.issue_assertion.return_value = SIGNED_IN
    return Backends(identity=identity, directory=Mock(name="directory"), present_credential=Mock())


def test_a_signed_in_request_presents_identitys_assertion_for_every_call_that_follows():
    services = backends()

    call = prepare(route(), request({"Authorization": "Bearer access-token"}), {}, services)

    services.identity.issue_assertion.assert_called_once_with({"token": "access-token"})
    services.present_credential.assert_called_once_with("signed-assertion-of-teacher-1")
    assert call.principal == SIGNED_IN["principal"]


def test_a_token_identity_refuses_presents_nothing():
    services = backends()
    services.identity.issue_assertion.side_effect = NotAuthenticated("the session is not valid: sign in again")

    with pytest.raises(NotAuthenticated):
        prepare(route(), request({"Authorization": "Bearer stale"}), {}, services)
    services.present_credential.assert_not_called()


def test_a_public_route_asks_identity_for_nothing():
    services = backends()

    prepare(route(public=True), request(), {}, services)

    services.identity.issue_assertion.assert_not_called()
    services.present_credential.assert_not_called()

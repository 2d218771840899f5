"""What every endpoint shares: authentication, the error shape, routing failures, the OpenAPI document."""
import logging

import eventlet
import pytest
from nameko.exceptions import UnknownService

from services.gateway.routes import ROUTES
from shared.contracts import identity

from gateway_http_support import assert_error, make_principal

SIGNED_IN_ROUTES = [route for route in ROUTES if not route.public]


def concrete_path(rule: str) -> str:
    return rule.replace("<id>", "person-1").replace("<kind>", "email")


def test_health_answers_ok_without_a_token(gateway):
    response = gateway.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    gateway.identity.issue_assertion.assert_not_called()


@pytest.mark.parametrize("route", SIGNED_IN_ROUTES, ids=lambda route: route.name)
def test_every_signed_in_endpoint_refuses_a_request_without_a_token(gateway, route):
    response = gateway.request(route.method, concrete_path(route.rule), json={})

    assert_error(response, 401, "not_authenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert gateway.directory.method_calls == [] and gateway.notify.method_calls == []


@pytest.mark.parametrize("route", SIGNED_IN_ROUTES, ids=lambda route: route.name)
def test_every_signed_in_endpoint_refuses_a_token_identity_does_not_know(gateway, route):
    response = gateway.request(route.method, concrete_path(route.rule), json={},
                               headers={"Authorization": "Bearer forged"})

    assert_error(response, 401, "not_authenticated")
    gateway.identity.issue_assertion.assert_called_once_with({"token": "forged"})
    assert gateway.directory.method_calls == [] and gateway.notify.method_calls == []


def test_a_malformed_authorization_header_is_refused_without_asking_identity(gateway):
    response = gateway.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert_error(response, 401, "not_authenticated")
    gateway.identity.issue_assertion.assert_not_called()


def test_an_unknown_route_answers_not_found_in_the_error_shape(gateway):
    assert_error(gateway.get("/api/v1/nothing-here"), 404, "not_found")


def test_a_wrong_method_answers_method_not_allowed_naming_the_allowed_ones(gateway):
    response = gateway.request("DELETE", "/api/v1/schools")

    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_a_body_that_is_not_json_is_refused_naming_body(gateway):
    teacher = make_principal(identity.TEACHER, permissions=(identity.USERS_MANAGER,))

    response = gateway.post("/api/v1/directory/students/enable-accounts", data=b'{"student_ids": [',
                            headers={**gateway.sign_in(teacher), "Content-Type": "application/json"})

    assert list(assert_error(response, 400, "invalid_request")) == ["body"]
    gateway.directory.enable_student_accounts.assert_not_called()


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(gateway):
    admin = make_principal(identity.SCHOOL_ADMIN)

    response = gateway.post("/api/v1/directory/students/enable-accounts", data=b" " * (2 * 1024 * 1024),
                            headers=gateway.sign_in(admin))

    assert_error(response, 413, "request_entity_too_large")


def test_a_service_that_does_not_answer_in_time_is_service_unavailable(start_gateway):
    gateway = start_gateway(GATEWAY_REQUEST_TIMEOUT=0.3)
    gateway.directory.get_schools.side_effect = lambda request: eventlet.sleep(10)

    response = gateway.get("/api/v1/schools", headers=gateway.sign_in(make_principal()))

    assert_error(response, 503, "service_unavailable")


def test_a_service_that_is_not_running_is_service_unavailable(gateway):
    gateway.directory.get_schools.side_effect = UnknownService("directory")

    response = gateway.get("/api/v1/schools", headers=gateway.sign_in(make_principal()))

    assert_error(response, 503, "service_unavailable")


def test_an_unexpected_error_is_logged_with_its_traceback_and_hidden_from_the_caller(gateway, caplog):
    gateway.directory.get_schools.side_effect = RuntimeError("password=hunter2 at db-7")

    with caplog.at_level(logging.ERROR, logger="services.gateway"):
        response = gateway.get("/api/v1/schools", headers=gateway.sign_in(make_principal()))

    assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    logged = [record for record in caplog.records if record.name.startswith("services.gateway")]
    assert len(logged) == 1 and logged[0].exc_info[0] is RuntimeError
    assert logged[0].getMessage().split("reference ")[1].rstrip(")") in response.json()["error"]["message"]


def test_the_openapi_document_is_json_listing_every_path_and_method(gateway):
    response = gateway.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert {(path, method.upper()) for path, operations in document["paths"].items() for method in operations} == \
        {(route.openapi_path, route.method) for route in ROUTES}
    assert "ErrorResponse" in document["components"]["schemas"]
    gateway.identity.issue_assertion.assert_not_called()

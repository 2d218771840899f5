import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import MethodNotAllowed, NotFound as RouteNotFound, RequestEntityTooLarge

from services.gateway.domain.throttling import LoginThrottled
from services.gateway.errors import RETRY_AFTER_BUSY_SECONDS, flatten_field_messages, problem_for
from shared.contracts.errors import ALL_ERRORS, InvalidRequest, NotAuthenticated, TooManyRequests


@pytest.mark.parametrize("error_type", ALL_ERRORS, ids=lambda error_type: error_type.__name__)
def test_each_platform_error_keeps_its_own_status_code_and_message(error_type):
    problem = problem_for(error_type("What happened.", fields={"name": ["Too long."]}))

    assert (problem.status, problem.code) == (error_type.http_status, error_type.code)
    assert problem.body() == {"error": {"code": error_type.code, "message": "What happened.",
                                        "fields": {"name": ["Too long."]}}}


def test_an_error_without_fields_answers_an_empty_fields_map():
    assert problem_for(InvalidRequest("Nope.")).body()["error"]["fields"] == {}


def test_not_authenticated_tells_the_client_to_use_a_bearer_token():
    assert problem_for(NotAuthenticated("Sign in.")).headers == {"WWW-Authenticate": "Bearer"}


def test_a_throttled_sign_in_is_too_many_requests_and_says_when_to_try_again():
    problem = problem_for(LoginThrottled(41.2))

    assert (problem.status, problem.code) == (429, "too_many_requests")
    assert problem.headers == {"Retry-After": "42"}
    assert problem.body()["error"]["message"] == "Too many failed sign-in attempts. Try again in 42 seconds."


def test_identity_refusing_a_login_it_cannot_check_now_asks_to_retry_in_a_couple_of_seconds():
    problem = problem_for(TooManyRequests("too many sign-ins are being checked right now"))

    assert (problem.status, problem.code) == (429, "too_many_requests")
    assert problem.headers == {"Retry-After": str(RETRY_AFTER_BUSY_SECONDS)}


def test_nested_validation_messages_become_dotted_field_paths():
    messages = {"student_ids": {3: ["Not a valid string."]},
                "viewer": {"roles": {0: {"role": ["Must be one of: teacher."]}}},
                "_schema": ["Invalid input type."]}

    assert flatten_field_messages(messages) == {
        "student_ids.3": ["Not a valid string."],
        "viewer.roles.0.role": ["Must be one of: teacher."],
        "_schema": ["Invalid input type."],
    }


def test_field_messages_decoded_from_rpc_flatten_like_local_ones():
    assert flatten_field_messages({"student_ids": {"3": ["Not a valid string."]}}) == \
        flatten_field_messages({"student_ids": {3: ["Not a valid string."]}})


def test_a_lone_reason_string_becomes_a_list_of_one():
    assert flatten_field_messages({"login": "Unknown."}) == {"login": ["Unknown."]}


def test_an_unknown_route_is_not_found():
    problem = problem_for(RouteNotFound())

    assert (problem.status, problem.code) == (404, "not_found")


def test_a_wrong_method_is_method_not_allowed_and_lists_the_allowed_ones():
    problem = problem_for(MethodNotAllowed(valid_methods=["GET", "HEAD"]))

    assert (problem.status, problem.code) == (405, "method_not_allowed")
    assert problem.headers == {"Allow": "GET, HEAD"}


def test_a_body_too_large_keeps_werkzeugs_status():
    problem = problem_for(RequestEntityTooLarge())

    assert (problem.status, problem.code) == (413, "request_entity_too_large")


@pytest.mark.parametrize("error", [RpcTimeout(30), UnknownService("directory"), OperationalError("refused"),
                                   ConnectionRefusedError()], ids=lambda error: type(error).__name__)
def test_a_service_that_does_not_answer_is_service_unavailable(error):
    problem = problem_for(error)

    assert (problem.status, problem.code) == (503, "service_unavailable")
    assert problem.headers == {"Retry-After": "5"}


@pytest.mark.parametrize("error", [KeyError("password_hash"), RemoteError("ProgrammingError", "relation x")],
                         ids=lambda error: type(error).__name__)
def test_an_unexpected_error_is_internal_and_reveals_nothing_but_a_reference(error):
    problem = problem_for(error)

    assert (problem.status, problem.code) == (500, "internal_error")
    assert problem.reference and problem.reference in problem.message
    assert "password_hash" not in problem.message and "relation" not in problem.message
    assert problem.fields == {}

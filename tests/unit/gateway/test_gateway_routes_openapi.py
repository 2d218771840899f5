import json
import re

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from marshmallow import Schema, fields

from services.gateway.api import JSON, Route
from services.gateway.lists import ListPage
from services.gateway.openapi import build_document
from services.gateway.routes import ROUTES
from services.gateway.service import GatewayService
from shared.contracts.common import Timestamp
from shared.contracts.permissions import ACTIONS

ROUTE_IDS = [route.name for route in ROUTES]


@pytest.fixture(scope="module")
def document() -> dict:
    return build_document(ROUTES)


def operation_of(document: dict, route: Route) -> dict:
    return document["paths"][route.openapi_path][route.method.lower()]


def test_the_document_is_openapi_3_and_plain_json(document):
    assert document["openapi"].startswith("3.")
    assert json.loads(json.dumps(document)) == document
    assert document["info"]["title"] and document["info"]["version"]


def test_every_route_is_an_operation_of_the_document_and_nothing_else_is(document):
    documented = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}

    assert documented == {(route.openapi_path, route.method) for route in ROUTES}


def test_every_route_is_a_gateway_entrypoint_with_the_same_method_and_rule():
    registered = {(entrypoint.method, entrypoint.url)
                  for route in ROUTES
                  for entrypoint in getattr(getattr(GatewayService, route.name), ENTRYPOINT_EXTENSIONS_ATTR)}

    assert registered == {(route.method, route.rule) for route in ROUTES}


def test_routes_are_unique_by_name_and_by_method_and_path():
    assert len({route.name for route in ROUTES}) == len(ROUTES)
    assert len({(route.method, route.openapi_path) for route in ROUTES}) == len(ROUTES)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_permission_action_is_one_identity_has_a_rule_for(route):
    assert route.action is None or route.action in ACTIONS


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_operation_names_itself_and_documents_its_success(document, route):
    operation = operation_of(document, route)

    assert operation["operationId"] == route.name
    assert operation["summary"] == route.summary
    assert route.media_type in operation["responses"][str(route.status)]["content"]


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_failure_an_operation_can_end_with_is_documented_with_the_error_shape(document, route):
    responses = operation_of(document, route)["responses"]
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}

    assert {414, 431, 500, 503} <= set(route.error_statuses)
    for status in route.error_statuses:
        assert responses[str(status)]["content"]["application/json"]["schema"] == error_ref


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_signed_in_operations_need_the_bearer_token_and_public_ones_do_not(document, route):
    operation = operation_of(document, route)

    if route.public:
        assert operation["security"] == []
    else:
        assert "security" not in operation  # inherits the document-wide bearer requirement
        assert "401" in operation["responses"]
    assert ("403" in operation["responses"]) == (route.action is not None or 403 in route.errors)


def test_the_bearer_scheme_is_declared_and_required_by_default(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_path_value_is_a_required_path_parameter(document, route):
    parameters = operation_of(document, route)["parameters"]
    in_template = re.findall(r"{(\w+)}", route.openapi_path)

    assert [p["name"] for p in parameters if p["in"] == "path"] == in_template
    assert all(p["required"] for p in parameters if p["in"] == "path")


def test_search_filters_are_documented_as_query_parameters_with_their_choices(document):
    search = next(route for route in ROUTES if route.name == "search_people")
    parameters = {p["name"]: p for p in operation_of(document, search)["parameters"] if p["in"] == "query"}

    assert set(parameters) == {"query", "kind", "school_id", "classroom_id", "student_account_status",
                               "include_archived", "page", "per_page"}
    assert {"student", "staff", "guardian"} <= set(parameters["kind"]["schema"]["enum"])
    assert parameters["per_page"]["schema"]["maximum"] == 200


@pytest.mark.parametrize("route", [route for route in ROUTES if route.body], ids=lambda route: route.name)
def test_every_body_is_a_required_json_request_body_with_its_schema(document, route):
    body = operation_of(document, route)["requestBody"]

    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{route.body.__name__}"}


def test_the_caller_cannot_be_named_in_a_documented_body(document):
    schemas = document["components"]["schemas"]

    assert "viewer" not in schemas["EnableStudentAccountsBody"]["properties"]
    assert set(schemas["SetPermissionsBody"]["properties"]) == {"permissions"}


def test_the_error_shape_is_documented_with_code_message_and_fields(document):
    detail = document["components"]["schemas"]["ErrorDetail"]

    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert document["components"]["schemas"]["ErrorResponse"]["properties"]["error"] == {
        "$ref": "#/components/schemas/ErrorDetail"}


def test_every_reference_resolves_to_a_component(document):
    references = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(document)))

    assert references and references <= set(document["components"]["schemas"])


def test_signing_in_documents_too_many_requests_with_the_retry_after_header(document):
    log_in = next(route for route in ROUTES if route.name == "log_in")
    responses = operation_of(document, log_in)["responses"]

    assert "too_many_requests" in responses["429"]["description"]
    assert responses["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    assert "Retry-After" in responses["503"]["headers"]
    assert "Retry-After" not in responses["401"]["headers"]


def test_an_announcement_is_documented_as_accepted_with_the_permission_each_audience_needs(document):
    send = next(route for route in ROUTES if route.name == "send_announcement")
    operation = operation_of(document, send)

    assert set(operation["responses"]) >= {"202", "400", "401", "403"} and "200" not in operation["responses"]
    for action in ("notify.announce_school", "notify.announce_classroom", "notify.announce_selected"):
        assert action in operation["description"]
    assert "sender" not in document["components"]["schemas"]["AnnouncementBody"]["properties"]


@pytest.mark.parametrize("route", [route for route in ROUTES if route.raw_body], ids=lambda route: route.name)
def test_provider_webhooks_are_public_outside_the_api_and_document_what_the_provider_posts(document, route):
    operation = operation_of(document, route)

    assert route.public and not route.rule.startswith("/api/")
    assert list(operation["requestBody"]["content"]) == [route.raw_body.media_type]
    assert "403" in operation["responses"]


def test_the_inbound_sms_webhook_documents_its_twiml_answer(document):
    inbound = next(route for route in ROUTES if route.name == "receive_twilio_inbound")

    assert operation_of(document, inbound)["responses"]["200"]["content"] == {
        "text/xml": {"schema": {"type": "string"}, "example": "<Response/>"}}


def test_webhook_routes_are_the_paths_notify_gives_the_providers():
    from services.notify.adapters.webhooks import SENDGRID_EVENTS_PATH, TWILIO_INBOUND_PATH, TWILIO_STATUS_PATH
    from shared.contracts import conversations

    webhook_rules = {route.rule for route in ROUTES if route.raw_body}

    assert webhook_rules == {TWILIO_STATUS_PATH, TWILIO_INBOUND_PATH, SENDGRID_EVENTS_PATH,
                             conversations.SENDGRID_INBOUND_PATH}


def test_no_documented_body_or_query_lets_the_caller_name_who_acts(document):
    schemas = document["components"]["schemas"]

    assert set(schemas["PreferenceBody"]["properties"]) == {"preference"}
    assert set(schemas["DistrictDefaultBody"]["properties"]) == {"default_preference"}
    assert set(schemas["ResetStatusBody"]["properties"]) == {"reason"}
    report = next(route for route in ROUTES if route.name == "show_delivery_report")
    query = {p["name"] for p in operation_of(document, report)["parameters"] if p["in"] == "query"}
    assert query == {"page", "per_page", "status"}


def test_a_profile_documents_each_credentials_delivery_status(document):
    credential = document["components"]["schemas"]["ProfileCredential"]["properties"]
    status = document["components"]["schemas"]["DeliveryStatus"]["properties"]

    assert set(credential) == {"kind", "value", "shared", "delivery_status"}
    assert set(status) == {"state", "reason", "last_status", "updated_at"}
    assert status["state"]["enum"] == ["good", "bad", "opted_out"]


# --- what a frontend team builds on: examples, one list shape, zones, Location ---

@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_operation_has_a_request_example_for_each_input_and_a_response_example(document, route):
    operation = operation_of(document, route)

    for media in operation.get("requestBody", {}).get("content", {}).values():
        assert media["example"] is not None
    assert all("example" in parameter for parameter in operation["parameters"])
    assert all(media["example"] is not None
               for media in operation["responses"][str(route.status)]["content"].values())


@pytest.mark.parametrize("route", [route for route in ROUTES if route.body], ids=lambda route: route.name)
def test_every_request_body_example_is_one_the_endpoint_takes(document, route):
    example = operation_of(document, route)["requestBody"]["content"][JSON]["example"]

    assert route.body().validate(example) == {}


@pytest.mark.parametrize("route", [route for route in ROUTES if route.query], ids=lambda route: route.name)
def test_every_query_example_is_one_the_endpoint_takes(document, route):
    examples = {p["name"]: p["example"] for p in operation_of(document, route)["parameters"] if p["in"] == "query"}

    assert route.query().validate({name: value for name, value in examples.items() if value is not None}) == {}


@pytest.mark.parametrize("route", [route for route in ROUTES if route.response], ids=lambda route: route.name)
def test_every_response_example_is_an_answer_of_its_schema(document, route):
    example = operation_of(document, route)["responses"][str(route.status)]["content"][JSON]["example"]

    assert route.response().validate(example) == {}


LIST_FIELDS = {"items", "total", "page", "per_page", "next"}
PAGING_WORDS = {"page", "per_page", "limit", "after", "next_after", "offset"}  # a job's `total` is no list


def _field_names(schema: type[Schema] | None) -> set[str]:
    return set(schema().fields) if schema else set()


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_paged_answer_is_the_one_list_shape_asked_for_by_page_and_per_page(document, route):
    paged = bool(PAGING_WORDS & (_field_names(route.query) | _field_names(route.response)))

    assert paged == route.lists
    if route.lists:
        properties = document["components"]["schemas"][route.response.__name__]["properties"]
        assert issubclass(route.response, ListPage) and LIST_FIELDS <= set(properties)
        if route.method == "GET":  # a POST answers the first page of what it started
            assert {"page", "per_page"} <= _field_names(route.query)
        assert not {"limit", "after", "next_after", "offset"} & (_field_names(route.query) | set(properties))


def test_the_lists_are_the_directory_schools_audit_log_reports_unreachable_contacts_sync_runs_conversations_and_inbox():
    assert {route.name for route in ROUTES if route.lists} == {
        "search_people", "list_schools", "show_audit_log", "show_delivery_report", "list_unreachable_contacts",
        "list_sync_runs", "list_sync_run_changes", "send_invitations", "show_invitation_job", "list_conversations",
            "list_flagged_messages",
        "show_my_inbox"}


def _date_time_fields(schema: type[Schema] | Schema, seen: set) -> list[tuple[str, fields.Field]]:
    instance = schema() if isinstance(schema, type) else schema
    if type(instance) in seen:
        return []
    seen.add(type(instance))
    found = []
    for name, field in instance.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.DateTime):
            found.append((f"{type(instance).__name__}.{name}", inner))
        elif isinstance(inner, fields.Nested):
            found += _date_time_fields(inner.schema, seen)
    return found


def test_every_timestamp_an_endpoint_answers_is_written_with_its_zone():
    from datetime import datetime

    moments = [found for route in ROUTES if route.response for found in _date_time_fields(route.response, set())]

    assert moments
    for name, field in moments:
        assert isinstance(field, Timestamp), name
        assert field.serialize("at", {"at": datetime(2026, 9, 1, 8, 0)}).endswith("+00:00"), name


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_created_or_accepted_answer_says_where_to_read_it(document, route):
    success = operation_of(document, route)["responses"][str(route.status)]

    assert (route.status in (201, 202)) == (route.location is not None)
    assert ("Location" in success["headers"]) == (route.location is not None)


@pytest.mark.parametrize("route", [route for route in ROUTES if route.error_rules], ids=lambda route: route.name)
def test_each_business_rule_the_table_names_is_documented_on_its_status(document, route):
    responses = operation_of(document, route)["responses"]

    for status, rule in route.error_rules.items():
        assert responses[str(status)]["description"].endswith(f"Here: {rule}")


def test_an_announcement_documents_the_audience_that_is_not_the_senders_as_not_found(document):
    send = next(route for route in ROUTES if route.name == "send_announcement")

    assert "school or classroom" in operation_of(document, send)["responses"]["404"]["description"]

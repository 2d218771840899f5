"""The OpenAPI 3 document, generated from the route table and the same marshmallow schemas the endpoints use."""
from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.gateway.api import JSON, Route
from services.gateway.examples import BY_NAME, EXAMPLE_ID, example_of, field_example
from services.gateway.schemas import ErrorResponse

TITLE = "School communications API"
VERSION = "1.0.0"
OPENAPI_VERSION = "3.0.3"
BEARER = "bearerAuth"

DESCRIPTION = (
    "One JSON API for the web frontends. Send `Authorization: Bearer <token>` (from `POST /api/v1/auth/login`) "
    "on every call except health, this document and login. Every failure has the same body: "
    '`{"error": {"code": "...", "message": "...", "fields": {"field": ["reason"]}}}`. '
    "Every list has the same shape: `items`, `total`, `page`, `per_page` and `next`, the path of the following "
    "page (null on the last). Every timestamp carries its zone. Send `X-Request-Id` (letters, digits and `._:+=/-`, "
    "up to 128) to tie a request to the gateway's logs; every answer carries it back, one made up when none (or "
    "an unusable one) was sent. Interactive reference: `/api/v1/docs`."
)

ERROR_MEANINGS = {
    400: "The request is malformed or has invalid fields (`invalid_request`; `fields` names each).",
    401: "No valid sign-in (`not_authenticated`).",
    403: "Not allowed (`permission_denied`): signed in without permission for this, or a webhook whose "
         "signature does not verify.",
    404: "Nothing there that the caller may see (`not_found`).",
    409: "Conflicts with the current state (`conflict`).",
    413: "The body is larger than any endpoint takes (`request_entity_too_large`).",
    414: "The request line is longer than the gateway reads (`request_uri_too_long`); send long selections in "
         "a body.",
    423: "Managed by a roster sync, so locked for manual changes (`locked`).",
    429: "Too many attempts (`too_many_requests`): sign-in attempts are limited per login and per client "
         "address, and refused while identity is saturated; wait the seconds `Retry-After` names.",
    431: "A header line is longer than 8,192 bytes, or the headers than 65,536 in all "
         "(`request_header_fields_too_large`).",
    500: "Unexpected failure on our side (`internal_error`); the message carries a reference.",
    503: "A service this needs is not answering (`service_unavailable`); try again shortly.",
}
# Statuses that say when to try again.
RETRY_AFTER_STATUSES = (429, 503)
RETRY_AFTER_HEADER = {"description": "Seconds to wait before trying again.",
                      "schema": {"type": "integer", "minimum": 1}}
REQUEST_ID_HEADER = {"description": "The request's id: the one sent, or one made up.", "schema": {"type": "string"}}
LOCATION_HEADER = {"description": "Where what was created, or the work going on, can be read.", "required": True,
                   "schema": {"type": "string"}}


def build_document(routes: Iterable[Route]) -> dict:
    plugin = MarshmallowPlugin()
    spec = APISpec(title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION,
                   plugins=[plugin], info={"description": DESCRIPTION},
                   security=[{BEARER: []}])
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer"})
    spec.components.schema("ErrorResponse", schema=ErrorResponse)
    for route in routes:
        spec.path(path=route.openapi_path, operations={route.method.lower(): _operation(route, plugin)})
    return spec.to_dict()


def _operation(route: Route, plugin: MarshmallowPlugin) -> dict:
    operation: dict = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": _parameters(route, plugin),
        "responses": {str(route.status): _success(route),
                      **{str(status): _error(status, route.error_rules.get(status))
                         for status in route.error_statuses}},
    }
    if route.public:
        operation["security"] = []
    description = " ".join(filter(None, (f"Needs permission `{route.action}`." if route.action else None,
                                         route.description)))
    if description:
        operation["description"] = description
    declared = route.examples.request if route.examples else None
    if route.body:
        example = declared if declared is not None else example_of(route.body, request=True)
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": route.body, "example": example}}}
    if route.raw_body:
        operation["requestBody"] = {"required": True, "content": {route.raw_body.media_type: {
            "schema": dict(route.raw_body.schema), "example": declared}}}
    return operation


def _parameters(route: Route, plugin: MarshmallowPlugin) -> list[dict]:
    parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"},
                   "example": BY_NAME.get(name, EXAMPLE_ID)}
                  for name in route.path_values]
    if route.query:
        # One parameter per field, as the marshmallow plugin expands a schema, each with its example.
        fields = route.query().fields
        for parameter in plugin.converter.schema2parameters(route.query, location="query"):
            field = fields[parameter["name"]]
            parameters.append({**parameter, "example": field_example(field, parameter["name"], request=True)})
    return parameters


def _success(route: Route) -> dict:
    declared = route.examples.response if route.examples else None
    if route.media_type != JSON:
        schema = {"type": "string"}  # the handler's own text, e.g. TwiML
        example = declared
    else:
        schema = route.response if route.response else {"type": "object"}
        example = declared if declared is not None or not route.response else example_of(route.response,
                                                                                           request=False)
    response = {"description": HTTPStatus(route.status).phrase,
                "headers": {"X-Request-Id": REQUEST_ID_HEADER},
                "content": {route.media_type: {"schema": schema, "example": example}}}
    if route.location:
        response["headers"]["Location"] = LOCATION_HEADER
    return response


def _error(status: int, rule: str | None = None) -> dict:
    description = ERROR_MEANINGS.get(status, HTTPStatus(status).phrase)
    if rule:
        description = f"{description} Here: {rule}"
    response = {"description": description, "headers": {"X-Request-Id": REQUEST_ID_HEADER},
                "content": {JSON: {"schema": ErrorResponse}}}
    if status in RETRY_AFTER_STATUSES:
        response["headers"]["Retry-After"] = RETRY_AFTER_HEADER
    return response

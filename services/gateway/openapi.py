"""The OpenAPI 3 document, generated from the route table and the same marshmallow schemas the endpoints use."""
from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.gateway.api import JSON, Route
from services.gateway.schemas import ErrorResponse

TITLE = "School communications API"
VERSION = "1.0.0"
OPENAPI_VERSION = "3.0.3"
BEARER = "bearerAuth"

DESCRIPTION = (
    "One JSON API for the web frontends. Send `Authorization: Bearer <token>` (from `POST /api/v1/auth/login`) "
    "on every call except health, this document and login. Every failure has the same body: "
    '`{"error": {"code": "...", "message": "...", "fields": {"field": ["reason"]}}}`.'
)

ERROR_MEANINGS = {
    400: "The request is malformed or has invalid fields (`invalid_request`; `fields` names each).",
    401: "No valid sign-in (`not_authenticated`).",
    403: "Not allowed (`permission_denied`): signed in without permission for this, or a webhook whose "
         "signature does not verify.",
    404: "Nothing there that the caller may see (`not_found`).",
    409: "Conflicts with the current state (`conflict`).",
    423: "Managed by a roster sync, so locked for manual changes (`locked`).",
    429: "Too many attempts (`too_many_requests`): sign-in attempts are limited per login and per client "
         "address, and refused while identity is saturated; wait the seconds `Retry-After` names.",
    500: "Unexpected failure on our side (`internal_error`); the message carries a reference.",
    503: "A service this needs is not answering (`service_unavailable`); try again shortly.",
}
# Statuses that say when to try again.
RETRY_AFTER_STATUSES = (429, 503)
RETRY_AFTER_HEADER = {"description": "Seconds to wait before trying again.",
                      "schema": {"type": "integer", "minimum": 1}}


def build_document(routes: Iterable[Route]) -> dict:
    spec = APISpec(title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin()], info={"description": DESCRIPTION},
                   security=[{BEARER: []}])
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer"})
    spec.components.schema("ErrorResponse", schema=ErrorResponse)
    for route in routes:
        spec.path(path=route.openapi_path, operations={route.method.lower(): _operation(route)})
    return spec.to_dict()


def _operation(route: Route) -> dict:
    operation: dict = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": _parameters(route),
        "responses": {str(route.status): _success(route),
                      **{str(status): _error(status) for status in route.error_statuses}},
    }
    if route.public:
        operation["security"] = []
    description = " ".join(filter(None, (f"Needs permission `{route.action}`." if route.action else None,
                                         route.description)))
    if description:
        operation["description"] = description
    if route.body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": route.body}}}
    if route.raw_body:
        operation["requestBody"] = {"required": True,
                                    "content": {route.raw_body.media_type: {"schema": dict(route.raw_body.schema)}}}
    return operation


def _parameters(route: Route) -> list[dict]:
    parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                  for name in route.path_values]
    if route.query:
        # The marshmallow plugin expands a schema into one parameter per field.
        parameters.append({"in": "query", "schema": route.query})
    return parameters


def _success(route: Route) -> dict:
    if route.media_type != JSON:
        schema = {"type": "string"}  # the handler's own text, e.g. TwiML
    else:
        schema = route.response if route.response else {"type": "object"}
    return {"description": HTTPStatus(route.status).phrase, "content": {route.media_type: {"schema": schema}}}


def _error(status: int) -> dict:
    description = ERROR_MEANINGS.get(status, HTTPStatus(status).phrase)
    response = {"description": description, "content": {JSON: {"schema": ErrorResponse}}}
    if status in RETRY_AFTER_STATUSES:
        response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    return response

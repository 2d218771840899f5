"""Every failure becomes one JSON shape; this module is the one place that maps error types to HTTP statuses.

    {"error": {"code": "...", "message": "...", "fields": {"field": ["reason", ...]}}}
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from kombu.exceptions import OperationalError as BrokerUnreachable
from nameko.exceptions import ContainerBeingKilled, RpcTimeout, UnknownService
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from services.gateway.domain.throttling import LoginThrottled
from shared.contracts.errors import NotAuthenticated, PlatformError, StorageUnavailable, TooManyRequests

INTERNAL_ERROR = "internal_error"
SERVICE_UNAVAILABLE = "service_unavailable"
# identity refuses logins it cannot check right away; its waiting room drains within a couple of seconds.
RETRY_AFTER_BUSY_SECONDS = 2
# A service's database that is unreachable, read-only or busy: a failover or a restart takes seconds to tens.
RETRY_AFTER_STORAGE_SECONDS = 10

# A service that did not answer in time, has no consumer, is shutting down, or
# a broker we cannot reach: all mean "try again shortly", never "you did something wrong".
SERVICE_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    RpcTimeout, UnknownService, ContainerBeingKilled, BrokerUnreachable, ConnectionError,
)


@dataclass(frozen=True)
class ApiProblem:
    status: int
    code: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    reference: str | None = None  # set for unexpected errors: ties the answer to the logged traceback

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


def problem_for(error: BaseException) -> ApiProblem:
    """The HTTP answer for any error a request can end with."""
    if isinstance(error, PlatformError):
        return ApiProblem(error.http_status, error.code, error.message, flatten_field_messages(error.fields),
                          _headers_for(error))
    if isinstance(error, HTTPException) and error.code is not None:
        return _routing_problem(error)
    if isinstance(error, SERVICE_UNAVAILABLE_ERRORS):
        return ApiProblem(503, SERVICE_UNAVAILABLE,
                          "A service this request needs is not answering right now. Try again shortly.",
                          headers={"Retry-After": "5"})
    reference = uuid.uuid4().hex[:12]
    return ApiProblem(500, INTERNAL_ERROR,
                      f"Something went wrong on our side. Quote reference {reference} when reporting it.",
                      reference=reference)


def _headers_for(error: PlatformError) -> dict[str, str]:
    if isinstance(error, NotAuthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, LoginThrottled):
        return {"Retry-After": str(error.retry_after_seconds)}
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(RETRY_AFTER_BUSY_SECONDS)}
    if isinstance(error, StorageUnavailable):
        return {"Retry-After": str(RETRY_AFTER_STORAGE_SECONDS)}
    return {}


def _routing_problem(error: HTTPException) -> ApiProblem:
    """Unknown routes, wrong methods and other answers werkzeug decides before any handler runs."""
    code = re.sub(r"[^a-z0-9]+", "_", (error.name or "error").lower()).strip("_")
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return ApiProblem(error.code, code, error.description or error.name, headers=headers)


def flatten_field_messages(messages: Mapping | None, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as dotted paths: {"student_ids": {3: [..]}} -> {"student_ids.3": [..]}.

    Errors that crossed RPC arrive JSON-decoded (integer keys became strings),
    so both forms flatten the same way.
    """
    flat: dict[str, list[str]] = {}
    for key, value in (messages or {}).items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten_field_messages(value, path))
        elif isinstance(value, (list, tuple)):
            for reason in value:
                if isinstance(reason, Mapping):
                    flat.update(flatten_field_messages(reason, path))
                else:
                    flat.setdefault(path, []).append(str(reason))
        else:
            flat.setdefault(path, []).append(str(value))
    return flat

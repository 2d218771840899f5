"""One request, start to end: authenticate, check the permission, validate, run the handler, answer JSON."""
from __future__ import annotations

import functools
import time
from collections.abc import Mapping

import eventlet
from nameko.exceptions import RpcTimeout
from werkzeug.sansio.utils import get_current_url
from werkzeug.wrappers import Request, Response

from services.gateway.api import JSON, ApiCall, Backends, RawRequest, Route
from services.gateway.domain.access import require
from services.gateway.domain.authentication import bearer_token
from services.gateway.domain.client_address import client_address
from services.gateway.domain.webhooks import called_url
from services.gateway.http import REQUEST_ID_KEY, error_response, json_response
from services.gateway.lists import with_next_link
from services.gateway.parsing import checked_path, json_body, load, query_values
from shared.logs import REQUEST_ID
from shared.metrics import HTTP_SECONDS

# The largest body an endpoint takes is one page of 5,000 ids (~200 KB).
MAX_BODY_BYTES = 1024 * 1024


def answer(route: Route, request: Request, path_values: Mapping[str, str], backends: Backends, *,
           deadline: float) -> Response:
    """The HTTP answer; never raises, because the caller is nameko's web server."""
    # This worker runs in a green thread of its own: its log lines name the request too.
    context = REQUEST_ID.set(request.environ.get(REQUEST_ID_KEY))
    started = time.perf_counter()
    try:
        response = _answer(route, request, path_values, backends, deadline=deadline)
        HTTP_SECONDS.labels(route.name, str(response.status_code)).observe(time.perf_counter() - started)
        return response
    finally:
        REQUEST_ID.reset(context)


def _answer(route: Route, request: Request, path_values: Mapping[str, str], backends: Backends, *,
            deadline: float) -> Response:
    try:
        # nameko's in-service RPC proxy waits forever for a reply; a deadline per
        # request turns a service that does not answer into a 503.
        with eventlet.Timeout(deadline, RpcTimeout(f"no answer within {deadline} s")):
            result = route.handler(prepare(route, request, path_values, backends), backends)
    except Exception as error:  # the boundary: every failure becomes the one JSON error shape
        return error_response(error)
    finally:
        if route.method != "GET" and not route.public:
            # A write may have ended a session or changed a principal: no kept answer outlives it.
            backends.signed_in.forget_everyone()
    if route.media_type != JSON:
        return Response(result, status=route.status, mimetype=route.media_type)
    headers = {"Location": route.location(result)} if route.location else None
    return json_response(route.status, with_next_link(result, request) if route.lists else result, headers)


def prepare(route: Route, request: Request, path_values: Mapping[str, str], backends: Backends) -> ApiCall:
    principal = token = None
    if not route.public:
        token = bearer_token(request.headers.get("Authorization"))
        # identity answers the principal with its signed assertion; every call made for this request carries
        # that, and services refuse a payload naming anyone else (shared/callers.py). The answer is kept a
        # couple of seconds for reads (domain/signed_in.py); a write always asks identity.
        signed_in = backends.signed_in.answer_for(token) if route.method == "GET" else None
        if signed_in is None:
            signed_in = backends.identity.issue_assertion({"token": token})
            backends.signed_in.keep(token, signed_in)
        backends.present_credential(signed_in["assertion"])
        principal = signed_in["principal"]
        if route.action:
            require(principal, route.action)
    query = load(route.query, query_values(request.args), "query") if route.query else {}
    body = load(route.body, json_body(_read_body(request)), "body") if route.body else {}
    raw = _raw_request(request, backends.public_url) if route.raw_body else None
    address = client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For"),
                             backends.trusted_proxies)
    return ApiCall(principal=principal, path=checked_path(path_values), query=query, body=body,
                   client_address=address, token=token, raw=raw)


def _raw_request(request: Request, public_url: str | None) -> RawRequest:
    # eventlet's server keeps the path as sent (RAW_PATH_INFO); PATH_INFO is already percent-decoded.
    raw_path = request.environ.get("RAW_PATH_INFO") or request.path
    # No public URL: the request's own host; werkzeug's host_url (IRI decoding included) once per host.
    url = called_url(public_url=public_url,
                     request_host_url="" if public_url else _host_url(request.scheme, request.host),
                     raw_path=raw_path, query_string=request.query_string.decode("latin-1"))
    return RawRequest(url=url, headers=dict(request.headers.items()), body=_read_body(request))


# What werkzeug's `Request.host_url` is, for the few hosts a gateway is called by.
_host_url = functools.lru_cache(maxsize=64)(get_current_url)


def _read_body(request: Request) -> bytes:
    request.max_content_length = MAX_BODY_BYTES
    return request.get_data(cache=False)

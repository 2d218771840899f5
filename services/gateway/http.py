"""The seam between nameko's `@http` entrypoint and JSON: every answer, failures included, is JSON.

nameko answers unknown routes, wrong methods and entrypoint failures with
plain text, and eventlet answers an over-long request line with an empty 414
and an over-long header with an empty 400; the subclasses here route those
through the same error mapping as every handler error. Every answer carries the request's X-Request-Id and, for an
allowed browser origin, its CORS headers; OPTIONS is answered here for every
path (preflights included), and each request is one structured log line.
"""
from __future__ import annotations

import json
import logging
import time

import eventlet
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from eventlet.wsgi import MAX_HEADER_LINE, MAX_TOTAL_HEADER_SIZE, HeaderLineTooLong, HeadersTooLarge
from werkzeug.exceptions import HTTPException, NotFound, RequestHeaderFieldsTooLarge, RequestURITooLarge
from werkzeug.routing import Map, MapAdapter, RequestRedirect
from werkzeug.wrappers import Request, Response

from services.gateway.api import JSON
from services.gateway.domain.cors import CorsPolicy
from services.gateway.domain.request_ids import HEADER as REQUEST_ID_HEADER
from services.gateway.domain.request_ids import request_id
from services.gateway.errors import problem_for
from shared import fast_json
from shared.contracts.errors import PermissionDenied
from shared.entrypoint_signatures import KeptSignature
from shared.logs import REQUEST_ID

_log = logging.getLogger(__name__)
_access_log = logging.getLogger("services.gateway.access")
# Where the request's id waits in the WSGI environ for the worker that answers it (another green thread).
REQUEST_ID_KEY = "gateway.request_id"
# Set in the WSGI environ by a route answered at the edge (services/gateway/edge.py) that succeeded: its access
# line is written at DEBUG, not INFO.
QUIET_KEY = "gateway.quiet"
# The longest request line (method, URI, version) answered; longer ones get 414.
MAX_REQUEST_LINE_BYTES = 8192


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    # orjson for JSON's own types, the standard library for anything else (shared/fast_json.py).
    return Response(fast_json.dumps(body, json.dumps), status=status, headers=headers, mimetype=JSON)


def error_response(error: BaseException) -> Response:
    problem = problem_for(error)
    if problem.status >= 500 and problem.reference:
        _log.error("unexpected error answering a request (reference %s)", problem.reference, exc_info=error)
    elif problem.status >= 500:
        _log.warning("answered %s %s: %r", problem.status, problem.code, error)
    return json_response(problem.status, problem.body(), problem.headers)


class JsonWsgiApp(WsgiApp):
    def __init__(self, server: WebServer, cors: CorsPolicy) -> None:
        super().__init__(server)
        self.cors = cors
        self.static_routes = static_routes(self.url_map)

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request = Request(environ, shallow=True)
        environ[REQUEST_ID_KEY] = request_id(request.headers.get(REQUEST_ID_HEADER))
        context = REQUEST_ID.set(environ[REQUEST_ID_KEY])
        try:
            response = self._answer(request, environ)
            origin = request.headers.get("Origin")
            self._add_headers(response, {REQUEST_ID_HEADER: environ[REQUEST_ID_KEY],
                                         **self.cors.response_headers(origin)})
            level = logging.DEBUG if environ.get(QUIET_KEY) else logging.INFO
            if _access_log.isEnabledFor(level):
                _access_log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra={
                    "request_id": environ[REQUEST_ID_KEY], "method": request.method, "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
            return wsgi_answer(response, environ, start_response)
        finally:
            REQUEST_ID.reset(context)

    def _answer(self, request: Request, environ) -> Response:
        provider = self.static_routes.get((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        if provider is not None:  # what werkzeug's Map would match, without binding it to this request
            request.path_values = {}
            return provider.handle_request(request)
        adapter = self.url_map.bind_to_environ(environ)
        if request.method == "OPTIONS":
            return self._options(request, adapter)
        try:
            provider, values = adapter.match()
        except RequestRedirect as redirect:  # e.g. a doubled slash: not an error, follow it
            return redirect.get_response(environ)
        except HTTPException as error:
            return error_response(error)
        request.path_values = values
        return provider.handle_request(request)

    def _options(self, request: Request, adapter: MapAdapter) -> Response:
        """What a path allows; for a CORS preflight, whether the origin may send the request it announces."""
        methods = set(adapter.allowed_methods())
        if not methods:
            return error_response(NotFound())
        methods.add("OPTIONS")
        origin = request.headers.get("Origin")
        if not request.headers.get("Access-Control-Request-Method"):
            return Response(status=204, headers={"Allow": ", ".join(sorted(methods))})
        if not self.cors.allows(origin):
            return error_response(PermissionDenied(
                "This origin may not call the API from a browser.",
                fields={"Origin": ["Not among the origins configured in GATEWAY_CORS_ORIGINS."]}))
        return Response(status=204, headers=self.cors.preflight_headers(origin, methods))

    @staticmethod
    def _add_headers(response: Response, headers: dict[str, str]) -> None:
        for name, value in headers.items():
            if name == "Vary":
                response.vary.add(value)
            else:
                response.headers[name] = value


def static_routes(url_map: Map) -> dict[tuple[str, str], HttpRequestHandler]:
    """(method, path) -> provider, for the rules without a variable part, for the methods they name.

    Binding werkzeug's Map to each request and matching it was a quarter of the WSGI app's own work on a search. A
    path equal to such a rule's is the rule werkzeug matches: its matcher tries static rules before variable ones,
    and a path that differs by a slash or a doubled one (werkzeug redirects it) is not a key here. HEAD, which
    werkzeug adds to every GET rule, and OPTIONS (answered from the Map's allowed methods) go through the Map."""
    by_path = {}
    for rule in url_map.iter_rules():
        if rule.arguments or rule.host or rule.subdomain:
            continue
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                by_path.setdefault((method, rule.rule), rule.endpoint)
    return by_path


def wsgi_answer(response: Response, environ, start_response):
    """`response(environ, start_response)`, written out directly for a whole JSON or text answer to a GET.

    werkzeug's Response copies its headers, looks through them for Location, Content-Location and Content-Length,
    and wraps the body in a closing iterator on every call: a fifth of the WSGI app's own work on a search. An
    answer to a GET with a 2xx status other than 204, a body of bytes already in hand and its Content-Length set
    (as werkzeug sets it for such a body), and no Location or Content-Location (which werkzeug rewrites) gets
    exactly those headers and that body from werkzeug too; any other goes through werkzeug. (The iterator only
    closed the body, a list, and ran `call_on_close` hooks: the gateway registers none.)"""
    headers = response.headers
    if (environ["REQUEST_METHOD"] == "GET" and 200 <= response.status_code < 300 and response.status_code != 204
            and type(response.response) is list and not response.direct_passthrough
            and all(type(chunk) is bytes for chunk in response.response)
            and "Content-Length" in headers and "Location" not in headers and "Content-Location" not in headers):
        start_response(response.status, headers.to_wsgi_list())
        return response.response
    return response(environ, start_response)


class JsonHttpProtocol(HttpOnlyProtocol):
    """eventlet's protocol, answering an over-long request line (414) or header (431) with the one error
    shape instead of eventlet's empty answers."""

    def _read_request_line(self):
        line = super()._read_request_line()
        if len(line) < self.server.url_length_limit:
            return line
        self._answer_before_routing(RequestURITooLarge(
            f"The request line is longer than {MAX_REQUEST_LINE_BYTES} bytes; send long selections in a body."))
        return ""  # eventlet reads this as a closed connection and stops here

    def parse_request(self):
        try:
            return super().parse_request()
        except (HeaderLineTooLong, HeadersTooLarge) as too_long:
            which = (f"a header line is longer than {MAX_HEADER_LINE} bytes" if isinstance(too_long, HeaderLineTooLong)
                     else f"the headers are longer than {MAX_TOTAL_HEADER_SIZE} bytes in all")
            self._answer_before_routing(RequestHeaderFieldsTooLarge(f"The request's {which}."))
            return False  # eventlet stops reading this connection

    def _answer_before_routing(self, error: Exception) -> None:
        """Answer on the raw connection (no WSGI app runs for such a request) and close it."""
        response = error_response(error)
        response.headers[REQUEST_ID_HEADER] = request_id(None)
        response.headers["Connection"] = "close"
        body = response.get_data()
        response.headers["Content-Length"] = str(len(body))
        head = f"HTTP/1.1 {response.status}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in
                                                             response.headers.items())
        self.wfile.write(head.encode("latin-1") + b"\r\n" + body)
        self.close_connection = 1


class JsonWebServer(WebServer):
    def start(self):
        # nameko's start, but listening without SO_REUSEPORT, which eventlet.listen sets by default: with it a
        # second gateway given the same address (a second `make run`, another test stack's gateway handed the
        # same port) bound it as well, and the kernel split the connections between the two. A sign-in answered
        # by one platform and the next request by the other's identity got "the session is not valid". Without
        # it the second gateway fails to start: the address is in use.
        if not self._starting:
            self._starting = True
            self._sock = eventlet.listen(self.bind_addr, reuse_port=False)
            self._sock.settimeout(None)  # as nameko: kombu issue 838
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)

    def get_wsgi_app(self):
        return JsonWsgiApp(self, CorsPolicy.from_setting(self.container.config.get("GATEWAY_CORS_ORIGINS")))

    def get_wsgi_server(self, sock, wsgi_app, protocol=JsonHttpProtocol, debug=False):
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        server.url_length_limit = MAX_REQUEST_LINE_BYTES
        server.log_output = False  # JsonWsgiApp writes one structured line per request instead
        return server


class JsonHttpEntrypoint(KeptSignature, HttpRequestHandler):
    """nameko's `@http`, bound to WEB_SERVER_ADDRESS like it, answering failures as JSON."""

    server = JsonWebServer()

    def response_from_exception(self, exc):
        return error_response(exc)


json_http = JsonHttpEntrypoint.decorator

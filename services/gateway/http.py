"""The seam between nameko's `@http` entrypoint and JSON: every answer, failures included, is JSON.

nameko answers unknown routes, wrong methods and entrypoint failures with
plain text; the subclasses here route those through the same error mapping
as every handler error.
"""
from __future__ import annotations

import json
import logging

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from services.gateway.api import JSON
from services.gateway.errors import problem_for

_log = logging.getLogger(__name__)


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype=JSON)


def error_response(error: BaseException) -> Response:
    problem = problem_for(error)
    if problem.status >= 500 and problem.reference:
        _log.error("unexpected error answering a request (reference %s)", problem.reference, exc_info=error)
    elif problem.status >= 500:
        _log.warning("answered %s %s: %r", problem.status, problem.code, error)
    return json_response(problem.status, problem.body(), problem.headers)


class JsonWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except RequestRedirect as redirect:  # e.g. a doubled slash: not an error, follow it
            return redirect(environ, start_response)
        except HTTPException as error:
            return error_response(error)(environ, start_response)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)


class JsonHttpEntrypoint(HttpRequestHandler):
    """nameko's `@http`, bound to WEB_SERVER_ADDRESS like it, answering failures as JSON."""

    server = JsonWebServer()

    def response_from_exception(self, exc):
        return error_response(exc)


json_http = JsonHttpEntrypoint.decorator

"""The web server's shortcuts, without a server: a static path is routed to the rule werkzeug's Map would match,
and an answer written out directly is the one werkzeug's Response would have written."""
from hypothesis import example, given
from hypothesis import strategies as st
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from services.gateway.http import static_routes, wsgi_answer
from services.gateway.routes import ROUTES


def _route_map() -> Map:
    """The gateway's Map as nameko builds it from its entrypoints (one rule per route, the entrypoint its
    endpoint), the route's name standing in for the entrypoint."""
    rules = Map()
    for route in ROUTES:
        rule = Rule(route.rule, methods=[route.method])
        rule.endpoint = route.name
        rules.add(rule)
    return rules


def test_every_static_route_is_the_rule_werkzeugs_map_matches_for_its_method_and_path():
    rules = _route_map()

    routed = static_routes(rules)

    assert {key for key in routed} == {(route.method, route.rule) for route in ROUTES if not route.path_values}
    for (method, path), endpoint in routed.items():
        environ = EnvironBuilder(path=path, method=method).get_environ()
        assert rules.bind_to_environ(environ).match() == (endpoint, {})


def test_what_werkzeug_redirects_fills_in_or_adds_is_left_to_it():
    routed = static_routes(_route_map())

    assert ("GET", "/api/v1/directory/people/") not in routed  # werkzeug redirects it without the slash
    assert ("GET", "/api/v1//directory/people") not in routed  # merged by a redirect
    assert ("HEAD", "/api/v1/directory/people") not in routed  # added by werkzeug to every GET rule
    assert ("OPTIONS", "/api/v1/directory/people") not in routed  # answered from the Map's allowed methods
    assert not any("<" in path for _, path in routed)  # a variable part is werkzeug's to fill in


def _written(answer, environ) -> tuple[str, list[tuple[str, str]], bytes]:
    started = []
    body = b"".join(answer(environ, lambda status, headers, exc_info=None: started.append((status, headers))))
    [(status, headers)] = started
    return status, headers, body


BODIES = st.one_of(st.binary(max_size=40), st.text(max_size=40), st.lists(st.binary(max_size=10), max_size=3))
HEADERS = st.dictionaries(st.sampled_from(["Location", "Content-Location", "X-Request-Id", "Allow", "Vary"]),
                          st.sampled_from(["/api/v1/sync-runs/1", "http://example.org/a b", "r-1", "GET", "Origin"]))


@given(method=st.sampled_from(["GET", "HEAD", "POST", "DELETE"]),
       status=st.sampled_from([200, 201, 202, 204, 301, 304, 400, 404, 413, 500, 503]),
       body=BODIES, headers=HEADERS, mimetype=st.sampled_from(["application/json", "text/html", None]),
       streamed=st.booleans())
@example(method="GET", status=201, body=b"{}", headers={"Location": "http://example.org/a b"}, mimetype=None,
         streamed=False)  # werkzeug quotes what a URI may not hold
@example(method="GET", status=200, body=b"", headers={"Content-Location": "/a b"}, mimetype=None, streamed=False)
@example(method="GET", status=204, body=b"", headers={}, mimetype=None, streamed=False)  # no Content-Length
@example(method="HEAD", status=200, body=b"{}", headers={}, mimetype=None, streamed=False)  # no body
def test_an_answer_written_out_directly_is_what_werkzeug_writes(method, status, body, headers, mimetype, streamed):
    def response() -> Response:
        made = Response(iter([b"streamed"]) if streamed else body, status=status, headers=headers, mimetype=mimetype)
        return made
    environ = EnvironBuilder(path="/api/v1/directory/people", method=method).get_environ()

    assert _written(lambda env, start: wsgi_answer(response(), env, start), environ) == _written(response(), environ)

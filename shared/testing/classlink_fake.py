"""A loopback ClassLink roster server, built from the OneRoster 1.1 / 1.2 REST binding (not from our reader).

What it imitates, as the specification and ClassLink's roster server describe it:
- GET {/ims/oneroster/v1p1 | /ims/oneroster/rostering/v1p2}/{orgs,academicSessions,courses,classes,users,
  enrollments}, answering `{"<collection>": [...]}`; `limit` (default 100) and `offset` page the collection,
  `X-Total-Count` says how many there are and `Link` names the next and last pages; `filter=
  dateLastModified>'<instant>'` keeps only what changed after the instant.
- OAuth 1.0a: the request's HMAC-SHA256 signature (RFC 5849, query included) checked with the consumer's
  secret, each nonce accepted once. OAuth 2: client credentials at /oauth2/token (Basic or form), then a
  bearer token. Anything else is 401.

Tests script what goes wrong: `then(...)` queues canned answers (429 with Retry-After, a 500, HTML,
garbage JSON) that the next matching requests get instead; `on_request(...)` runs a hook before a request
is served (to change the roster mid-run); `paging_headers` turns X-Total-Count and Link off.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlencode

from oauthlib.oauth1.rfc5849 import signature

COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
ROSTER_PATH = re.compile(r"^/ims/oneroster/(?:v1p1|rostering/v1p2)/(?P<collection>\w+)$")
FILTER = re.compile(r"^dateLastModified>'(?P<instant>[^']+)'$")
DEFAULT_LIMIT = 100


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(status: int, document, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(document).encode(), {"Content-Type": "application/json", **(headers or {})})


class FakeClassLink:
    def __init__(self, *, client_id: str = "classlink-key", client_secret: str = "classlink-secret") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.roster: dict[str, list[dict]] = {name: [] for name in COLLECTIONS}
        self.paging_headers = True
        self.requests: list[tuple[str, dict[str, str]]] = []  # (collection, query) of every roster GET
        self._scripted: list[tuple[str, Answer]] = []
        self._hooks: list[tuple[str, Callable[[dict[str, str]], None]]] = []
        self._nonces: set[str] = set()
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/token"

    def __enter__(self) -> FakeClassLink:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- scripting ---------------------------------------------------------------------------

    def then(self, collection: str, *answers: Answer) -> None:
        """The next requests for `collection` get these answers, in order, instead of the roster."""
        with self._lock:
            self._scripted += [(collection, answer) for answer in answers]

    def on_request(self, collection: str, hook: Callable[[dict[str, str]], None]) -> None:
        """Run `hook(query)` before each request for `collection` is served."""
        self._hooks.append((collection, hook))

    def revoke_tokens(self) -> None:
        self._tokens.clear()

    # --- serving -----------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        path, _, query_string = target.partition("?")
        if method == "POST" and path == "/oauth2/token":
            return self._token(headers, body)
        match = ROSTER_PATH.match(path)
        if method != "GET" or match is None or match["collection"] not in COLLECTIONS:
            return json_answer(404, {"imsx_codeMajor": "failure", "imsx_description": "unknown endpoint"})
        if not self._authorised(path, query_string, headers):
            return json_answer(401, {"imsx_codeMajor": "failure", "imsx_description": "unauthorized"})
        collection, query = match["collection"], dict(parse_qsl(query_string, keep_blank_values=True))
        with self._lock:
            self.requests.append((collection, query))
            scripted = next((i for i, (name, _) in enumerate(self._scripted) if name == collection), None)
            if scripted is not None:
                return self._scripted.pop(scripted)[1]
        for name, hook in self._hooks:
            if name == collection:
                hook(query)
        return self._page(collection, path, query)

    def _page(self, collection: str, path: str, query: dict[str, str]) -> Answer:
        objects = self.roster[collection]
        wanted = FILTER.match(query.get("filter", ""))
        if "filter" in query and wanted is None:
            return json_answer(400, {"imsx_codeMajor": "failure", "imsx_description": "unsupported filter"})
        if wanted is not None:  # ISO instants in UTC compare as text
            objects = [item for item in objects if item.get("dateLastModified", "") > wanted["instant"]]
        limit, offset = int(query.get("limit", DEFAULT_LIMIT)), int(query.get("offset", 0))
        page = objects[offset:offset + limit]
        headers: dict[str, str] = {}
        if self.paging_headers:
            headers["X-Total-Count"] = str(len(objects))
            links = []
            if offset + limit < len(objects):
                links.append(f'<{self.url}{path}?{urlencode({**query, "offset": offset + limit})}>; rel="next"')
            last = max(0, (len(objects) - 1) // limit * limit)
            links.append(f'<{self.url}{path}?{urlencode({**query, "offset": last})}>; rel="last"')
            headers["Link"] = ", ".join(links)
        return json_answer(200, {collection: page}, headers)

    def _authorised(self, path: str, query_string: str, headers: dict[str, str]) -> bool:
        authorization = headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            return authorization[len("Bearer "):] in self._tokens
        if not authorization.startswith("OAuth "):
            return False
        oauth = dict(signature.collect_parameters(headers={"Authorization": authorization},
                                                  exclude_oauth_signature=False))
        if (oauth.get("oauth_consumer_key") != self.client_id or oauth.get("oauth_signature_method") != "HMAC-SHA256"
                or oauth.get("oauth_nonce") in self._nonces):
            return False
        params = signature.collect_parameters(uri_query=query_string, headers={"Authorization": authorization})
        base = signature.signature_base_string("GET", signature.base_string_uri(f"{self.url}{path}"),
                                               signature.normalize_parameters(params))
        expected = signature.sign_hmac_sha256(base, self.client_secret, "")
        if not signature.safe_string_equals(expected, oauth.get("oauth_signature", "")):
            return False
        self._nonces.add(oauth["oauth_nonce"])
        return True

    def _token(self, headers: dict[str, str], body: bytes) -> Answer:
        form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return json_answer(400, {"error": "unsupported_grant_type"})
        if client_id != self.client_id or client_secret != self.client_secret:
            return json_answer(401, {"error": "invalid_client"})
        token = secrets.token_hex(16)
        self._tokens.add(token)
        return json_answer(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})


def _handler_for(fake: FakeClassLink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            self._serve(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _serve(self, body: bytes) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = fake.answer(self.command, self.path, headers, body)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args) -> None:
            pass

    return Handler

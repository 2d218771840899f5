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
import re
import secrets
from urllib.parse import parse_qs, parse_qsl, urlencode

from oauthlib.oauth1.rfc5849 import signature

from shared.testing.loopback_provider import Answer, LoopbackProvider, json_answer

__all__ = ["Answer", "FakeClassLink", "json_answer"]

COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
ROSTER_PATH = re.compile(r"^/ims/oneroster/(?:v1p1|rostering/v1p2)/(?P<collection>\w+)$")
FILTER = re.compile(r"^dateLastModified>'(?P<instant>[^']+)'$")
DEFAULT_LIMIT = 100


class FakeClassLink(LoopbackProvider):
    def __init__(self, *, client_id: str = "classlink-key", client_secret: str = "classlink-secret") -> None:
        super().__init__(self.answer)
        self.client_id, self.client_secret = client_id, client_secret
        self.roster: dict[str, list[dict]] = {name: [] for name in COLLECTIONS}
        self.paging_headers = True
        self._nonces: set[str] = set()
        self._tokens: set[str] = set()

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/token"

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
        return self.scripted(collection, query) or self._page(collection, path, query)

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


"""What one endpoint is (a Route) and what its handler receives (an ApiCall and the Backends)."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema

from services.gateway.domain.client_address import TrustedProxies
from services.gateway.domain.signed_in import SignedInCache
from services.gateway.domain.throttling import LoginThrottle
from services.gateway.lists import ListPage

_PATH_VALUE = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
JSON = "application/json"


@dataclass(frozen=True)
class Backends:
    """What a handler may use: the services, each through a proxy limited to its contract, and the
    gateway's own per-process state."""

    identity: Any  # shared.messaging.ServiceRpc(identity.contract) as a worker sees it
    directory: Any  # shared.messaging.ServiceRpc(directory.contract) as a worker sees it
    notify: Any = None  # shared.messaging.ServiceRpc(notify.contract) as a worker sees it
    rostering: Any = None  # shared.messaging.ServiceRpc(rostering.contract) as a worker sees it
    login_attempts: LoginThrottle = field(default_factory=LoginThrottle)  # one per gateway process
    # Where callers reach the gateway (config GATEWAY_PUBLIC_URL), when a proxy stands in front of it;
    # None: the URL each request came in on.
    public_url: str | None = None
    # The proxies whose X-Forwarded-For names the client (config GATEWAY_TRUSTED_PROXIES); none: the peer is.
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)
    # identity's recent answers per access token, kept a couple of seconds (domain/signed_in.py); one per process.
    # Unless given one, nothing is kept.
    signed_in: SignedInCache = field(default_factory=lambda: SignedInCache(0))
    # The provider webhooks' secrets and durable queue (services/gateway/webhook_intake.py); one per process.
    webhooks: Any = None
    # Makes the services' calls that follow carry the signed-in user's assertion (shared.callers.CallerCredential).
    present_credential: Callable[[str], None] = lambda assertion: None


@dataclass(frozen=True)
class RawRequest:
    """A request exactly as it arrived, for endpoints whose callers sign the bytes (provider webhooks)."""

    url: str  # the full URL the caller called, query string included, as it wrote it
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class RawBody:
    """An endpoint's body read as received, never parsed by the gateway: the signature covers these bytes."""

    media_type: str
    schema: Mapping[str, Any]  # what the sender posts, for the OpenAPI document only


@dataclass(frozen=True)
class ApiCall:
    """One request after authentication and validation."""

    principal: Mapping | None  # identity.Principal as authenticate returned it; None on public routes
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)
    # The client's IP address: the socket's peer, or what trusted proxies name (domain/client_address.py).
    client_address: str | None = None
    token: str | None = None  # the bearer token the caller authenticated with; None on public routes
    raw: RawRequest | None = None  # set on routes with a RawBody only


Handler = Callable[[ApiCall, Backends], Any]


@dataclass(frozen=True)
class Examples:
    """An operation's examples for the OpenAPI document, where the ones made from its schemas do not fit."""

    request: Mapping[str, Any] | None = None  # the body
    response: Any = None


@dataclass(frozen=True)
class Route:
    """One endpoint: drives both the HTTP routing and the OpenAPI document."""

    name: str  # the service method and the OpenAPI operationId
    method: str
    rule: str  # werkzeug rule, e.g. /api/v1/directory/students/<id>
    summary: str
    tag: str
    handler: Handler
    response: type[Schema] | None  # None: free-form JSON (the OpenAPI document itself)
    public: bool = False  # answered without a token
    action: str | None = None  # identity's permission action; None: any signed-in caller
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    # Statuses the handler adds to those the pipeline can produce; with the business rule that answers each,
    # e.g. {409: "the run is not awaiting approval"}, or only the statuses when their meaning says it all.
    errors: tuple[int, ...] | Mapping[int, str] = ()
    raw_body: RawBody | None = None  # instead of `body`: the handler gets ApiCall.raw
    status: int = 200  # the status of a success, e.g. 202 for work that goes on after the answer
    media_type: str = JSON  # of a success; anything but JSON is the handler's text, sent as it is
    description: str | None = None  # more than the summary, for the OpenAPI document
    # For a 201 or 202: where the created thing (or the work going on) can be read, from the answer.
    location: Callable[[Mapping[str, Any]], str] | None = None
    examples: Examples | None = None  # when the ones made from the schemas do not fit
    # Answered in the web server's own green thread, without a nameko worker (services/gateway/edge.py): for
    # public routes whose handler uses only the Backends' `webhooks` and `public_url` (provider webhooks). Every
    # other GET route is answered without a worker too, with the Backends a worker gets; writes keep the worker.
    edge: bool = False

    @property
    def lists(self) -> bool:
        """Whether the answer is a page of a list (services.gateway.lists), which gets a `next` link."""
        return self.response is not None and issubclass(self.response, ListPage)

    @property
    def path_values(self) -> tuple[str, ...]:
        return tuple(_PATH_VALUE.findall(self.rule))

    @property
    def openapi_path(self) -> str:
        return _PATH_VALUE.sub(r"{\1}", self.rule)

    @property
    def error_rules(self) -> dict[int, str]:
        """The business rules behind the statuses the handler adds, where the table names them."""
        return dict(self.errors) if isinstance(self.errors, Mapping) else {}

    @property
    def error_statuses(self) -> tuple[int, ...]:
        statuses = {414, 431, 500, 503, *self.errors}
        if self.query or self.body or self.raw_body:
            statuses.add(400)
        if self.body or self.raw_body:
            statuses.add(413)
        if not self.public:
            statuses.add(401)
        if self.action:
            statuses.add(403)
        if self.path_values:
            statuses.add(404)
        return tuple(sorted(statuses))

"""The gateway's nameko service: one HTTP entrypoint per row of the route table (a GET's and a provider webhook's
answered without a nameko worker: services/gateway/edge.py)."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request, Response

from services.gateway.api import Backends, Route
from services.gateway.domain.client_address import TrustedProxies
from services.gateway.domain.signed_in import SignedInCache
from services.gateway.domain.throttling import LoginThrottle
from services.gateway.edge import edge_http, read_http
from services.gateway.http import json_http
from services.gateway.pipeline import answer
from services.gateway.read_requests import GatewayServiceRpc
from services.gateway.routes import ROUTES
from services.gateway.webhook_intake import ProviderWebhookIntake
from services.gateway.sign_in_settings import login_throttle, signed_in_cache, trusted_proxies
from shared.callers import CallerCredential
from shared.platform_identity import PlatformIdentity
from shared.contracts import directory, identity, notify, rostering
from shared.request_tracing import RequestTracing

NAME = "gateway"
DEFAULT_REQUEST_TIMEOUT = 30.0


class RequestDeadline(DependencyProvider):
    """Seconds a request may wait on services before the gateway answers 503 (config GATEWAY_REQUEST_TIMEOUT)."""

    def setup(self) -> None:
        self.seconds = float(self.container.config.get("GATEWAY_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT))

    def get_dependency(self, worker_ctx) -> float:
        return self.seconds


class LoginAttempts(DependencyProvider):
    """The process's one count of failed sign-ins, shared by every worker; limits from the config, e.g.
    GATEWAY_LOGIN_FAILURES_PER_LOGIN=10 and GATEWAY_LOGIN_WINDOW_PER_LOGIN=900 (seconds), and the same
    two for _PER_ADDRESS (defaults in shared.config.SIGN_IN_DEFAULTS)."""

    def setup(self) -> None:
        self.throttle = login_throttle(self.container.config)

    def get_dependency(self, worker_ctx) -> LoginThrottle:
        return self.throttle


class SignedInAnswers(DependencyProvider):
    """The process's one cache of identity's answers per access token (config GATEWAY_SIGNED_IN_CACHE_SECONDS;
    services/gateway/domain/signed_in.py says what it keeps and for how long)."""

    def setup(self) -> None:
        self.cache = signed_in_cache(self.container.config)

    def get_dependency(self, worker_ctx) -> SignedInCache:
        return self.cache


class ProxiesTrusted(DependencyProvider):
    """The proxies whose X-Forwarded-For names the client (config GATEWAY_TRUSTED_PROXIES, CIDR blocks);
    none by default: the socket's peer is the client."""

    def setup(self) -> None:
        self.proxies = trusted_proxies(self.container.config)

    def get_dependency(self, worker_ctx) -> TrustedProxies:
        return self.proxies


class PublicUrl(DependencyProvider):
    """The base URL callers reach the gateway at (config GATEWAY_PUBLIC_URL, e.g. https://school.example.org),
    when a proxy or tunnel stands in front of it. Twilio signs the URL it called, so the webhooks must
    rebuild that URL, not the one the gateway's socket saw. Unset: each request's own host URL."""

    def setup(self) -> None:
        self.url = (self.container.config.get("GATEWAY_PUBLIC_URL") or "").strip() or None

    def get_dependency(self, worker_ctx) -> str | None:
        return self.url


def _backends(dependency: Callable[[str], Any]) -> Backends:
    """What a handler may use, from the service's dependencies by attribute name (a worker's, or those built for a
    read answered without one: services/gateway/edge.py)."""
    return Backends(identity=dependency("identity_rpc"), directory=dependency("directory_rpc"),
                    notify=dependency("notify_rpc"), rostering=dependency("rostering_rpc"),
                    login_attempts=dependency("login_attempts"), signed_in=dependency("signed_in"),
                    public_url=dependency("public_url"), trusted_proxies=dependency("trusted_proxies"),
                    webhooks=dependency("webhooks"), present_credential=dependency("credential"))


def _answered_without_worker(route: Route):
    def answered_without_worker(self, request: Request, **path_values: str) -> Response:
        raise AssertionError("answered by the entrypoint's handle_request, never as a worker")

    answered_without_worker.__name__ = answered_without_worker.__qualname__ = route.name
    answered_without_worker.__doc__ = route.summary
    return answered_without_worker


def _entrypoint(route: Route):
    if route.edge:
        return edge_http(route.method, route.rule, route=route)(_answered_without_worker(route))
    if route.method == "GET":
        return read_http(route.method, route.rule, route=route, backends_of=_backends)(
            _answered_without_worker(route))

    def endpoint(self, request: Request, **path_values: str) -> Response:
        return answer(route, request, path_values, _backends(functools.partial(getattr, self)),
                      deadline=self.deadline)

    endpoint.__name__ = endpoint.__qualname__ = route.name
    endpoint.__doc__ = route.summary
    return json_http(route.method, route.rule)(endpoint)


def serving(routes: Iterable[Route]):
    """Class decorator: adds one `@http` entrypoint per route, named after it."""

    def register(cls):
        for route in routes:
            if hasattr(cls, route.name):
                raise TypeError(f"route {route.name!r} would replace {cls.__name__}.{route.name}")
            setattr(cls, route.name, _entrypoint(route))
        return cls

    return register


@serving(ROUTES)
class GatewayService:
    name = NAME

    identity_rpc = GatewayServiceRpc(identity.contract)
    directory_rpc = GatewayServiceRpc(directory.contract)
    notify_rpc = GatewayServiceRpc(notify.contract)
    rostering_rpc = GatewayServiceRpc(rostering.contract)
    deadline = RequestDeadline()
    login_attempts = LoginAttempts()
    signed_in = SignedInAnswers()
    trusted_proxies = ProxiesTrusted()
    public_url = PublicUrl()
    webhooks = ProviderWebhookIntake()  # verified at the edge, handed to notify on a durable queue
    credential = CallerCredential()
    platform = PlatformIdentity()  # the gateway's own token on every call it makes: shared/platform_identity.py
    tracing = RequestTracing()  # the request id of whatever caused this work, on its log lines

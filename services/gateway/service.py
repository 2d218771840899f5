"""The gateway's nameko service: one HTTP entrypoint per row of the route table."""
from __future__ import annotations

from collections.abc import Iterable

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request, Response

from services.gateway.api import Backends, Route
from services.gateway.domain.throttling import PER_ADDRESS, PER_LOGIN, Limit, LoginThrottle
from services.gateway.http import json_http
from services.gateway.pipeline import answer
from services.gateway.routes import ROUTES
from shared.callers import CallerCredential
from shared.contracts import directory, identity, notify, rostering
from shared.messaging import ServiceRpc

NAME = "gateway"
DEFAULT_REQUEST_TIMEOUT = 30.0


class RequestDeadline(DependencyProvider):
    """Seconds a request may wait on services before the gateway answers 503 (config GATEWAY_REQUEST_TIMEOUT)."""

    def setup(self) -> None:
        self.seconds = float(self.container.config.get("GATEWAY_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT))

    def get_dependency(self, worker_ctx) -> float:
        return self.seconds


class LoginAttempts(DependencyProvider):
    """The process's one sign-in throttle, shared by every worker; limits from the config, e.g.
    GATEWAY_LOGIN_ATTEMPTS_PER_LOGIN=10 and GATEWAY_LOGIN_WINDOW_PER_LOGIN=900 (seconds), and the same
    two for _PER_ADDRESS."""

    def setup(self) -> None:
        self.throttle = LoginThrottle(per_login=self._limit("PER_LOGIN", PER_LOGIN),
                                      per_address=self._limit("PER_ADDRESS", PER_ADDRESS))

    def _limit(self, scope: str, default: Limit) -> Limit:
        config = self.container.config
        return Limit(attempts=int(config.get(f"GATEWAY_LOGIN_ATTEMPTS_{scope}", default.attempts)),
                     window_seconds=float(config.get(f"GATEWAY_LOGIN_WINDOW_{scope}", default.window_seconds)))

    def get_dependency(self, worker_ctx) -> LoginThrottle:
        return self.throttle


class PublicUrl(DependencyProvider):
    """The base URL callers reach the gateway at (config GATEWAY_PUBLIC_URL, e.g. https://school.example.org),
    when a proxy or tunnel stands in front of it. Twilio signs the URL it called, so the webhooks must
    rebuild that URL, not the one the gateway's socket saw. Unset: each request's own host URL."""

    def setup(self) -> None:
        self.url = (self.container.config.get("GATEWAY_PUBLIC_URL") or "").strip() or None

    def get_dependency(self, worker_ctx) -> str | None:
        return self.url


def _entrypoint(route: Route):
    def endpoint(self, request: Request, **path_values: str) -> Response:
        backends = Backends(identity=self.identity_rpc, directory=self.directory_rpc, notify=self.notify_rpc,
                            rostering=self.rostering_rpc,
                            login_attempts=self.login_attempts, public_url=self.public_url,
                            present_credential=self.credential)
        return answer(route, request, path_values, backends, deadline=self.deadline)

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

    identity_rpc = ServiceRpc(identity.contract)
    directory_rpc = ServiceRpc(directory.contract)
    notify_rpc = ServiceRpc(notify.contract)
    rostering_rpc = ServiceRpc(rostering.contract)
    deadline = RequestDeadline()
    login_attempts = LoginAttempts()
    public_url = PublicUrl()
    credential = CallerCredential()

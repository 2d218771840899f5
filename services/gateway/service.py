"""The gateway's nameko service: one HTTP entrypoint per row of the route table."""
from __future__ import annotations

from collections.abc import Iterable

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request, Response

from services.gateway.api import Backends, Route
from services.gateway.http import json_http
from services.gateway.pipeline import answer
from services.gateway.routes import ROUTES
from shared.contracts import directory, identity
from shared.messaging import ServiceRpc

NAME = "gateway"
DEFAULT_REQUEST_TIMEOUT = 30.0


class RequestDeadline(DependencyProvider):
    """Seconds a request may wait on services before the gateway answers 503 (config GATEWAY_REQUEST_TIMEOUT)."""

    def setup(self) -> None:
        self.seconds = float(self.container.config.get("GATEWAY_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT))

    def get_dependency(self, worker_ctx) -> float:
        return self.seconds


def _entrypoint(route: Route):
    def endpoint(self, request: Request, **path_values: str) -> Response:
        backends = Backends(identity=self.identity_rpc, directory=self.directory_rpc)
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
    deadline = RequestDeadline()

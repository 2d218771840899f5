"""Routes answered at the edge: in the web server's own green thread, without a nameko worker.

nameko runs every `@http` request as a worker: a worker context, every dependency of the service injected (four
RPC proxies, the caller's credential, tracing, ...), their setup and teardown hooks, and one more green thread
to run it in. A provider's post needs none of that: it is verified with the provider's secret and handed to the
webhook queue (services/gateway/webhook_handlers.py). Routes marked `edge` are answered by the same pipeline
(`answer`: the deadline, the one error shape, the duration metric) with Backends holding only what such a
handler uses: the webhook intake and the public URL.

A provider posts its webhooks by the million: a post answered with success writes its access-log line at DEBUG,
not INFO (`school_http_request_seconds` still counts it, per route and status); a refused or failed one is
logged like any request.
"""
from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.gateway.api import Backends, Route
from services.gateway.http import QUIET_KEY, JsonHttpEntrypoint
from services.gateway.pipeline import answer


class EdgeHttpEntrypoint(JsonHttpEntrypoint):
    """`@http` for one edge route; its service must have the `webhooks`, `public_url` and `deadline`
    dependencies (services/gateway/service.py)."""

    def __init__(self, method: str, url: str, route: Route, **kwargs) -> None:
        super().__init__(method, url, **kwargs)
        self.route = route
        self._backends: Backends | None = None

    def setup(self) -> None:
        super().setup()
        by_name = {dependency.attr_name: dependency for dependency in self.container.dependencies}
        self._webhooks, self._public_url, self._deadline = (by_name["webhooks"], by_name["public_url"],
                                                            by_name["deadline"])

    def handle_request(self, request: Request) -> Response:
        request.shallow = False  # as nameko's handler does: the body may be read now
        response = answer(self.route, request, getattr(request, "path_values", {}), self._backends_now(),
                          deadline=self._deadline.seconds)
        if response.status_code < 400:
            request.environ[QUIET_KEY] = True
        return response

    def _backends_now(self) -> Backends:
        # Built once, again only should the intake be replaced (tests swap in an unreachable broker).
        intake, public_url = self._webhooks.intake, self._public_url.url
        kept = self._backends
        if kept is None or kept.webhooks is not intake or kept.public_url != public_url:
            kept = self._backends = Backends(identity=None, directory=None, webhooks=intake, public_url=public_url)
        return kept


edge_http = EdgeHttpEntrypoint.decorator

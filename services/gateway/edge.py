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

Every other GET route is answered in the web server's green thread too (`ReadHttpEntrypoint`), with the same
Backends a worker's dependencies would give it. A search's worker was a third of the gateway's samples under 50
clients, a tenth of it nameko's own (the worker's green thread, every dependency injected, set up, told the result
and torn down) around the pipeline that does the work (the diary, 2026-12-07). What a GET keeps:
- the same pipeline (`answer`: the token, the permission, the query's validation, the deadline, the one error
  shape, the metric), and the same proxies: each built from its dependency provider for a context of this request
  (nameko's WorkerContext, so the call id stack, the request id, the caller's credential and the platform's token
  reach the services as before; the request id is the one the WSGI app set for this green thread);
- at most the container's `max_workers` answered at once (what nameko's pool of workers bounded), the rest waiting
  their turn (`ReadsInFlight`);
- a stopping gateway answers those in hand before its dependencies (the proxies, the reply listener) stop, as
  nameko waits for its workers.
Routes that change something (POST, PUT, DELETE) keep nameko's worker.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eventlet.event import Event
from eventlet.semaphore import Semaphore
from nameko.containers import WorkerContext
from nameko.extensions import SharedExtension
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

# Backends from what a worker would get: (dependency by the service's attribute name) -> Backends.
BackendsOf = Callable[[Callable[[str], Any]], Backends]


class ReadsInFlight(SharedExtension):
    """The GET requests being answered without a worker: at most the container's `max_workers` at once."""

    def setup(self) -> None:
        self._slots = Semaphore(self.container.max_workers)
        self._answering = 0
        self._none_answering: Event | None = None  # made when someone waits for them

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._slots:
            self._answering += 1
            try:
                yield
            finally:
                self._answering -= 1
                if self._answering == 0 and self._none_answering is not None:
                    self._none_answering.send()
                    self._none_answering = None

    def wait_for_those_in_hand(self) -> None:
        """Return once no read is being answered."""
        if self._answering:
            if self._none_answering is None:
                self._none_answering = Event()
            self._none_answering.wait()


class ReadHttpEntrypoint(JsonHttpEntrypoint):
    """`@http` for one GET route, answered without a nameko worker (the module's docstring); its service must have
    a `deadline` dependency and every one `backends_of` names."""

    in_flight = ReadsInFlight()

    def __init__(self, method: str, url: str, route: Route, backends_of: BackendsOf, **kwargs) -> None:
        super().__init__(method, url, **kwargs)
        self.route = route
        self.backends_of = backends_of

    def setup(self) -> None:
        super().setup()
        # Looked up when the container starts, so a test's replaced dependency is the one used.
        self._providers = {dependency.attr_name: dependency for dependency in self.container.dependencies}
        self._deadline = self._providers["deadline"]

    def stop(self) -> None:
        super().stop()
        self.in_flight.wait_for_those_in_hand()

    def handle_request(self, request: Request) -> Response:
        request.shallow = False  # as nameko's handler does: the body may be read now
        with self.in_flight.slot():
            worker_ctx = WorkerContext(self.container, None, self,
                                       data=self.server.context_data_from_headers(request))
            backends = self.backends_of(lambda name: self._providers[name].get_dependency(worker_ctx))
            return answer(self.route, request, getattr(request, "path_values", {}), backends,
                          deadline=self._deadline.seconds)


read_http = ReadHttpEntrypoint.decorator

"""One request id from the gateway's HTTP request through every RPC and event it causes, on every log line.

nameko carries a worker's `context_data` with each RPC and event it sends and hands it to the receiving worker, so
the id rides in it under REQUEST_ID_CONTEXT_KEY. Each service declares `tracing = RequestTracing()`: before a worker
runs, the id it was called with (or a new one, for work no request started: a timer, a scheduled sync) becomes the
REQUEST_ID that shared/logs.py writes on every line. The gateway puts the HTTP request's id in the context before
each call (shared.messaging.ServiceRpc).
"""
from __future__ import annotations

import uuid

from nameko.extensions import DependencyProvider

from shared.logs import REQUEST_ID

REQUEST_ID_CONTEXT_KEY = "request_id"


class RequestTracing(DependencyProvider):
    def __init__(self) -> None:
        self._reset_tokens: dict = {}

    def worker_setup(self, worker_ctx) -> None:
        request_id = worker_ctx.data.get(REQUEST_ID_CONTEXT_KEY) or uuid.uuid4().hex
        worker_ctx.data[REQUEST_ID_CONTEXT_KEY] = request_id
        # nameko calls worker_setup and worker_teardown in the worker's own green thread.
        self._reset_tokens[worker_ctx] = REQUEST_ID.set(request_id)

    def worker_teardown(self, worker_ctx) -> None:
        token = self._reset_tokens.pop(worker_ctx, None)
        if token is not None:
            try:
                REQUEST_ID.reset(token)
            except ValueError:  # set in another context: nothing of this worker's to undo
                pass


def carry_request_id(worker_ctx) -> None:
    """Before an outgoing call: the id of the request being served now (the gateway sets it per HTTP request)."""
    request_id = REQUEST_ID.get()
    if request_id:
        worker_ctx.data[REQUEST_ID_CONTEXT_KEY] = request_id

"""A read RPC answered without a nameko worker: what the gateway does for its GETs (services/gateway/edge.py).

nameko answers every RPC with a worker: a service instance, every dependency of the service injected (a
directory's eleven: RPC proxies, the outbox, the relay, ...), every provider's `worker_setup`, `worker_result`
and `worker_teardown` called whether it has one or not, in a green thread of the worker pool linked back to the
container. A search uses two of those dependencies. An endpoint declared `rpc_endpoint(method,
without_worker=True)` (a contract's `read` method only) is answered by `answer_read` instead, in a green thread
of `ReadsInHand`, and keeps what the worker gave it:
- the same WorkerContext, made from the request's context data: the call id stack, the request id and the
  caller's credential reach the handler, its logs and the calls it makes as before;
- each dependency made by its provider's `get_dependency` for that context, the first time the read asks for it
  (`_Injected`), so the database's session is opened only by a read that uses it;
- every provider's own `worker_setup`, `worker_result` and `worker_teardown`, in the container's order, as
  nameko calls them (the request id set for the logs, the session closed, the kept facts told); only the hooks
  a provider does not have are not called;
- the reply and its acknowledgement through the entrypoint's `handle_result`, an error serialised for the caller
  as a worker's is, and logged as nameko logs a worker's;
- at most the container's `max_workers` reads at once (what the pool of workers bounded); a stopping container
  answers the reads in hand before its dependencies stop, as it waits for its workers; an error that escapes a
  read kills the container, as one escaping a worker does.
Writes keep nameko's worker.
"""
from __future__ import annotations

import logging
import sys

import eventlet
from eventlet import GreenPool
from greenlet import GreenletExit
from nameko.containers import WorkerContext
from nameko.extensions import DependencyProvider, SharedExtension

log = logging.getLogger(__name__)

_HOOKS = ("worker_setup", "worker_result", "worker_teardown")


class ReadsInHand(SharedExtension):
    """The reads a container answers without a worker: at most its `max_workers` at once."""

    def setup(self) -> None:
        self._pool = GreenPool(self.container.max_workers)
        # The container's one service class, its dependencies injected when a read first asks for them.
        service_cls = self.container.service_cls
        self._read_service_cls = type(f"{service_cls.__name__}Read", (service_cls,),
                                      {provider.attr_name: _Injected(provider)
                                       for provider in self.container.dependencies})
        # Each provider's hooks that do something, by hook name, in the container's order.
        self._hooks = {hook: [getattr(provider, hook) for provider in self.container.dependencies
                              if getattr(type(provider), hook) is not getattr(DependencyProvider, hook)]
                       for hook in _HOOKS}

    def answer(self, entrypoint, args, kwargs, context_data, handle_result) -> None:
        """Answer the read in a green thread of its own; waits while `max_workers` are in hand, as nameko's
        pool of workers makes the consumer wait."""
        thread = self._pool.spawn(answer_read, self, entrypoint, args, kwargs, context_data, handle_result)
        thread.link(self._ended)

    def read_service(self):
        """A service instance whose dependencies are injected when the read first asks for them."""
        return self._read_service_cls()

    def hooks(self, hook: str) -> list:
        return self._hooks[hook]

    def wait_for_those_in_hand(self) -> None:
        self._pool.waitall()

    def kill(self) -> None:
        current = eventlet.getcurrent()
        for thread in list(self._pool.coroutines_running):
            if thread is not current:
                thread.kill()

    def _ended(self, thread) -> None:
        try:
            thread.wait()
        except GreenletExit:
            pass  # killed with the container
        except Exception:
            log.critical("%s read thread exited with error", self, exc_info=True)
            self.container.kill(sys.exc_info())


class _Injected:
    """The dependency a provider gives this read's context, made the first time the read asks for it; kept in the
    instance's own attributes from then on (a non-data descriptor gives way to them)."""

    def __init__(self, provider: DependencyProvider) -> None:
        self.provider = provider

    def __get__(self, service, owner=None):
        if service is None:
            return self.provider
        dependency = self.provider.get_dependency(service.worker_ctx)
        service.__dict__[self.provider.attr_name] = dependency
        return dependency


def answer_read(reads: ReadsInHand, entrypoint, args, kwargs, context_data, handle_result) -> None:
    """nameko's ServiceContainer._run_worker for a read, with the dependencies injected as asked for."""
    service = reads.read_service()
    worker_ctx = service.worker_ctx = WorkerContext(reads.container, service, entrypoint, args, kwargs,
                                                    data=context_data)
    # As in nameko's worker, the teardown hooks run whatever escapes (the session closed, the request id reset).
    try:
        for setup in reads.hooks("worker_setup"):
            setup(worker_ctx)
        result = exc_info = None
        try:
            result = getattr(service, entrypoint.method_name)(*args, **kwargs)
        except Exception as exc:
            if isinstance(exc, entrypoint.expected_exceptions):
                log.warning("(expected) error handling worker %s: %s", worker_ctx, exc, exc_info=True)
            else:
                log.exception("error handling worker %s: %s", worker_ctx, exc)
            exc_info = sys.exc_info()
        result, exc_info = handle_result(worker_ctx, result, exc_info)
        for told in reads.hooks("worker_result"):
            told(worker_ctx, result, exc_info)
        del exc_info
    finally:
        for teardown in reads.hooks("worker_teardown"):
            teardown(worker_ctx)

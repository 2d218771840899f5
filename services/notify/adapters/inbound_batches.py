"""Stored inbound texts are filed in batches, off the provider's request.

`@files_inbound_batches` marks the service method that files one batch and answers whether more may be
waiting. It runs when woken (an inbound text was just stored: `InboundWakeup` hands the RPC workers the
wake call), when the service starts (texts stored before a restart), and again while a batch came back
full, one run at a time: texts stored during a run wait for the next one and are filed together, which
is what makes the batches grow under load. A run that raises is repeated only when woken again (the next
text, or the recovery timer).
"""
from __future__ import annotations

from collections.abc import Callable

from eventlet.event import Event
from nameko.extensions import DependencyProvider, Entrypoint


class InboundBatches(Entrypoint):
    def setup(self) -> None:
        self._woken = False
        self._runner = None

    def start(self) -> None:
        self.wake()

    def wake(self) -> None:
        # The runs go on in a thread of the container's own, never in the caller's: a worker that spawns
        # into a full worker pool runs the new worker itself, which would hold its RPC's answer back.
        self._woken = True
        if self._runner is None:
            self._runner = self.container.spawn_managed_thread(self._run, identifier="inbound_batches")

    def _run(self) -> None:
        try:
            while self._woken:
                self._woken = False
                if self._one_batch():
                    self._woken = True  # a full batch: more may be waiting
        finally:
            self._runner = None

    def _one_batch(self) -> bool:
        """Run the method in a worker (blocking while the pool is full); whether it answered True."""
        outcome = Event()

        def finished(worker_ctx, result, exc_info):
            outcome.send(exc_info is None and bool(result))
            return result, exc_info

        self.container.spawn_worker(self, (), {}, handle_result=finished)
        return outcome.wait()


files_inbound_batches = InboundBatches.decorator


class InboundWakeup(DependencyProvider):
    """The service's InboundBatches.wake, for the workers that store inbound texts."""

    def get_dependency(self, worker_ctx) -> Callable[[], None]:
        batches = next(entrypoint for entrypoint in self.container.entrypoints
                       if isinstance(entrypoint, InboundBatches))
        return batches.wake

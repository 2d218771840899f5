"""Stored inbound texts are filed in batches, off the provider's request.

`@files_inbound_batches` marks the service method that files one batch and answers whether more may be
waiting. It runs when woken (an inbound text was just stored: `InboundWakeup` hands the RPC workers the
wake call), when the service starts (texts stored before a restart), and again while a batch came back
full, one run at a time: texts stored during a run wait for the next one and are filed together, which
is what makes the batches grow under load. A run that raises is not repeated at once; the recovery timer
wakes it again.
"""
from __future__ import annotations

from collections.abc import Callable

from nameko.extensions import DependencyProvider, Entrypoint


class InboundBatches(Entrypoint):
    def setup(self) -> None:
        self._running = False
        self._woken = False

    def start(self) -> None:
        self.wake()

    def wake(self) -> None:
        if self._running:
            self._woken = True
            return
        self._running, self._woken = True, False
        self.container.spawn_worker(self, (), {}, handle_result=self._finished)

    def _finished(self, worker_ctx, result, exc_info):
        self._running = False
        if self._woken or (exc_info is None and result):
            self.wake()
        return result, exc_info


files_inbound_batches = InboundBatches.decorator


class InboundWakeup(DependencyProvider):
    """The service's InboundBatches.wake, for the workers that store inbound texts."""

    def get_dependency(self, worker_ctx) -> Callable[[], None]:
        batches = next(entrypoint for entrypoint in self.container.entrypoints
                       if isinstance(entrypoint, InboundBatches))
        return batches.wake

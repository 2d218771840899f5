"""Calling a function about once a second while a block runs: a run's progress while its source is read.

The read runs in a real thread (or waits on the network); the calls are made from a green thread beside it,
which is stopped (not killed: it may be half way through a database write) before the block's caller goes on.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import eventlet
from eventlet.event import Event

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


@contextmanager
def every_second(tick: Callable[[], None], seconds: float = TICK_SECONDS) -> Iterator[None]:
    stop = Event()

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                tick()
            except Exception:  # progress is for people watching: a failed write must not end the run
                log.warning("progress could not be written; the run goes on", exc_info=True)
                return

    ticker = eventlet.spawn(loop)
    try:
        yield
    finally:
        stop.send(True)
        ticker.wait()

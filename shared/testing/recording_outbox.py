"""A service's `publish` for unit tests that keeps the outbox's promise (shared/outbox.py): an event counts as
published only once the change it describes commits.

The in-memory stores of a unit test commit where the SQL repository commits: each writing method runs in
`outbox.transaction()`, which records what was staged when the write succeeds and drops it when the write
refuses (raises). What a handler publishes after its last write stays in `staged`, never in `published`, so
a test that expects the event catches a handler that publishes after the commit, as a killed process would
lose it. `handler_returned()` is what the entrypoint does when a handler that changes nothing (a republish,
a timer asking again) returns: its events commit on their own.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class RecordingOutbox:
    def __init__(self, *, dumped: bool = True) -> None:
        # Dumped through the contract (what consumers receive), or as the handler gave it (`dumped=False`);
        # either way the payload is checked against the event's schema when published.
        self.dumped = dumped
        self.published: list[tuple[str, dict]] = []
        self.staged: list[tuple[str, dict]] = []

    def __call__(self, event, payload: dict) -> None:
        wire = event.dump(payload)
        self.staged.append((event.name, wire if self.dumped else payload))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write of a store: what was staged before or during it commits with it, or goes with its refusal."""
        try:
            yield
        except BaseException:
            self.staged.clear()
            raise
        self.commit()

    def rollback(self) -> None:
        """A write that refused without raising (it found the change made meanwhile): nothing it staged counts."""
        self.staged.clear()

    def commit(self) -> None:
        self.published.extend(self.staged)
        self.staged.clear()

    def handler_returned(self) -> None:
        """The entrypoint's flush: what a handler staged after its last write commits when it returns."""
        self.commit()

    def names(self) -> list[str]:
        return [name for name, _ in self.published]


def writes_commit_with_outbox(*writes: str) -> Callable[[type], type]:
    """Class decorator of an in-memory store that has an `outbox` (a RecordingOutbox): each named write method
    runs in the outbox's transaction, as the SQL repository's method commits its own unit of work."""
    def decorate(cls: type) -> type:
        for name in writes:
            setattr(cls, name, _in_transaction(getattr(cls, name)))
        return cls
    return decorate


def _in_transaction(method: Callable) -> Callable:
    @functools.wraps(method)
    def write(self, *args, **kwargs):
        with self.outbox.transaction():
            return method(self, *args, **kwargs)
    return write

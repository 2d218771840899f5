"""A monotonic clock a test moves by hand, for code that takes `clock: Callable[[], float]`."""
from __future__ import annotations


class SteppedClock:
    """Reads `now`; a test moves it (`clock.now += 19.0`) instead of sleeping."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

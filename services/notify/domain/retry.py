"""When to try a failed delivery again: exponential backoff with full jitter, and when to stop.

Full jitter (a uniform draw between zero and the exponential ceiling) rather
than a fixed ladder: when a provider hiccups, a whole page of deliveries fails
at the same moment, and fixed delays would bring them back at the same moment
too. Spreading them is what lets a rate-limited provider recover.

Pure: the random draw is passed in, so tests choose it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# A draw in [0, 1): random.random, or a fixed value in tests.
Draw = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`max_attempts` counts every provider attempt, the first included. `outage_attempts` (default: the
    same) is the budget while the provider itself cannot take a batch at all (a 5xx, a refused connection):
    that says nothing about the recipient, and falling back on another channel after a minute of a provider
    outage would send many people a second copy that the first channel was about to deliver."""

    max_attempts: int
    base_seconds: float
    cap_seconds: float
    outage_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("a retry policy allows at least one attempt")
        if self.outage_attempts is not None and self.outage_attempts < self.max_attempts:
            raise ValueError("a provider outage allows at least as many attempts as any other failure")
        if not 0 < self.base_seconds <= self.cap_seconds:
            raise ValueError("the base delay must be positive and no longer than the cap")

    def ceiling(self, attempts_made: int) -> float:
        """The longest wait after `attempts_made` attempts: base × 2^(attempts_made − 1), at most the cap."""
        if attempts_made < 1:
            raise ValueError("a retry follows at least one attempt")
        # min() before the power would overflow a float for a large attempt number.
        doublings = min(attempts_made - 1, 64)
        return min(self.cap_seconds, self.base_seconds * 2.0 ** doublings)

    def exhausted(self, attempts_made: int, *, provider_outage: bool = False) -> bool:
        budget = self.outage_attempts if provider_outage and self.outage_attempts is not None else self.max_attempts
        return attempts_made >= budget

    def delay(self, attempts_made: int, draw: Draw, *, provider_outage: bool = False) -> float | None:
        """Seconds to wait before the next attempt, or None when the attempts are used up."""
        if self.exhausted(attempts_made, provider_outage=provider_outage):
            return None
        return draw() * self.ceiling(attempts_made)


# A delivery the provider turned away for now (rate limit, deferred, a full inbox): five attempts over at
# most 5 + 10 + 20 + 40 = 75 s of waiting, 37.5 s on average. Longer troubles of one recipient are the
# provider's own retries' business (SendGrid keeps a deferred email for 72 h); after these, F1 falls back.
# A provider that cannot take a batch at all (down, answering 500) gets nine attempts: at most
# 75 + 80 + 160 + 300 + 300 = 915 s of waiting, 457 s on average, so a provider outage of a few minutes
# delays the message instead of sending everyone a second copy on another channel.
DELIVERY_RETRY = RetryPolicy(max_attempts=5, base_seconds=5.0, cap_seconds=300.0, outage_attempts=9)

# A job whose processing raised (database away, a bug): tried again later, then dead-lettered.
# Eight attempts cover an outage of about ten minutes (2 + 4 + … + 256 s ceilings, halved on average)
# before an operator has to look at the dead-letter queue.
JOB_RETRY = RetryPolicy(max_attempts=8, base_seconds=2.0, cap_seconds=300.0)

# A credential turns bad after this many of its deliveries used up their retries on soft failures
# (full inbox, handset off) with no delivery in between: DESIGN.md's "only a repeated pattern".
SOFT_FAILURES_BEFORE_BAD = 3

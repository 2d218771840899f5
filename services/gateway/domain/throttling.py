"""How often someone may try to sign in: per login and per client address, in sliding windows.

Every login costs identity an Argon2 check, and guessing passwords costs the
guesser nothing but requests. The gateway refuses attempts past the limits
before they reach identity, answering 429 with the seconds to wait.

The counts live in the gateway process's memory: each gateway process counts
on its own, and a restart forgets. That bounds a flood at its source cheaply;
it is not a lockout record.
"""
from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from services.identity.domain.credentials import InvalidCredential, parse_login
from shared.contracts.errors import TooManyRequests

Clock = Callable[[], float]  # seconds, monotonic


@dataclass(frozen=True, slots=True)
class Limit:
    attempts: int
    window_seconds: float


# A person mistyping a password needs a handful of tries; a guesser needs thousands.
PER_LOGIN = Limit(attempts=10, window_seconds=15 * 60)
# A school's shared network signs many people in at once; one address flooding is not that.
PER_ADDRESS = Limit(attempts=60, window_seconds=60)
UNKNOWN_ADDRESS = "unknown"


class LoginThrottled(TooManyRequests):
    """A sign-in attempt past a limit; `retry_after_seconds` is when the next one will be let through."""

    def __init__(self, wait_seconds: float) -> None:
        self.retry_after_seconds = max(1, math.ceil(wait_seconds))
        super().__init__(f"Too many sign-in attempts. Try again in {_duration(self.retry_after_seconds)}.")


class SlidingWindow:
    """At most `limit.attempts` recorded attempts per key within any `limit.window_seconds`.

    Only attempts let through are recorded, so a caller who keeps knocking
    while refused is let in again as soon as the window allows.
    """

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self._attempts: dict[str, deque[float]] = {}
        self._swept_at = -math.inf

    def wait_before_next(self, key: str, now: float) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        recent = self._recent(key, now)
        if len(recent) < self.limit.attempts:
            return 0.0
        oldest_that_counts = recent[len(recent) - self.limit.attempts]
        return oldest_that_counts + self.limit.window_seconds - now

    def record(self, key: str, now: float) -> None:
        self._attempts.setdefault(key, deque()).append(now)
        self._sweep(now)

    def tracked_keys(self) -> int:
        return len(self._attempts)

    def _recent(self, key: str, now: float) -> deque[float]:
        attempts = self._attempts.get(key, deque())
        while attempts and attempts[0] <= now - self.limit.window_seconds:
            attempts.popleft()
        if not attempts:
            self._attempts.pop(key, None)
        return attempts

    def _sweep(self, now: float) -> None:
        # Keys seen once and never again would pile up; once per window, forget those out of it.
        if now - self._swept_at < self.limit.window_seconds:
            return
        self._swept_at = now
        expired = now - self.limit.window_seconds
        for key in [key for key, attempts in self._attempts.items() if attempts[-1] <= expired]:
            del self._attempts[key]


class LoginThrottle:
    """Lets a sign-in attempt through only when both its login and its client address are under their limits."""

    def __init__(self, *, per_login: Limit = PER_LOGIN, per_address: Limit = PER_ADDRESS,
                 clock: Clock = time.monotonic) -> None:
        self._by_login = SlidingWindow(per_login)
        self._by_address = SlidingWindow(per_address)
        self._clock = clock

    def admit(self, login: str, address: str | None) -> None:
        """Record the attempt, or raise LoginThrottled (recording nothing) when it must wait."""
        now = self._clock()
        counted = ((self._by_login, login_key(login)), (self._by_address, address or UNKNOWN_ADDRESS))
        wait = max(window.wait_before_next(key, now) for window, key in counted)
        if wait > 0:
            raise LoginThrottled(wait)
        for window, key in counted:
            window.record(key, now)


def login_key(login: str) -> str:
    """One key per credential however it is typed, so respelling a phone number buys no extra attempts."""
    try:
        kind, value = parse_login(login)
    except InvalidCredential:
        return login.strip().lower()
    return f"{kind}:{value}"


def _duration(seconds: int) -> str:
    if seconds == 1:
        return "1 second"
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"

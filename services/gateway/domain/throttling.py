"""How many failed sign-ins a login and a client address may have, in sliding windows.

Only failures count. Guessing passwords costs the guesser nothing but requests,
and every guess costs identity an Argon2 check, so past a number of failures
within a window the gateway refuses further attempts for that login (or from
that address) before they reach identity, answering 429 with the seconds to
wait. Someone who signs in correctly a hundred times a day never comes near a
limit, and a correct password forgets the login's earlier typos.

The counts live in the gateway process's memory: each gateway process counts
on its own, and a restart forgets. A failure is recorded once identity has
answered, so attempts already in flight when a limit is reached may still be
checked: at most the gateway's workers (NAMEKO_MAX_WORKERS) of them.
"""
from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from shared.contracts.errors import NotAuthenticated, PlatformError, TooManyRequests
from shared.credentials import InvalidCredential, parse_login

Clock = Callable[[], float]  # seconds, monotonic


@dataclass(frozen=True, slots=True)
class Limit:
    failures: int
    window_seconds: float


# A person mistyping a password needs a handful of tries; a guesser needs thousands.
PER_LOGIN = Limit(failures=10, window_seconds=15 * 60)
# A school's shared network has people mistyping at once; one address guessing at many logins is not that.
PER_ADDRESS = Limit(failures=100, window_seconds=15 * 60)
UNKNOWN_ADDRESS = "unknown"


class LoginThrottled(TooManyRequests):
    """A sign-in attempt past a limit; `retry_after_seconds` is when the next one will be let through."""

    def __init__(self, wait_seconds: float) -> None:
        self.retry_after_seconds = max(1, math.ceil(wait_seconds))
        super().__init__(f"Too many failed sign-in attempts. Try again in {_duration(self.retry_after_seconds)}.")


class SlidingWindow:
    """At most `limit.failures` recorded failures per key within any `limit.window_seconds`."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self._failures: dict[str, deque[float]] = {}
        self._swept_at = -math.inf

    def wait_before_next(self, key: str, now: float) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        recent = self._recent(key, now)
        if len(recent) < self.limit.failures:
            return 0.0
        oldest_that_counts = recent[len(recent) - self.limit.failures]
        return oldest_that_counts + self.limit.window_seconds - now

    def record(self, key: str, now: float) -> None:
        self._failures.setdefault(key, deque()).append(now)
        self._sweep(now)

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def tracked_keys(self) -> int:
        return len(self._failures)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.limit.window_seconds:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def _sweep(self, now: float) -> None:
        # Keys seen once and never again would pile up; once per window, forget those out of it.
        if now - self._swept_at < self.limit.window_seconds:
            return
        self._swept_at = now
        expired = now - self.limit.window_seconds
        for key in [key for key, failures in self._failures.items() if failures[-1] <= expired]:
            del self._failures[key]


class LoginThrottle:
    """Lets a sign-in attempt through only when neither its login nor its client address has failed too often."""

    def __init__(self, *, per_login: Limit = PER_LOGIN, per_address: Limit = PER_ADDRESS,
                 clock: Clock = time.monotonic) -> None:
        self._by_login = SlidingWindow(per_login)
        self._by_address = SlidingWindow(per_address)
        self._clock = clock

    @property
    def limits(self) -> tuple[Limit, Limit]:
        """Per login, per address."""
        return self._by_login.limit, self._by_address.limit

    def admit(self, login: str, address: str | None) -> None:
        """Raise LoginThrottled when the login or the address must wait; record nothing."""
        now = self._clock()
        wait = max(self._by_login.wait_before_next(login, now),
                   self._by_address.wait_before_next(_address_key(address), now))
        if wait > 0:
            raise LoginThrottled(wait)

    def failed(self, login: str, address: str | None) -> None:
        now = self._clock()
        self._by_login.record(login, now)
        self._by_address.record(_address_key(address), now)

    def succeeded(self, login: str) -> None:
        """The right password: the login's earlier failures were its owner's typos. The address keeps its
        failures, so a guesser cannot wash them out by signing in to an account of their own."""
        self._by_login.forget(login)

    @contextmanager
    def attempt(self, login: str, address: str | None, *,
                failure: type[PlatformError] = NotAuthenticated) -> Iterator[None]:
        """Around one check of a password: refused (LoginThrottled) before it starts when a limit is reached;
        counted as failed when it raises `failure`; a success forgets the login's failures. Any other error
        (identity busy, a service not answering) counts neither way."""
        self.admit(login, address)
        try:
            yield
        except failure:
            self.failed(login, address)
            raise
        self.succeeded(login)


def login_key(login: str) -> str:
    """One key per credential however it is typed, so respelling a phone number buys no extra attempts."""
    try:
        kind, value = parse_login(login)
    except InvalidCredential:
        return f"text:{login.strip().lower()}"
    return f"{kind}:{value}"


def person_key(person_id: str) -> str:
    """The key of a signed-in person proving their password again (changing it): a budget of its own."""
    return f"person:{person_id}"


def _address_key(address: str | None) -> str:
    return address or UNKNOWN_ADDRESS


def _duration(seconds: int) -> str:
    if seconds == 1:
        return "1 second"
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"

"""Patience with a provider's HTTP API: throttling waited out, failures retried with backoff, then a clear refusal.

Every REST roster source (ClassLink, Clever) reads through this. A 429 waits as long as the provider
says: `Retry-After` (seconds or an HTTP date), else `X-RateLimit-Reset` (the Unix time the window
resets), else the backoff; a 5xx or a network error waits with exponential backoff. After the last
attempt the run is refused (SourceRejected) with what the provider kept doing. Any other answer,
2xx or 4xx, is the caller's to read: only it knows what a 401 means for its credentials.

Each attempt calls `send` anew, so a source that signs requests (an OAuth 1.0a nonce is good for one
request only) signs every attempt.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from datetime import datetime, timezone

import requests

from services.rostering.domain.errors import SourceRejected

ATTEMPTS = 5
BACKOFF_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 120.0


class Patience:
    def __init__(self, provider: str, *, sleep: Callable[[float], None] = time.sleep,
                 backoff: float = BACKOFF_SECONDS, attempts: int = ATTEMPTS) -> None:
        """`provider` names the server in a refusal: "ClassLink's roster server for tenant 1234"."""
        self._provider, self._sleep, self._backoff, self._attempts = provider, sleep, backoff, attempts

    def get(self, send: Callable[[], requests.Response]) -> requests.Response:
        for attempt in range(1, self._attempts + 1):
            try:
                response = send()
            except requests.RequestException as failed:
                self._wait_or_give_up(attempt, None, f"did not answer ({type(failed).__name__})")
                continue
            if response.status_code == 429:
                self._wait_or_give_up(attempt, throttled_for(response), "kept throttling the sync (429)")
                continue
            if response.status_code >= 500:
                self._wait_or_give_up(attempt, None, f"kept failing ({response.status_code})")
                continue
            return response
        raise AssertionError("the last attempt either answers or gives up")  # pragma: no cover

    def _wait_or_give_up(self, attempt: int, wait: float | None, what: str) -> None:
        if attempt == self._attempts:
            raise SourceRejected(f"{self._provider} {what}; gave up after {self._attempts} tries, "
                                 "nothing was applied")
        self._sleep(min(wait if wait is not None else self._backoff * 2 ** (attempt - 1), LONGEST_WAIT_SECONDS))


def throttled_for(response: requests.Response) -> float | None:
    """How long a throttled answer asks to wait, in seconds, or None when it does not say."""
    retry_after = _retry_after(response.headers.get("Retry-After"))
    return retry_after if retry_after is not None else _until_reset(response.headers.get("X-RateLimit-Reset"))


def _retry_after(raw: str | None) -> float | None:
    """Retry-After: a number of seconds, or an HTTP date."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _until_reset(raw: str | None) -> float | None:
    """X-RateLimit-Reset: the Unix time at which the provider's rate-limit window starts again."""
    try:
        reset = float((raw or "").strip())
    except ValueError:
        return None
    return max(0.0, reset - time.time())


class PagedCollection:
    """A collection read a page at a time, with the two refusals every paging source needs: a page seen before
    (the provider's paging went back) and more records than a district can hold. `provider` and `owner` name the
    source as the refusals say it (e.g. "Clever", "district X"), `going_back` why a page could repeat."""

    def __init__(self, name: str, *, provider: str, owner: str, going_back: str, max_records: int) -> None:
        self.name, self.objects = name, []
        self._provider, self._owner, self._going_back, self._max = provider, owner, going_back, max_records
        self._seen: set[str] = set()

    def add(self, page: list[dict], ids: set[str]) -> None:
        if ids and ids <= self._seen:
            raise SourceRejected(f"{self._provider} answered the same page of {self.name} twice for {self._owner} "
                                 f"({self._going_back}); nothing was applied", file=self.name)
        self._seen |= ids
        self.objects.extend(page)
        if len(self.objects) > self._max:
            raise SourceRejected(f"{self._provider}'s {self.name} for {self._owner} hold more than "
                                 f"{self._max:,} records; nothing was applied", file=self.name)

"""Who an access token signed in, kept by a gateway process for a couple of seconds.

Every authenticated request needs identity's answer for its token: the principal (roles, permissions)
and the signed assertion the services' calls carry. Asking identity costs an RPC and a transaction per
request; a screen that searches as someone types asks many times a second with the same token. This
keeps identity's answer per token for `seconds` (GATEWAY_SIGNED_IN_CACHE_SECONDS, 0: never kept).

Only reads (GET) use a kept answer; every other request asks identity. How long a change takes to be
seen, so that no rule is weaker than that:
- a session ended, a password changed, permissions or roles changed *through this gateway process*: at
  once, as every authenticated write (any method but GET) and every refresh empties the cache when it
  is done (a refresh token used twice ends its whole session);
- the same changes made elsewhere (another gateway process, an operator's `schoolctl`, a sync): within
  `seconds`, after which the token is asked about again;
- an assertion is never kept past the time identity gave it (it always outlives `seconds` by minutes).
Tokens are kept by their SHA-256 digest, never as they were presented.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# A kept answer is dropped this long before its assertion expires, so a call never carries a stale one.
ASSERTION_MARGIN = timedelta(seconds=30)
# At most this many tokens kept at once (one per client signed in within the last `seconds`).
MAX_TOKENS = 20_000


@dataclass(frozen=True, slots=True)
class _Kept:
    answer: Mapping
    until: float  # monotonic seconds


class SignedInCache:
    def __init__(self, seconds: float, *, monotonic: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 max_tokens: int = MAX_TOKENS) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._max_tokens = max_tokens
        self._kept: dict[str, _Kept] = {}

    def answer_for(self, token: str) -> Mapping | None:
        """identity's answer for `token` (principal, assertion, expires_at) if kept and still fresh."""
        key = _digest(token)
        kept = self._kept.get(key)
        if kept is None:
            return None
        if self._monotonic() >= kept.until:
            self._kept.pop(key, None)
            return None
        return kept.answer

    def keep(self, token: str, answer: Mapping) -> None:
        """Keep identity's answer for `token`; its `expires_at` (ISO 8601 with a zone, as the RPC answers it,
        or an aware datetime) bounds how long."""
        if self.seconds <= 0:
            return
        expires_at = answer["expires_at"]
        if isinstance(expires_at, str):
            expires_at = datetime.fromisoformat(expires_at)
        left = (expires_at - ASSERTION_MARGIN - self._wall_clock()).total_seconds()
        if left <= 0:
            return
        now = self._monotonic()
        if len(self._kept) >= self._max_tokens:
            self._drop_stale(now)
            if len(self._kept) >= self._max_tokens:
                self._kept.clear()
        self._kept[_digest(token)] = _Kept(answer, now + min(self.seconds, left))

    def forget_everyone(self) -> None:
        """Something that may end a session or change a principal went through this process."""
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)

    def _drop_stale(self, now: float) -> None:
        for key in [key for key, kept in self._kept.items() if now >= kept.until]:
            self._kept.pop(key, None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

"""Each viewer's facts (their classes, children, schools: what their scope is built from), kept a few
seconds by a directory process so that a search typed letter by letter reads them once.

Only this process writes what the facts are read from (enrollments, guardian links, schools, classrooms),
and each of its writes calls `changed()` as it starts and again once it is done: every kept fact is
dropped then, and a read that overlapped the write keeps nothing (its generation no longer matches), so
no fact older than the last write is ever answered here. Another directory process's writes are seen
within `seconds`. Permissions and roles are not facts: they come with every request's principal.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from services.directory.domain.visibility import ViewerFacts

# At most this many viewers kept at once; when full, everything is dropped and kept afresh.
MAX_VIEWERS = 20_000


@dataclass(frozen=True, slots=True)
class _Kept:
    facts: ViewerFacts
    generation: int
    until: float  # monotonic seconds


class KeptViewerFacts:
    def __init__(self, seconds: float, *, monotonic: Callable[[], float] = time.monotonic,
                 max_viewers: int = MAX_VIEWERS) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._max_viewers = max_viewers
        self._generation = 0
        self._kept: dict[str, _Kept] = {}

    def facts_of(self, person_id: str, read: Callable[[], ViewerFacts]) -> ViewerFacts:
        """The viewer's kept facts, or `read()` (kept for next time unless a write overlapped it)."""
        now = self._monotonic()
        kept = self._kept.get(person_id)
        if kept is not None and kept.generation == self._generation and now < kept.until:
            return kept.facts
        generation = self._generation
        facts = read()
        if self.seconds > 0 and generation == self._generation:
            if len(self._kept) >= self._max_viewers:
                self._kept.clear()
            self._kept[person_id] = _Kept(facts, generation, now + self.seconds)
        return facts

    def changed(self) -> None:
        """A write is starting or has finished: forget every kept fact, and what reads in flight would keep."""
        self._generation += 1
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)

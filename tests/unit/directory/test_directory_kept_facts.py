"""A directory process keeps each viewer's facts a few seconds for searches; no write it makes is missed."""
import pytest

from services.directory.adapters.kept_facts import scope_cache_seconds
from services.directory.domain.kept_facts import KeptViewerFacts
from services.directory.domain.visibility import ViewerFacts

TEACHER = ViewerFacts(taught_classroom_ids=frozenset({"room-1"}), own_school_ids=frozenset({"school-1"}))
MOVED = ViewerFacts(taught_classroom_ids=frozenset({"room-2"}), own_school_ids=frozenset({"school-1"}))


class Reads:
    def __init__(self, *answers: ViewerFacts) -> None:
        self.answers = list(answers)
        self.count = 0

    def __call__(self) -> ViewerFacts:
        self.count += 1
        return self.answers[min(self.count, len(self.answers)) - 1]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_facts_are_read_once_within_the_seconds_and_again_after():
    clock, reads = Clock(), Reads(TEACHER, MOVED)
    kept = KeptViewerFacts(5.0, monotonic=clock)

    assert [kept.facts_of("teacher-1", reads) for _ in range(3)] == [TEACHER] * 3
    clock.now = 5.0
    assert (kept.facts_of("teacher-1", reads), reads.count) == (MOVED, 2)


def test_each_viewer_has_their_own_facts():
    kept = KeptViewerFacts(5.0, monotonic=Clock())
    kept.facts_of("teacher-1", Reads(TEACHER))
    assert kept.facts_of("teacher-2", Reads(MOVED)) == MOVED


def test_a_write_drops_every_kept_fact():
    reads = Reads(TEACHER, MOVED)
    kept = KeptViewerFacts(5.0, monotonic=Clock())
    kept.facts_of("teacher-1", reads)

    kept.changed()

    assert (kept.facts_of("teacher-1", reads), reads.count) == (MOVED, 2)


def test_a_read_overlapping_a_write_keeps_nothing():
    kept = KeptViewerFacts(5.0, monotonic=Clock())

    def read_while_a_write_lands() -> ViewerFacts:
        kept.changed()  # the write commits while the facts are read (another green thread)
        return TEACHER

    assert kept.facts_of("teacher-1", read_while_a_write_lands) == TEACHER
    reads = Reads(MOVED)
    assert (kept.facts_of("teacher-1", reads), reads.count) == (MOVED, 1)


def test_zero_seconds_keeps_nothing_and_a_full_cache_starts_over():
    never, reads = KeptViewerFacts(0, monotonic=Clock()), Reads(TEACHER)
    never.facts_of("teacher-1", reads)
    never.facts_of("teacher-1", reads)
    assert reads.count == 2 and len(never) == 0

    small = KeptViewerFacts(5.0, monotonic=Clock(), max_viewers=2)
    for viewer in ("a", "b", "c"):
        small.facts_of(viewer, Reads(TEACHER))
    assert len(small) == 1


def test_the_scope_cache_setting_defaults_to_five_seconds_and_refuses_what_makes_no_sense():
    assert (scope_cache_seconds({}), scope_cache_seconds({"DIRECTORY_SCOPE_CACHE_SECONDS": "0"})) == (5.0, 0.0)
    for setting in ("-1", "31", "soon", "nan"):
        with pytest.raises(ValueError, match="DIRECTORY_SCOPE_CACHE_SECONDS"):
            scope_cache_seconds({"DIRECTORY_SCOPE_CACHE_SECONDS": setting})

"""The bench's wait for a settled database: nothing due or running for a steady while, bounded, never raising."""
from __future__ import annotations

from bench.database_settling import BOUND_SECONDS, POLL_SECONDS, STEADY_SECONDS, wait_until_settled
from shared.testing.clocks import SteppedClock


def looks(clock: SteppedClock, answers: dict[float, list[str]]):
    """What is unsettled at each moment: the answer of the latest moment not after now."""
    def look() -> list[str]:
        return answers[max(moment for moment in answers if moment <= clock.now)]
    return look


def sleeping(clock: SteppedClock):
    def sleep(seconds: float) -> None:
        clock.now += seconds
    return sleep


def test_a_settled_database_is_waited_for_only_the_steady_while():
    clock = SteppedClock(0.0)
    settling = wait_until_settled(looks(clock, {0.0: []}), clock=clock, sleep=sleeping(clock))
    assert settling.left == [] and settling.seconds == STEADY_SECONDS


def test_the_wait_lasts_until_the_maintenance_ends_and_nothing_is_due_for_the_steady_while():
    clock = SteppedClock(0.0)
    answers = {0.0: ["reach: VACUUM due"], 3.0: ["running: VACUUM (ANALYZE, SKIP_LOCKED, PARALLEL 0) reach"],
               4.0: [], 5.0: ["people: ANALYZE due"], 7.0: []}
    progress = []
    settling = wait_until_settled(looks(clock, answers), clock=clock, sleep=sleeping(clock), progress=progress.append)
    assert settling.left == []
    assert settling.seconds == 7.0 + STEADY_SECONDS  # the quiet second at 4 did not last
    assert progress == []  # under PROGRESS_SECONDS


def test_a_bound_hit_answers_what_was_left_and_says_so_as_it_goes():
    clock = SteppedClock(0.0)
    progress = []
    settling = wait_until_settled(looks(clock, {0.0: ["reach: VACUUM due"]}), bound=BOUND_SECONDS, clock=clock,
                                  sleep=sleeping(clock), progress=progress.append)
    assert settling.left == ["reach: VACUUM due"]
    assert BOUND_SECONDS <= settling.seconds < BOUND_SECONDS + POLL_SECONDS
    assert progress and all("reach: VACUUM due" in line for line in progress)

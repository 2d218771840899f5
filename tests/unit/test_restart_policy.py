"""When `make run` starts a crashed process again, and when it gives up on it."""
from schoolctl.restart_policy import CrashStreak, GiveUp, Restart, RestartPolicy
from schoolctl.supervisor import how_it_ended


def test_the_backoff_doubles_with_each_crash_in_a_row_up_to_its_cap():
    policy = RestartPolicy(first_delay=1, max_delay=30)

    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_process_that_keeps_crashing_is_given_up_on_at_the_bound():
    streak = CrashStreak(RestartPolicy(give_up_after=5, stable_after=60))

    decisions = [streak.exited(ran_for=2) for _ in range(5)]

    assert decisions == [Restart(1, 1), Restart(2, 2), Restart(4, 3), Restart(8, 4), GiveUp(5)]


def test_a_run_that_stayed_up_ends_the_streak():
    streak = CrashStreak(RestartPolicy(give_up_after=3, stable_after=60))
    streak.exited(ran_for=1)
    streak.exited(ran_for=1)

    assert streak.exited(ran_for=600) == Restart(1, 1)
    assert streak.exited(ran_for=1) == Restart(2, 2)


def test_how_a_process_ended_names_the_signal_or_the_status():
    assert how_it_ended(-9) == "killed by SIGKILL"
    assert how_it_ended(1) == "exit status 1"

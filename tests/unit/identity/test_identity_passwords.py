import os
import sys
import threading
import time

import eventlet
from eventlet import tpool
from argon2 import PasswordHasher, Type, extract_parameters

import pytest

from services.identity.adapters.passwords import (
    HASHING_NICENESS,
    HashingGate,
    ThreadedArgon2Passwords,
    _as_background_work,
    gate_for_workers,
)
from services.identity.domain.accounts import RoleGrant
from services.identity.domain.passwords import Argon2Passwords, PasswordChecksBusy, find_password_owner
from identity_builders import make_account, make_profile

# Cheap parameters where the test is about choosing an account, not about the hash's strength.
FAST = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_the_default_hash_is_argon2id_at_least_as_strong_as_owasp_asks():
    parameters = extract_parameters(Argon2Passwords().hash("correct horse battery staple"))

    assert parameters.type is Type.ID
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2


def test_a_hashed_password_matches_itself_and_nothing_else():
    passwords = Argon2Passwords()
    stored = passwords.hash("correct horse battery staple")

    assert "correct horse" not in stored
    assert passwords.matches(stored, "correct horse battery staple")
    assert not passwords.matches(stored, "correct horse battery stapler")


def test_the_same_password_hashes_differently_each_time():
    assert FAST.hash("same password") != FAST.hash("same password")


def test_a_corrupt_stored_hash_never_matches():
    assert not FAST.matches("not-a-hash", "anything")


def test_a_hash_made_with_weaker_parameters_needs_rehashing():
    assert Argon2Passwords().needs_rehash(FAST.hash("password"))
    assert not FAST.needs_rehash(FAST.hash("password"))


def test_a_shared_login_picks_the_account_whose_password_matches():
    first = make_account(person_id="parent-1", password_hash=FAST.hash("first parent's password"))
    second = make_account(person_id="parent-2", password_hash=FAST.hash("second parent's password"))

    assert find_password_owner([first, second], "second parent's password", FAST) is second
    assert find_password_owner([first, second], "first parent's password", FAST) is first
    assert find_password_owner([first, second], "neither", FAST) is None


def test_an_account_without_a_password_cannot_log_in():
    assert find_password_owner([make_account(password_hash=None)], "anything", FAST) is None


def test_a_disabled_account_cannot_log_in_even_with_its_password():
    disabled = make_account(status="disabled", password_hash=FAST.hash("password"))

    assert find_password_owner([disabled], "password", FAST) is None


def test_a_student_whose_account_is_not_enabled_cannot_log_in_even_with_its_password():
    student = make_account(password_hash=FAST.hash("password"), profile=make_profile(roles=(RoleGrant("student"),)))

    assert find_password_owner([student], "password", FAST) is None


def test_a_shared_phone_skips_the_student_not_enabled_and_finds_the_parent():
    student = make_account(person_id="student-1", password_hash=FAST.hash("same password"),
                           profile=make_profile(roles=(RoleGrant("student"),)))
    parent = make_account(person_id="parent-1", password_hash=FAST.hash("same password"))

    assert find_password_owner([student, parent], "same password", FAST) is parent


def test_no_candidates_means_no_owner():
    assert find_password_owner([], "password", FAST) is None


def test_threaded_hashing_gives_the_same_answers_as_inline_hashing():
    threaded = ThreadedArgon2Passwords()
    stored = threaded.hash("password")

    assert threaded.matches(stored, "password")
    assert Argon2Passwords().matches(stored, "password")
    assert not threaded.matches(stored, "wrong")


def test_threaded_hashing_leaves_other_green_threads_running():
    ticks: list[float] = []

    def tick():
        while True:
            ticks.append(time.perf_counter())
            eventlet.sleep(0.01)

    ticker = eventlet.spawn(tick)
    try:
        eventlet.sleep(0.05)
        ThreadedArgon2Passwords().hash("password")
        eventlet.sleep(0.05)
    finally:
        ticker.kill()

    longest_pause = max(later - earlier for earlier, later in zip(ticks, ticks[1:]))
    # Inline, one hash paused the ticker for the whole hash (0.2-0.8 s on a 2-core box).
    assert longest_pause < 0.15


def hold_slot(gate: HashingGate, release: eventlet.Event, entered: list):
    """A green thread that takes a slot and keeps it until `release` is sent."""
    def hold():
        with gate.slot():
            entered.append(True)
            release.wait()
    return eventlet.spawn(hold)


def test_a_check_past_the_slots_and_the_waiting_room_is_refused_at_once():
    gate, release, entered = HashingGate(concurrent=1, waiting=1, wait_seconds=5), eventlet.Event(), []
    holder = hold_slot(gate, release, entered)
    waiter = hold_slot(gate, release, entered)
    eventlet.sleep(0)

    started = time.perf_counter()
    with pytest.raises(PasswordChecksBusy):
        with gate.slot():
            pass

    assert time.perf_counter() - started < 0.05
    release.send()
    holder.wait()
    waiter.wait()
    assert entered == [True, True]


def test_a_waiting_check_gets_the_slot_as_soon_as_it_frees():
    gate, release, entered = HashingGate(concurrent=1, waiting=1, wait_seconds=5), eventlet.Event(), []
    holder = hold_slot(gate, release, entered)
    eventlet.sleep(0)
    eventlet.spawn_after(0.05, release.send)

    with gate.slot():
        entered.append("waiter")

    holder.wait()
    assert entered == [True, "waiter"]


def test_a_waiting_check_is_refused_when_no_slot_frees_within_the_wait():
    gate, release, entered = HashingGate(concurrent=1, waiting=1, wait_seconds=0.1), eventlet.Event(), []
    holder = hold_slot(gate, release, entered)
    eventlet.sleep(0)

    started = time.perf_counter()
    with pytest.raises(PasswordChecksBusy):
        with gate.slot():
            pass

    assert 0.09 < time.perf_counter() - started < 1
    release.send()
    holder.wait()


def test_a_refused_or_finished_check_gives_its_place_back():
    gate = HashingGate(concurrent=1, waiting=0, wait_seconds=0)
    for _ in range(3):
        with gate.slot():
            pass

    with gate.slot():
        with pytest.raises(PasswordChecksBusy):
            with gate.slot():
                pass


@pytest.mark.parametrize("max_workers, admitted", [(10, 5), (20, 10), (4, 2), (1, 2)])
def test_password_checks_hold_at_most_half_of_the_workers_and_never_fewer_than_two(max_workers, admitted):
    gate = gate_for_workers(max_workers)
    release, entered = eventlet.Event(), []
    holders = [hold_slot(gate, release, entered) for _ in range(admitted)]
    eventlet.sleep(0)

    with pytest.raises(PasswordChecksBusy):
        with gate.slot():
            pass

    release.send()
    for holder in holders:
        holder.wait()
    assert len(entered) == admitted


def test_threaded_hashing_refuses_when_the_gate_is_full():
    gate = HashingGate(concurrent=1, waiting=0, wait_seconds=0)
    threaded = ThreadedArgon2Passwords(gate)

    with gate.slot():
        with pytest.raises(PasswordChecksBusy):
            threaded.hash("password")


def own_priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice values are per thread on Linux only")
def test_hashing_runs_at_a_lower_cpu_priority_than_the_thread_that_serves_requests():
    serving_priority = own_priority()

    assert tpool.execute(_as_background_work, own_priority) == HASHING_NICENESS
    assert own_priority() == serving_priority < HASHING_NICENESS


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice values are per thread on Linux only")
def test_work_run_inline_on_the_serving_thread_keeps_its_priority():
    serving_priority = own_priority()

    assert _as_background_work(own_priority) == serving_priority

import time

import eventlet
from argon2 import PasswordHasher, Type, extract_parameters

from services.identity.adapters.passwords import ThreadedArgon2Passwords
from services.identity.domain.passwords import Argon2Passwords, find_password_owner
from identity_builders import make_account

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

import pytest

from services.gateway.domain.throttling import (
    PER_ADDRESS,
    PER_LOGIN,
    Limit,
    LoginThrottle,
    LoginThrottled,
    SlidingWindow,
    login_key,
)
from shared.contracts.errors import TooManyRequests

ADDRESS = "203.0.113.7"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def throttle(clock, *, per_login=Limit(3, 900), per_address=Limit(100, 60)) -> LoginThrottle:
    return LoginThrottle(per_login=per_login, per_address=per_address, clock=clock)


def refusal(attempt) -> LoginThrottled:
    with pytest.raises(LoginThrottled) as refused:
        attempt()
    return refused.value


def test_the_default_limits_are_ten_per_login_per_quarter_hour_and_sixty_per_address_per_minute():
    assert (PER_LOGIN, PER_ADDRESS) == (Limit(10, 900), Limit(60, 60))


def test_attempts_past_the_per_login_limit_wait_until_the_oldest_leaves_the_window(clock):
    logins = throttle(clock)
    for _ in range(3):
        logins.admit("dana@example.org", ADDRESS)
        clock.now += 100

    refused = refusal(lambda: logins.admit("dana@example.org", ADDRESS))

    assert refused.retry_after_seconds == 900 - 300
    assert isinstance(refused, TooManyRequests)


def test_the_window_slides_so_each_attempt_frees_its_place_exactly_one_window_later(clock):
    logins = throttle(clock)
    logins.admit("dana@example.org", ADDRESS)
    clock.now += 600
    logins.admit("dana@example.org", ADDRESS)
    logins.admit("dana@example.org", ADDRESS)

    clock.now += 299
    assert refusal(lambda: logins.admit("dana@example.org", ADDRESS)).retry_after_seconds == 1
    clock.now += 1
    logins.admit("dana@example.org", ADDRESS)
    # Now the two attempts made 300 s ago are the oldest that count.
    assert refusal(lambda: logins.admit("dana@example.org", ADDRESS)).retry_after_seconds == 600


def test_a_refused_attempt_is_not_counted_so_knocking_does_not_push_the_wait_further(clock):
    logins = throttle(clock)
    for _ in range(3):
        logins.admit("dana@example.org", ADDRESS)

    for _ in range(20):
        clock.now += 10
        refusal(lambda: logins.admit("dana@example.org", ADDRESS))
    clock.now = 1000 + 900

    logins.admit("dana@example.org", ADDRESS)


@pytest.mark.parametrize("spelling", ["4155552671", "(415) 555-2671", "+1 415 555 2671", "415.555.2671"])
def test_a_phone_number_counts_as_one_login_however_it_is_typed(clock, spelling):
    logins = throttle(clock)
    for typed in ("4155552671", "(415) 555-2671", "+1 415 555 2671"):
        logins.admit(typed, ADDRESS)

    refusal(lambda: logins.admit(spelling, ADDRESS))


def test_an_email_counts_as_one_login_whatever_its_case_and_spaces():
    assert login_key(" Dana@Example.ORG ") == login_key("dana@example.org") == "email:dana@example.org"


def test_something_that_is_no_credential_is_counted_by_its_text():
    assert login_key("  Dana Rivera ") == login_key("dana rivera") == "dana rivera"


def test_other_logins_keep_their_own_budget(clock):
    logins = throttle(clock)
    for _ in range(3):
        logins.admit("dana@example.org", ADDRESS)

    logins.admit("lee@example.org", ADDRESS)


def test_attempts_past_the_per_address_limit_are_refused_whatever_the_login(clock):
    logins = throttle(clock, per_address=Limit(5, 60))
    for n in range(5):
        logins.admit(f"guess-{n}@example.org", ADDRESS)
        clock.now += 1

    refused = refusal(lambda: logins.admit("another@example.org", ADDRESS))

    assert refused.retry_after_seconds == 60 - 5
    logins.admit("another@example.org", "198.51.100.2")


def test_an_attempt_refused_by_its_address_costs_the_login_nothing(clock):
    logins = throttle(clock, per_address=Limit(1, 60))
    logins.admit("someone@example.org", ADDRESS)

    for _ in range(5):
        refusal(lambda: logins.admit("dana@example.org", ADDRESS))

    for n in range(3):
        logins.admit("dana@example.org", f"198.51.100.{n}")


def test_a_request_without_a_known_address_is_counted_under_one_shared_address(clock):
    logins = throttle(clock, per_address=Limit(2, 60))
    logins.admit("a@example.org", None)
    logins.admit("b@example.org", None)

    refusal(lambda: logins.admit("c@example.org", None))


def test_keys_whose_attempts_left_the_window_are_forgotten():
    window = SlidingWindow(Limit(3, 60))
    for n in range(1000):
        window.record(f"login-{n}", now=0.0)

    window.record("later", now=61.0)

    assert window.tracked_keys() == 1


def test_a_key_refused_and_then_idle_is_forgotten_when_asked_again():
    window = SlidingWindow(Limit(1, 60))
    window.record("dana", now=0.0)

    assert window.wait_before_next("dana", now=60.0) == 0
    assert window.tracked_keys() == 0


@pytest.mark.parametrize("wait, seconds, said", [
    (0.2, 1, "1 second"), (59.1, 60, "60 seconds"), (119.0, 119, "119 seconds"), (600, 600, "10 minutes"),
    (601, 601, "11 minutes"),
])
def test_the_refusal_rounds_the_wait_up_to_whole_seconds_and_says_it_in_words(wait, seconds, said):
    refused = LoginThrottled(wait)

    assert refused.retry_after_seconds == seconds
    assert str(refused) == f"Too many sign-in attempts. Try again in {said}."
    assert (refused.code, refused.http_status) == ("too_many_requests", 429)

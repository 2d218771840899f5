import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.gateway.domain.throttling import (
    PER_ADDRESS,
    PER_LOGIN,
    Limit,
    LoginThrottle,
    LoginThrottled,
    SlidingWindow,
    login_key,
    person_key,
)
from shared.contracts.errors import NotAuthenticated, PermissionDenied, TooManyRequests

ADDRESS = "203.0.113.7"
DANA = login_key("dana@example.org")


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


def fail(logins: LoginThrottle, login: str = DANA, address: str | None = ADDRESS) -> None:
    """One sign-in that gets through the throttle and is refused by identity."""
    with pytest.raises(NotAuthenticated):
        with logins.attempt(login, address):
            raise NotAuthenticated("the login or password is incorrect")


def succeed(logins: LoginThrottle, login: str = DANA, address: str | None = ADDRESS) -> None:
    with logins.attempt(login, address):
        pass


def test_the_default_limits_are_ten_failures_per_login_and_a_hundred_per_address_per_quarter_hour():
    assert (PER_LOGIN, PER_ADDRESS) == (Limit(10, 900), Limit(100, 900))


@settings(max_examples=50, deadline=None)
@given(gaps=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=300))
def test_successful_sign_ins_never_count_however_many_and_however_fast(gaps):
    clock = Clock()
    logins = throttle(clock, per_login=Limit(1, 900), per_address=Limit(1, 900))
    for gap in gaps:
        clock.now += gap
        succeed(logins)

    fail(logins)  # the first failure is still let through


def test_failures_past_the_per_login_limit_wait_until_the_oldest_leaves_the_window(clock):
    logins = throttle(clock)
    for _ in range(3):
        fail(logins)
        clock.now += 100

    refused = refusal(lambda: succeed(logins))

    assert refused.retry_after_seconds == 900 - 300
    assert isinstance(refused, TooManyRequests)


def test_twenty_wrong_passwords_with_the_default_limits_lock_the_login_after_the_tenth(clock):
    logins = LoginThrottle(clock=clock)
    answers = []
    for _ in range(20):
        try:
            fail(logins)
            answers.append(401)
        except LoginThrottled as refused:
            answers.append((429, refused.retry_after_seconds))
        clock.now += 1

    assert answers[:10] == [401] * 10
    assert answers[10:] == [(429, 900 - n) for n in range(10, 20)]


def test_the_window_slides_so_each_failure_frees_its_place_exactly_one_window_later(clock):
    logins = throttle(clock)
    fail(logins)
    clock.now += 600
    fail(logins)
    fail(logins)

    clock.now += 299
    assert refusal(lambda: succeed(logins)).retry_after_seconds == 1
    clock.now += 1
    fail(logins)
    # Now the two failures made 300 s ago are the oldest that count.
    assert refusal(lambda: succeed(logins)).retry_after_seconds == 600


def test_a_refused_attempt_is_not_counted_so_knocking_does_not_push_the_wait_further(clock):
    logins = throttle(clock)
    for _ in range(3):
        fail(logins)

    for _ in range(20):
        clock.now += 10
        refusal(lambda: fail(logins))
    clock.now = 1000 + 900

    succeed(logins)


def test_a_correct_password_forgets_the_logins_typos_but_not_the_addresses(clock):
    logins = throttle(clock, per_login=Limit(3, 900), per_address=Limit(4, 900))
    fail(logins)
    fail(logins)
    succeed(logins)

    fail(logins)
    fail(logins)  # the login has failed twice since its success: still under its limit of 3
    refused = refusal(lambda: succeed(logins, login=login_key("lee@example.org")))

    assert refused.retry_after_seconds == 900


@pytest.mark.parametrize("error", [TooManyRequests("identity is busy"), ConnectionError("broker down"),
                                   PermissionDenied("not this way")])
def test_an_attempt_that_ends_in_another_error_counts_neither_way(clock, error):
    logins = throttle(clock, per_login=Limit(1, 900))
    for _ in range(3):
        with pytest.raises(type(error)):
            with logins.attempt(DANA, ADDRESS):
                raise error

    fail(logins)
    refusal(lambda: succeed(logins))


def test_what_counts_as_a_failure_is_the_callers_choice(clock):
    logins = throttle(clock, per_login=Limit(1, 900))
    with pytest.raises(PermissionDenied):
        with logins.attempt(person_key("person-1"), ADDRESS, failure=PermissionDenied):
            raise PermissionDenied("the current password is not right")

    refusal(lambda: succeed(logins, login=person_key("person-1")))
    succeed(logins)  # a person's password checks and a login's sign-ins have budgets of their own


@pytest.mark.parametrize("spelling", ["4155552671", "(415) 555-2671", "+1 415 555 2671", "415.555.2671"])
def test_a_phone_number_counts_as_one_login_however_it_is_typed(clock, spelling):
    logins = throttle(clock)
    for typed in ("4155552671", "(415) 555-2671", "+1 415 555 2671"):
        fail(logins, login=login_key(typed))

    refusal(lambda: succeed(logins, login=login_key(spelling)))


def test_an_email_counts_as_one_login_whatever_its_case_and_spaces():
    assert login_key(" Dana@Example.ORG ") == login_key("dana@example.org") == "email:dana@example.org"


def test_something_that_is_no_credential_is_counted_by_its_text_and_never_as_a_persons_key():
    assert login_key("  Dana Rivera ") == login_key("dana rivera") == "text:dana rivera"
    assert login_key("person:person-1") != person_key("person-1")


def test_other_logins_keep_their_own_budget(clock):
    logins = throttle(clock)
    for _ in range(3):
        fail(logins)

    succeed(logins, login=login_key("lee@example.org"))


def test_failures_past_the_per_address_limit_are_refused_whatever_the_login(clock):
    logins = throttle(clock, per_address=Limit(5, 60))
    for n in range(5):
        fail(logins, login=login_key(f"guess-{n}@example.org"))
        clock.now += 1

    refused = refusal(lambda: succeed(logins, login=login_key("another@example.org")))

    assert refused.retry_after_seconds == 60 - 5
    succeed(logins, login=login_key("another@example.org"), address="198.51.100.2")


def test_an_attempt_refused_by_its_address_costs_the_login_nothing(clock):
    logins = throttle(clock, per_address=Limit(1, 60))
    fail(logins, login=login_key("someone@example.org"))

    for _ in range(5):
        refusal(lambda: fail(logins))

    for n in range(2):
        fail(logins, address=f"198.51.100.{n}")
    succeed(logins, address="198.51.100.9")


def test_requests_without_a_known_address_are_counted_under_one_shared_address(clock):
    logins = throttle(clock, per_address=Limit(2, 60))
    fail(logins, login=login_key("a@example.org"), address=None)
    fail(logins, login=login_key("b@example.org"), address=None)

    refusal(lambda: succeed(logins, login=login_key("c@example.org"), address=None))


@settings(max_examples=100, deadline=None)
@given(events=st.lists(st.tuples(st.sampled_from(["fail", "succeed"]), st.sampled_from(["a", "b"]),
                                 st.sampled_from(["10.0.0.1", "10.0.0.2"]), st.floats(min_value=0, max_value=120)),
                       max_size=60))
def test_no_login_or_address_ever_gets_more_failures_through_than_its_limit_within_a_window(events):
    """Per address: at most 4 failures let through in any 300 s. Per login: at most 3 in any 300 s since the
    login's last success (a success forgets its typos)."""
    clock = Clock()
    logins = throttle(clock, per_login=Limit(3, 300), per_address=Limit(4, 300))
    through: list[tuple[str, float, str, str]] = []  # in order: outcome, time, login, address
    for outcome, login, address, gap in events:
        clock.now += gap
        try:
            (fail if outcome == "fail" else succeed)(logins, login=login, address=address)
        except LoginThrottled:
            continue
        through.append((outcome, clock.now, login, address))

    for n, (outcome, at, login, address) in enumerate(through):
        recent = [(i, o, lo, ad) for i, (o, t, lo, ad) in enumerate(through[:n + 1]) if t > at - 300]
        assert sum(o == "fail" and ad == address for _, o, _, ad in recent) <= 4
        last_success = max((i for i, (o, _, lo, _) in enumerate(through[:n + 1]) if o == "succeed" and lo == login),
                           default=-1)
        assert sum(o == "fail" and lo == login and i > last_success for i, o, lo, _ in recent) <= 3


def test_keys_whose_failures_left_the_window_are_forgotten():
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
    assert str(refused) == f"Too many failed sign-in attempts. Try again in {said}."
    assert (refused.code, refused.http_status) == ("too_many_requests", 429)

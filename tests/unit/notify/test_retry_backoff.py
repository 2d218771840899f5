"""Backoff with full jitter: bounded by an exponential ceiling and a cap, and a fixed number of attempts."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.retry import DELIVERY_RETRY, JOB_RETRY, RetryPolicy
from services.notify.queue.topology import RETRY_BUCKETS_SECONDS, retry_queue_name, retry_route

POLICY = RetryPolicy(max_attempts=5, base_seconds=5.0, cap_seconds=30.0)
ALMOST_ONE = 0.999999


def test_the_ceiling_doubles_with_each_attempt_until_the_cap():
    assert [POLICY.ceiling(attempts) for attempts in range(1, 6)] == [5.0, 10.0, 20.0, 30.0, 30.0]


def test_full_jitter_spreads_a_delay_between_zero_and_the_ceiling():
    assert POLICY.delay(3, lambda: 0.0) == 0.0
    assert POLICY.delay(3, lambda: 0.5) == 10.0
    assert 19.99 < POLICY.delay(3, lambda: ALMOST_ONE) < 20.0


def test_no_delay_is_offered_once_the_attempts_are_used_up():
    assert POLICY.delay(4, lambda: 0.5) is not None
    assert POLICY.delay(5, lambda: 0.5) is None
    assert POLICY.exhausted(5) and not POLICY.exhausted(4)


@given(attempts=st.integers(min_value=1, max_value=10_000), draw=st.floats(min_value=0.0, max_value=ALMOST_ONE))
def test_every_delay_lies_between_zero_and_the_cap(attempts, draw):
    policy = RetryPolicy(max_attempts=20_000, base_seconds=2.0, cap_seconds=300.0)

    delay = policy.delay(attempts, lambda: draw)

    assert 0.0 <= delay <= policy.ceiling(attempts) <= 300.0


@pytest.mark.parametrize("arguments", [
    {"max_attempts": 0, "base_seconds": 1.0, "cap_seconds": 2.0},
    {"max_attempts": 3, "base_seconds": 0.0, "cap_seconds": 2.0},
    {"max_attempts": 3, "base_seconds": 5.0, "cap_seconds": 2.0},
], ids=["no attempts", "no base", "base above cap"])
def test_a_policy_that_could_never_retry_sensibly_is_refused(arguments):
    with pytest.raises(ValueError):
        RetryPolicy(**arguments)


def test_a_provider_outage_has_its_own_longer_budget():
    policy = RetryPolicy(max_attempts=3, base_seconds=5.0, cap_seconds=30.0, outage_attempts=5)

    assert policy.exhausted(3) and not policy.exhausted(3, provider_outage=True)
    assert policy.delay(4, lambda: 0.5, provider_outage=True) == 15.0
    assert policy.delay(5, lambda: 0.5, provider_outage=True) is None
    assert POLICY.exhausted(5, provider_outage=True)  # no outage budget: the same as any other failure


def test_an_outage_budget_below_the_ordinary_one_is_refused():
    with pytest.raises(ValueError, match="provider outage"):
        RetryPolicy(max_attempts=5, base_seconds=5.0, cap_seconds=30.0, outage_attempts=4)


@given(draws=st.lists(st.floats(min_value=0.0, max_value=ALMOST_ONE), min_size=8, max_size=8))
def test_the_shipped_outage_budget_waits_longer_than_the_ordinary_one_whatever_the_draws(draws):
    def waited(provider_outage: bool) -> float:
        total, attempts = 0.0, 1
        while (delay := DELIVERY_RETRY.delay(attempts, lambda: draws[attempts - 1],
                                             provider_outage=provider_outage)) is not None:
            total, attempts = total + delay, attempts + 1
        return total

    assert waited(provider_outage=True) >= waited(provider_outage=False)


def test_the_shipped_outage_budget_rides_out_a_minute_long_outage_on_average_draws():
    # A provider answering 500 for a minute: with every draw at its mean, the attempts before the outage
    # budget runs out span far more than a minute (the ordinary budget spans 37.5 s).
    average_wait = sum(0.5 * DELIVERY_RETRY.ceiling(n) for n in range(1, DELIVERY_RETRY.outage_attempts))
    ordinary_wait = sum(0.5 * DELIVERY_RETRY.ceiling(n) for n in range(1, DELIVERY_RETRY.max_attempts))
    assert ordinary_wait == 37.5 and average_wait >= 5 * 60


def test_a_retry_needs_an_attempt_before_it():
    with pytest.raises(ValueError):
        POLICY.ceiling(0)


def test_the_shipped_policies_wait_at_most_five_minutes_between_attempts():
    assert DELIVERY_RETRY.ceiling(DELIVERY_RETRY.max_attempts) <= 300.0
    assert JOB_RETRY.ceiling(JOB_RETRY.max_attempts) <= 300.0
    assert RETRY_BUCKETS_SECONDS[-1] >= 300


@given(delay=st.floats(min_value=0.0, max_value=512.0))
def test_a_retry_waits_in_the_smallest_bucket_at_least_as_long_as_its_delay(delay):
    routing_key, expiration_ms = retry_route(delay)

    bucket = next(seconds for seconds in RETRY_BUCKETS_SECONDS if retry_queue_name(seconds) == routing_key)
    assert expiration_ms == round(delay * 1000)
    # A queue expires only from its head, so a job may wait behind longer ones of its bucket: never
    # less than its delay, and less than twice it (or a second, for the shortest).
    assert expiration_ms <= bucket * 1000
    assert bucket == 1 or bucket * 1000 < 2 * expiration_ms


def test_a_delay_beyond_the_longest_bucket_is_shortened_to_it():
    assert retry_route(10_000) == (retry_queue_name(512), 512_000)

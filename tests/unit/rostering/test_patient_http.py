"""How long a throttled provider asks to wait, and how a provider that keeps failing is given up on."""
import email.utils
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from services.rostering.adapters.sources.patient_http import ATTEMPTS, Patience, throttled_for
from services.rostering.domain.errors import SourceRejected


def answer(status=429, **headers):
    response = requests.Response()
    response.status_code = status
    response.headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return response


def test_retry_after_in_seconds_wins_over_the_rate_limit_reset():
    assert throttled_for(answer(**{"Retry-After": "7", "X-RateLimit-Reset": str(int(time.time()) + 60)})) == 7.0


def test_retry_after_as_an_http_date_waits_until_then():
    when = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= throttled_for(answer(**{"Retry-After": when})) <= 30


def test_the_rate_limit_reset_is_a_unix_time_and_one_already_past_waits_nothing():
    assert 55 <= throttled_for(answer(**{"X-RateLimit-Reset": str(int(time.time()) + 60)})) <= 60
    assert throttled_for(answer(**{"X-RateLimit-Reset": str(int(time.time()) - 60)})) == 0.0


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "soon"}, {"X-RateLimit-Reset": "tomorrow"}])
def test_an_answer_that_does_not_say_how_long_falls_back_to_the_backoff(headers):
    assert throttled_for(answer(**headers)) is None


def test_throttling_and_failures_are_waited_out_then_the_answer_is_the_callers():
    answers = iter([answer(429, **{"Retry-After": "3"}), answer(503), answer(401)])
    sleeps = []
    assert Patience("the fake", sleep=sleeps.append).get(lambda: next(answers)).status_code == 401
    assert sleeps == [3.0, 2.0]


def test_a_provider_that_never_answers_is_given_up_on_with_what_it_kept_doing():
    def unreachable():
        raise requests.ConnectionError("refused")

    sleeps = []
    with pytest.raises(SourceRejected, match=f"did not answer \\(ConnectionError\\); gave up after {ATTEMPTS}"):
        Patience("the fake", sleep=sleeps.append).get(unreachable)
    assert sleeps == [1.0, 2.0, 4.0, 8.0][:ATTEMPTS - 1]

"""The rules for jobs that cannot go on: reasons in headers, which deliveries a sweep puts back, who consumes what."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.delivery import Channel
from services.notify.domain.stuck_jobs import (
    DEAD_AT_HEADER,
    DETAIL_HEADER,
    MAX_DETAIL_LENGTH,
    REASON_HEADER,
    DeadLetter,
    DeadReason,
    QueuedDelivery,
    channels_to_sweep,
    dead_letter_headers,
    dead_letter_reason,
    stuck,
    sweep_cutoff,
)
from services.notify.worker.app import channels_to_consume

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)


def test_a_dead_letter_keeps_its_headers_and_adds_its_reason_detail_and_time():
    headers = dead_letter_headers(DeadLetter(DeadReason.POISON_JOB, "communication c-1\ndoes not exist"), now=NOW,
                                  original={"x-notify-job-failures": 1, "trace": "t-1"})

    assert headers == {"trace": "t-1", "x-notify-job-failures": 1, REASON_HEADER: "poison_job",
                       DETAIL_HEADER: "communication c-1 does not exist", DEAD_AT_HEADER: NOW.isoformat()}


def test_the_failure_count_is_written_when_there_is_one():
    headers = dead_letter_headers(DeadLetter(DeadReason.RETRIES_EXHAUSTED, "boom"), now=NOW, failures=5)

    assert headers["x-notify-job-failures"] == 5


def test_a_dead_letter_needs_a_time_with_its_zone():
    with pytest.raises(ValueError):
        dead_letter_headers(DeadLetter(DeadReason.POISON_JOB, "x"), now=NOW.replace(tzinfo=None))


@given(st.text(max_size=2000))
def test_a_detail_is_one_bounded_line_whatever_the_error_said(detail):
    written = dead_letter_headers(DeadLetter(DeadReason.INVALID_JOB, detail), now=NOW)[DETAIL_HEADER]

    assert len(written) <= MAX_DETAIL_LENGTH
    assert "\n" not in written and "\r" not in written


@pytest.mark.parametrize("reason", list(DeadReason))
def test_our_reason_reads_back_from_the_headers(reason):
    headers = dead_letter_headers(DeadLetter(reason, "why"), now=NOW)

    assert dead_letter_reason(headers) == (reason, "why")


def test_the_broker_s_delivery_limit_reads_from_x_death_most_recent_first():
    headers = {"x-death": [
        {"reason": b"delivery_limit", "queue": b"notify.deliveries.sms", "count": 1},
        {"reason": "expired", "queue": "notify.deliveries.delay.4s", "count": 1},
    ]}

    assert dead_letter_reason(headers) == (DeadReason.DELIVERY_LIMIT,
                                           "handed out too many times by notify.deliveries.sms")


def test_a_rejection_without_our_reason_says_so():
    assert dead_letter_reason({"x-death": [{"reason": "rejected", "queue": "notify.deliveries.email"}]})[0] \
        is DeadReason.REJECTED


@pytest.mark.parametrize("headers", [None, {}, {"x-death": "garbled"}, {REASON_HEADER: "made_up"}])
def test_headers_without_a_known_reason_read_as_unknown(headers):
    assert dead_letter_reason(headers)[0] is DeadReason.UNKNOWN


def test_only_channels_with_no_job_waiting_are_swept():
    ready = {Channel.EMAIL: 0, Channel.SMS: 12, Channel.VOICE: None, Channel.PUSH: 0}

    assert channels_to_sweep(ready) == [Channel.EMAIL, Channel.PUSH]


def delivery(n: int, channel: Channel, minutes_ago: float) -> QueuedDelivery:
    return QueuedDelivery(f"d-{n}", "comm-1", channel, NOW - timedelta(minutes=minutes_ago))


def test_a_sweep_takes_deliveries_queued_before_the_cutoff_on_swept_channels_only():
    candidates = [delivery(1, Channel.EMAIL, 11), delivery(2, Channel.EMAIL, 9), delivery(3, Channel.SMS, 60),
                  delivery(4, Channel.EMAIL, 10)]

    swept = stuck(candidates, cutoff=sweep_cutoff(NOW, timedelta(minutes=10)), channels=[Channel.EMAIL])

    assert [d.id for d in swept] == ["d-1"]


@given(st.lists(st.tuples(st.sampled_from(list(Channel)), st.floats(min_value=0, max_value=120)), max_size=30),
       st.integers(min_value=1, max_value=60))
def test_a_swept_delivery_is_always_older_than_the_bound(rows, bound_minutes):
    cutoff = sweep_cutoff(NOW, timedelta(minutes=bound_minutes))
    candidates = [delivery(n, channel, age) for n, (channel, age) in enumerate(rows)]

    swept = stuck(candidates, cutoff=cutoff, channels=list(Channel))

    assert all(NOW - d.updated_at > timedelta(minutes=bound_minutes) for d in swept)
    assert len(swept) == sum(1 for d in candidates if d.updated_at < cutoff)


def test_the_sweep_bound_is_positive():
    with pytest.raises(ValueError):
        sweep_cutoff(NOW, timedelta(0))


@pytest.mark.parametrize(("provided", "consumed"), [
    ((), [Channel.APP]),
    ((Channel.EMAIL,), [Channel.EMAIL, Channel.APP]),
    ((Channel.SMS, Channel.VOICE, Channel.EMAIL, Channel.PUSH), list(Channel)),
])
def test_a_worker_takes_jobs_only_for_channels_it_has_a_provider_for(provided, consumed):
    assert sorted(channels_to_consume(provided)) == sorted(consumed)

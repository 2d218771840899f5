"""Which provider reports still count once a delivery has an ending: one rule per provider, whatever the order."""
from __future__ import annotations

from datetime import datetime, timezone
from itertools import product

import pytest
from hypothesis import given, settings, strategies as st

from services.notify.domain.delivery import STATUS_RANK, Channel, DeliveryStatus, Outcome, advanced_status
from services.notify.domain.outcomes import DeliveryReport
from services.notify.domain.report_order import (
    PROVIDER_OF_CHANNEL,
    Effect,
    Provider,
    ReportKind,
    effect_of,
    report_kind,
    status_after,
)
from services.notify.webhook_verdicts import judge_report, overturns
from services.notify.ports import HealthChange, PageDelivery

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
SENDGRID, TWILIO = Provider.SENDGRID, Provider.TWILIO
PROGRESS, STILL_TRYING, DELIVERED, FAILURE, REACTION = (
    ReportKind.PROGRESS, ReportKind.STILL_TRYING, ReportKind.DELIVERED, ReportKind.FAILURE, ReportKind.REACTION)
OPEN = (DeliveryStatus.PLANNED, DeliveryStatus.QUEUED, DeliveryStatus.SENT)
FAILED_ENDINGS = (DeliveryStatus.FAILED, DeliveryStatus.FELL_BACK)

# What each provider really says, by our classes: (outcome, provider code) per kind of report.
REPORTS = {
    SENDGRID: {PROGRESS: [(Outcome.ACCEPTED, "processed")],
               STILL_TRYING: [(Outcome.SOFT_BOUNCE, "deferred")],
               DELIVERED: [(Outcome.DELIVERED, "delivered")],
               FAILURE: [(Outcome.HARD_BOUNCE, "bounce/bounce"), (Outcome.HARD_BOUNCE, "dropped"),
                         (Outcome.SOFT_BOUNCE, "bounce/blocked"), (Outcome.TRANSIENT, "dropped")],
               REACTION: [(Outcome.COMPLAINT, "spamreport"), (Outcome.OPT_OUT, "unsubscribe"),
                          (Outcome.OPT_OUT, "group_unsubscribe")]},
    TWILIO: {PROGRESS: [(Outcome.ACCEPTED, None)],
             DELIVERED: [(Outcome.DELIVERED, None)],
             FAILURE: [(Outcome.TRANSIENT, "30003"), (Outcome.HARD_BOUNCE, "30006"), (Outcome.OPT_OUT, "21610"),
                       (Outcome.SOFT_BOUNCE, "30007"), (Outcome.TRANSIENT, None)]},
}
CHANNELS = {SENDGRID: [Channel.EMAIL], TWILIO: [Channel.SMS, Channel.VOICE]}


def expected_effect(provider: Provider, status: DeliveryStatus, kind: ReportKind) -> Effect:
    """The rule as the README states it, written out case by case."""
    if status is DeliveryStatus.SKIPPED or kind is STILL_TRYING:
        return Effect.IGNORE
    if kind is REACTION:
        return Effect.REACTION
    if status in OPEN:
        return Effect.APPLY
    if status is DeliveryStatus.DELIVERED and kind is FAILURE:
        return Effect.OVERTURN if provider is SENDGRID else Effect.IGNORE
    return Effect.IGNORE


@pytest.mark.parametrize("provider, status, kind", list(product(Provider, DeliveryStatus, ReportKind)))
def test_every_provider_status_and_kind_of_report_has_its_documented_effect(provider, status, kind):
    assert effect_of(provider, status, kind) is expected_effect(provider, status, kind)


@pytest.mark.parametrize("provider, kind, outcome, code", [
    (provider, kind, outcome, code) for provider, kinds in REPORTS.items()
    for kind, reports in kinds.items() for outcome, code in reports])
def test_each_providers_report_is_read_as_its_kind(provider, kind, outcome, code):
    assert report_kind(provider, outcome, code) is kind


def test_a_sendgrid_bounce_after_delivered_fails_it_and_a_twilio_failure_after_delivered_is_ignored():
    assert status_after(SENDGRID, DeliveryStatus.DELIVERED, FAILURE) is DeliveryStatus.FAILED
    assert status_after(TWILIO, DeliveryStatus.DELIVERED, FAILURE) is DeliveryStatus.DELIVERED


def test_delivered_after_a_failure_changes_nothing_for_either_provider():
    for provider, ending in product(Provider, FAILED_ENDINGS):
        assert status_after(provider, ending, DELIVERED) is ending


# --- order does not matter: any shuffle, with repeats, of what really happened ends where it did -------------

def true_histories(provider: Provider) -> list[tuple[list[ReportKind], DeliveryStatus]]:
    """Sequences of reports a provider really sends for one message, with the ending they mean."""
    if provider is TWILIO:
        return [([PROGRESS, PROGRESS, DELIVERED], DeliveryStatus.DELIVERED),
                ([PROGRESS, FAILURE], DeliveryStatus.FAILED), ([FAILURE], DeliveryStatus.FAILED),
                ([PROGRESS, PROGRESS], DeliveryStatus.SENT)]
    return [([PROGRESS, STILL_TRYING, DELIVERED], DeliveryStatus.DELIVERED),
            ([PROGRESS, DELIVERED, FAILURE], DeliveryStatus.FAILED),  # an asynchronous bounce
            ([PROGRESS, DELIVERED, REACTION], DeliveryStatus.DELIVERED),
            ([PROGRESS, STILL_TRYING, FAILURE], DeliveryStatus.FAILED), ([PROGRESS, FAILURE], DeliveryStatus.FAILED),
            ([PROGRESS, STILL_TRYING], DeliveryStatus.SENT)]


@st.composite
def arrivals(draw):
    provider = draw(st.sampled_from(list(Provider)))
    history, ending = draw(st.sampled_from(true_histories(provider)))
    repeats = [kind for kind in history for _ in range(draw(st.integers(1, 10)))]
    start = draw(st.sampled_from([DeliveryStatus.QUEUED, DeliveryStatus.SENT]))
    return provider, draw(st.permutations(repeats)), start, ending


@settings(max_examples=400, deadline=None)
@given(arrivals())
def test_shuffled_and_repeated_reports_end_where_the_true_order_ends_and_never_step_back(arrival):
    provider, kinds, status, ending = arrival
    for kind in kinds:
        after = status_after(provider, status, kind)
        assert STATUS_RANK[after] >= STATUS_RANK[status]
        if after is not status and STATUS_RANK[after] == STATUS_RANK[status]:
            # the only sideways move: SendGrid's bounce overturning delivered
            assert (provider, status, after, kind) == (SENDGRID, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED,
                                                       FAILURE)
        status = after
    assert status is ending


# --- the webhook's verdicts follow the rule ------------------------------------------------------------------

def make_delivery(channel: Channel, status: DeliveryStatus) -> PageDelivery:
    address = "gina@example.org" if channel is Channel.EMAIL else "+15555550101"
    return PageDelivery("d-1", "gina", channel, address, None, status, 1)


def every_report():
    for provider, kinds in REPORTS.items():
        for channel, (kind, reports), status in product(CHANNELS[provider], kinds.items(), DeliveryStatus):
            for outcome, code in reports:
                yield channel, status, kind, outcome, code


@pytest.mark.parametrize("channel, status, kind, outcome, code", list(every_report()))
def test_a_webhooks_verdict_moves_the_delivery_as_the_rule_says(channel, status, kind, outcome, code):
    delivery = make_delivery(channel, status)
    provider = PROVIDER_OF_CHANNEL[channel]

    verdict = judge_report(delivery, DeliveryReport("msg-1", "d-1", outcome, code, "because", NOW))

    effect = effect_of(provider, status, kind)
    if effect is Effect.IGNORE:
        assert verdict is None
        return
    assert not verdict.result.attempted
    moved = verdict.result.status if overturns(delivery, verdict) else advanced_status(status, verdict.result.status)
    assert moved is status_after(provider, status, kind)
    assert verdict.fall_back is (kind is FAILURE)
    if kind in (FAILURE, REACTION):
        assert verdict.credential is not None and verdict.credential.change is not HealthChange.DELIVERED


def test_a_late_sendgrid_bounce_marks_the_address_bad_and_falls_back():
    verdict = judge_report(make_delivery(Channel.EMAIL, DeliveryStatus.DELIVERED),
                           DeliveryReport("msg-1", "d-1", Outcome.HARD_BOUNCE, "bounce/bounce", "gone", NOW))

    assert verdict.result.status is DeliveryStatus.FAILED and verdict.fall_back
    assert verdict.credential.change is HealthChange.BAD


def test_a_twilio_undelivered_after_delivered_leaves_the_number_alone():
    delivery = make_delivery(Channel.SMS, DeliveryStatus.DELIVERED)

    assert judge_report(delivery, DeliveryReport("SM1", "d-1", Outcome.HARD_BOUNCE, "30006", "landline", NOW)) is None


def test_a_complaint_before_delivered_delivers_marks_the_address_and_sends_nothing_again():
    verdict = judge_report(make_delivery(Channel.EMAIL, DeliveryStatus.SENT),
                           DeliveryReport("msg-1", "d-1", Outcome.COMPLAINT, "spamreport", "spam", NOW))

    assert verdict.result.status is DeliveryStatus.DELIVERED and not verdict.fall_back
    assert verdict.credential.change is HealthChange.BAD

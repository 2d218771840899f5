"""What a provider's status report does to a delivery: forward only, marks, fallback, never an attempt."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.notify.domain.delivery import Channel, CredentialKind, DeliveryStatus, Outcome
from services.notify.domain.outcomes import DeliveryReport
from services.notify.webhook_verdicts import judge_report
from services.notify.ports import HealthChange, PageDelivery

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)


def make_delivery(**overrides) -> PageDelivery:
    delivery = {"id": "d-1", "person_id": "gina", "channel": Channel.EMAIL, "address": "gina@example.org",
                "label": None, "status": DeliveryStatus.SENT, "attempts": 1}
    return PageDelivery(**{**delivery, **overrides})


def make_report(outcome: Outcome, code: str | None = None, reason: str | None = "because") -> DeliveryReport:
    return DeliveryReport("msg-1", "d-1", outcome, code, reason, NOW)


def test_a_delivered_report_delivers_and_clears_the_credentials_soft_failures_without_counting_an_attempt():
    verdict = judge_report(make_delivery(), make_report(Outcome.DELIVERED, "delivered"))

    assert verdict.result.status is DeliveryStatus.DELIVERED and not verdict.result.attempted
    assert verdict.credential.change is HealthChange.DELIVERED and not verdict.fall_back


def test_a_hard_bounce_fails_the_delivery_marks_the_address_bad_with_the_reason_and_falls_back():
    verdict = judge_report(make_delivery(), make_report(Outcome.HARD_BOUNCE, "bounce/bounce", "address bounced"))

    assert verdict.result.status is DeliveryStatus.FAILED and verdict.fall_back
    assert (verdict.credential.kind, verdict.credential.address, verdict.credential.change,
            verdict.credential.reason) == (CredentialKind.EMAIL, "gina@example.org", HealthChange.BAD,
                                           "address bounced")


def test_a_complaint_after_delivery_marks_the_address_but_sends_nothing_again():
    verdict = judge_report(make_delivery(status=DeliveryStatus.DELIVERED), make_report(Outcome.COMPLAINT, "spamreport"))

    assert verdict.credential.change is HealthChange.BAD and not verdict.fall_back


def test_an_unsubscribe_opts_the_address_out():
    verdict = judge_report(make_delivery(), make_report(Outcome.OPT_OUT, "unsubscribe"))

    assert verdict.credential.change is HealthChange.OPTED_OUT


def test_a_deferral_changes_nothing_while_the_provider_keeps_trying():
    assert judge_report(make_delivery(), make_report(Outcome.SOFT_BOUNCE, "deferred")) is None


@pytest.mark.parametrize("outcome, code", [(Outcome.TRANSIENT, "30003"), (Outcome.SOFT_BOUNCE, "bounce/blocked")])
def test_a_temporary_failure_the_provider_gave_up_on_fails_counts_a_soft_failure_and_falls_back(outcome, code):
    verdict = judge_report(make_delivery(channel=Channel.SMS, address="+15555550101"), make_report(outcome, code))

    assert verdict.result.status is DeliveryStatus.FAILED and not verdict.result.attempted and verdict.fall_back
    assert (verdict.credential.kind, verdict.credential.change) == (CredentialKind.MOBILE_PHONE,
                                                                   HealthChange.SOFT_FAILURE)


def test_a_report_on_a_delivery_that_already_fell_back_changes_nothing_so_it_never_falls_back_twice():
    assert judge_report(make_delivery(status=DeliveryStatus.FELL_BACK),
                        make_report(Outcome.HARD_BOUNCE, "dropped")) is None

"""Each failure the sandbox can be told to produce, seen through notify's adapters and webhook parsers.

A refusal shows up in the receipt at once; a later failure shows up in a
signed webhook, verified and parsed as notify will do it.
"""
from __future__ import annotations

import pytest

from services.notify.adapters.providers import SendGridEmail, TwilioSms, TwilioVoice
from services.notify.domain.delivery import Channel, OutboundMessage, Outcome
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    final_sendgrid_reports,
    final_twilio_reports,
    module_receiver,
    provider_settings,
    receiver,
    sandbox,
    sandbox_process,
)


def one_sms(settings, delivery_id: str, to: str):
    channel = TwilioSms(settings)
    try:
        [receipt] = channel.send([OutboundMessage(delivery_id, Channel.SMS, to, "Field trip forms due Friday.")])
    finally:
        channel.close()
    return receipt


def one_call(settings, delivery_id: str, to: str):
    channel = TwilioVoice(settings)
    try:
        [receipt] = channel.send([OutboundMessage(delivery_id, Channel.VOICE, to, "Lockdown drill at ten.")])
    finally:
        channel.close()
    return receipt


def one_email(settings, delivery_id: str, to: str):
    [receipt] = SendGridEmail(settings).send([OutboundMessage(delivery_id, Channel.EMAIL, to, "Body", "Subject")])
    return receipt


@pytest.mark.parametrize("kind, code, expected_code, expected_outcome", [
    ("hard_bounce", None, "21211", Outcome.HARD_BOUNCE),
    ("landline", 21614, "21614", Outcome.HARD_BOUNCE),
])
def test_sms_refused_at_once_comes_back_in_the_receipt(sandbox, provider_settings, kind, code, expected_code,
                                                       expected_outcome):
    sandbox.add_rule("+15555550200", kind, code=code)

    receipt = one_sms(provider_settings, "sms-refused", "+15555550200")

    assert (receipt.outcome, receipt.provider_code, receipt.provider_message_id) == (
        expected_outcome, expected_code, None)
    assert sandbox.count(channel="sms", status="refused") == 1


@pytest.mark.parametrize("kind, code, expected_code, expected_outcome", [
    ("landline", None, "30006", Outcome.HARD_BOUNCE),
    ("block", None, "30004", Outcome.HARD_BOUNCE),
    ("undeliverable", None, "30005", Outcome.HARD_BOUNCE),
    ("transient", None, "30003", Outcome.TRANSIENT),
    ("undeliverable", 30007, "30007", Outcome.SOFT_BOUNCE),
    ("undeliverable", 30008, "30008", Outcome.TRANSIENT),
])
def test_sms_failing_after_acceptance_reports_in_a_signed_status_callback(sandbox, provider_settings, receiver,
                                                                         kind, code, expected_code,
                                                                         expected_outcome):
    number = "+15555550201"
    sandbox.add_rule(number, kind, code=code)

    receipt = one_sms(provider_settings, f"sms-{kind}-{code}", number)

    assert receipt.outcome is Outcome.ACCEPTED
    [report] = final_twilio_reports(receiver, {f"sms-{kind}-{code}"})
    assert (report.outcome, report.provider_code, report.provider_message_id) == (
        expected_outcome, expected_code, receipt.provider_message_id)


def test_transient_rule_for_one_attempt_lets_the_retry_through(sandbox, provider_settings, receiver):
    sandbox.add_rule("+15555550202", "transient", times=1)

    one_sms(provider_settings, "try-1", "+15555550202")
    one_sms(provider_settings, "try-2", "+15555550202")

    reports = {r.delivery_id: r.outcome for r in final_twilio_reports(receiver, {"try-1", "try-2"})}
    assert reports == {"try-1": Outcome.TRANSIENT, "try-2": Outcome.DELIVERED}


def test_call_to_an_invalid_number_is_refused_in_the_receipt(sandbox, provider_settings):
    sandbox.add_rule("+15555550203", "hard_bounce")

    receipt = one_call(provider_settings, "call-refused", "+15555550203")

    assert (receipt.outcome, receipt.provider_code) == (Outcome.HARD_BOUNCE, "21211")


@pytest.mark.parametrize("kind, expected_outcome", [
    ("undeliverable", Outcome.HARD_BOUNCE),
    ("block", Outcome.HARD_BOUNCE),
    ("transient", Outcome.TRANSIENT),
    ("landline", Outcome.DELIVERED),  # a landline answers calls
])
def test_call_outcomes_arrive_in_the_final_status_callback(sandbox, provider_settings, receiver, kind,
                                                           expected_outcome):
    sandbox.add_rule("+15555550204", kind)

    one_call(provider_settings, f"call-{kind}", "+15555550204")

    [report] = final_twilio_reports(receiver, {f"call-{kind}"})
    assert report.outcome is expected_outcome


@pytest.mark.parametrize("kind, expected_outcomes, expected_code", [
    ("hard_bounce", [Outcome.HARD_BOUNCE], "bounce/bounce"),
    ("undeliverable", [Outcome.HARD_BOUNCE], "bounce/bounce"),
    ("block", [Outcome.SOFT_BOUNCE], "bounce/blocked"),
    ("transient", [Outcome.SOFT_BOUNCE], "deferred"),
    ("spam_report", [Outcome.DELIVERED, Outcome.COMPLAINT], "spamreport"),
    ("stop_reply", [Outcome.DELIVERED, Outcome.OPT_OUT], "unsubscribe"),
])
def test_email_failures_arrive_as_signed_sendgrid_events(sandbox, provider_settings, receiver, kind,
                                                        expected_outcomes, expected_code):
    sandbox.add_rule("dana.reyes@example.org", kind)

    receipt = one_email(provider_settings, f"email-{kind}", "dana.reyes@example.org")

    assert receipt.outcome is Outcome.ACCEPTED
    reports = final_sendgrid_reports(receiver, sandbox.sendgrid_public_key(), {f"email-{kind}"},
                                     events=len(expected_outcomes))
    assert [r.outcome for r in reports] == expected_outcomes
    assert reports[-1].provider_code == expected_code


def test_email_to_an_address_that_bounced_before_is_dropped(sandbox, provider_settings, receiver):
    sandbox.add_rule("gone@example.org", "hard_bounce")
    one_email(provider_settings, "first", "gone@example.org")
    one_email(provider_settings, "second", "gone@example.org")

    reports = {r.delivery_id: r for r in final_sendgrid_reports(receiver, sandbox.sendgrid_public_key(),
                                                                {"first", "second"})}

    assert reports["second"].outcome is Outcome.HARD_BOUNCE
    assert reports["second"].provider_code == "dropped"
    assert "Bounced Address" in reports["second"].reason


def test_an_invalid_address_bounces_alone_and_the_rest_of_the_batch_is_sent(sandbox, provider_settings):
    messages = [OutboundMessage(f"m-{n}", Channel.EMAIL, to, "Body", "Subject")
                for n, to in enumerate(["ana@example.org", "not an address", "bo@example.org"])]

    receipts = {r.delivery_id: r for r in SendGridEmail(provider_settings).send(messages)}

    assert receipts["m-1"].outcome is Outcome.HARD_BOUNCE and receipts["m-1"].provider_code == "400"
    assert receipts["m-0"].outcome is receipts["m-2"].outcome is Outcome.ACCEPTED
    assert sandbox.stats()["requests"] == {"sendgrid_mail_send": 2}
    assert sorted(m["to"] for m in sandbox.messages(channel="email")) == ["ana@example.org", "bo@example.org"]

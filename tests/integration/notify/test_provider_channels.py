"""notify's provider channels on the real SDKs, against the sandbox: what is sent and what comes back."""
from __future__ import annotations

import pytest

from services.notify.adapters.providers import SendGridEmail, TwilioSms, TwilioVoice, provider_channels
from services.notify.adapters.webhooks import SENDGRID_EVENTS_PATH
from services.notify.domain.delivery import Channel, OutboundMessage, Outcome
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    FROM_EMAIL,
    FROM_NUMBER,
    final_sendgrid_reports,
    final_twilio_reports,
    module_receiver,
    provider_settings,
    receiver,
    sandbox,
    sandbox_process,
    sendgrid_reports,
)


def sms(delivery_id: str, to: str, body: str = "For Dennis: school closes at noon today.") -> OutboundMessage:
    return OutboundMessage(delivery_id, Channel.SMS, to, body)


def email(delivery_id: str, to: str, subject: str = "Snow day", body: str = "No school tomorrow.") -> OutboundMessage:
    return OutboundMessage(delivery_id, Channel.EMAIL, to, body, subject)


@pytest.fixture
def twilio_sms(provider_settings):
    channel = TwilioSms(provider_settings)
    yield channel
    channel.close()


def test_sms_is_recorded_by_the_sandbox_with_one_accepted_receipt_per_message(sandbox, twilio_sms):
    receipts = twilio_sms.send([sms("d-1", "+15555550101"), sms("d-2", "+15555550102")])

    assert [(r.delivery_id, r.outcome) for r in receipts] == [("d-1", Outcome.ACCEPTED), ("d-2", Outcome.ACCEPTED)]
    recorded = {m["provider_message_id"]: m for m in sandbox.messages(channel="sms")}
    assert set(recorded) == {r.provider_message_id for r in receipts}
    first = recorded[receipts[0].provider_message_id]
    assert (first["to"], first["from"], first["body"]) == (
        "+15555550101", FROM_NUMBER, "For Dennis: school closes at noon today.")


def test_sms_status_callbacks_arrive_signed_and_map_back_to_the_delivery(sandbox, twilio_sms, receiver):
    [receipt] = twilio_sms.send([sms("delivery-42", "+15555550103")])

    [report] = final_twilio_reports(receiver, {"delivery-42"})
    assert report.provider_message_id == receipt.provider_message_id
    assert report.outcome is Outcome.DELIVERED


def test_voice_call_speaks_the_message_and_reports_completion(sandbox, provider_settings, receiver):
    voice = TwilioVoice(provider_settings)
    try:
        [receipt] = voice.send([OutboundMessage("call-1", Channel.VOICE, "+15555550104",
                                                "Priority: the school is closed today & tomorrow.")])
    finally:
        voice.close()

    assert receipt.outcome is Outcome.ACCEPTED and receipt.provider_message_id.startswith("CA")
    [call] = sandbox.messages(channel="voice")
    assert call["body"] == "Priority: the school is closed today & tomorrow."
    assert call["twiml"] == "<Response><Say>Priority: the school is closed today &amp; tomorrow.</Say></Response>"
    [report] = final_twilio_reports(receiver, {"call-1"})
    assert report.outcome is Outcome.DELIVERED


def test_email_is_recorded_per_recipient_with_subject_body_and_sender(sandbox, provider_settings):
    receipts = SendGridEmail(provider_settings).send([email("e-1", "ana@example.org"), email("e-2", "bo@example.org")])

    assert {r.outcome for r in receipts} == {Outcome.ACCEPTED}
    recorded = sandbox.messages(channel="email")
    assert sorted(m["to"] for m in recorded) == ["ana@example.org", "bo@example.org"]
    assert {(m["from"], m["subject"], m["body"]) for m in recorded} == {(FROM_EMAIL, "Snow day", "No school tomorrow.")}


def test_email_batches_one_request_per_thousand_recipients_and_one_receipt_per_message(sandbox, provider_settings):
    messages = [email(f"e-{n}", f"guardian{n}@example.org") for n in range(2500)]

    receipts = SendGridEmail(provider_settings).send(messages)

    assert sandbox.stats()["requests"] == {"sendgrid_mail_send": 3}
    assert sorted(r.delivery_id for r in receipts) == sorted(m.delivery_id for m in messages)
    assert {r.outcome for r in receipts} == {Outcome.ACCEPTED}
    assert len({r.provider_message_id for r in receipts}) == 3  # X-Message-Id ties each request's batch
    assert sandbox.count(channel="email") == 2500


def test_emails_with_different_content_go_in_separate_requests(sandbox, provider_settings):
    receipts = SendGridEmail(provider_settings).send([
        email("e-1", "ana@example.org"), email("e-2", "bo@example.org", body="Bring boots."),
        email("e-3", "cy@example.org")])

    assert sandbox.stats()["requests"] == {"sendgrid_mail_send": 2}
    assert len(receipts) == 3
    bodies = {m["to"]: m["body"] for m in sandbox.messages(channel="email")}
    assert bodies == {"ana@example.org": "No school tomorrow.", "bo@example.org": "Bring boots.",
                      "cy@example.org": "No school tomorrow."}


def test_email_events_arrive_signed_and_carry_each_delivery_id(sandbox, provider_settings, receiver):
    messages = [email(f"events-{n}", f"parent{n}@example.org") for n in range(5)]
    receipts = SendGridEmail(provider_settings).send(messages)

    reports = final_sendgrid_reports(receiver, sandbox.sendgrid_public_key(), {m.delivery_id for m in messages})

    assert sorted(r.delivery_id for r in reports) == [m.delivery_id for m in messages]
    assert {r.outcome for r in reports} == {Outcome.DELIVERED}
    batch_id = receipts[0].provider_message_id
    assert all(r.provider_message_id.startswith(batch_id + ".") for r in reports)
    accepted = [r for r in sendgrid_reports(receiver.received(SENDGRID_EVENTS_PATH), sandbox.sendgrid_public_key())
                if r.outcome is Outcome.ACCEPTED and r.delivery_id.startswith("events-")]
    assert len(accepted) == 5  # one `processed` each


def test_provider_channels_builds_one_channel_per_configured_provider(provider_settings):
    channels = provider_channels(provider_settings)

    assert set(channels) == {Channel.EMAIL, Channel.SMS, Channel.VOICE}
    assert all(channel.channel is kind for kind, channel in channels.items())
    assert channels[Channel.EMAIL].max_batch == 1000


def test_sms_of_a_batch_and_of_later_batches_share_one_keep_alive_connection(sandbox, twilio_sms):
    twilio_sms.send([sms("warm-up", "+15555550120")])  # the channel's connection is open from here on
    before = sandbox.stats()["connections"]

    for batch in range(3):
        receipts = twilio_sms.send([sms(f"b{batch}-{n}", f"+155555502{batch}{n}") for n in range(10)])
        assert {r.outcome for r in receipts} == {Outcome.ACCEPTED}

    # The test's own sandbox client keeps its connection too: nobody opened a new one.
    assert sandbox.stats()["connections"] == before


def test_sms_tells_each_answer_before_the_next_request_goes_out(sandbox, twilio_sms):
    heard = []

    receipts = twilio_sms.send([sms("d-1", "+15555550105"), sms("d-2", "+15555550106")],
                               lambda answers: heard.append(([a.delivery_id for a in answers], sandbox.count("sms"))))

    # Each answer is told while the sandbox holds only the messages sent so far: before the next request.
    assert heard == [(["d-1"], 1), (["d-2"], 2)]
    assert [r.delivery_id for r in receipts] == ["d-1", "d-2"]


def test_email_tells_the_answers_of_each_request_as_it_returns(sandbox, provider_settings):
    heard = []

    SendGridEmail(provider_settings).send(
        [email("e-1", "ana@example.org"), email("e-2", "bo@example.org", body="Bring boots."),
         email("e-3", "cy@example.org")],
        lambda answers: heard.append((sorted(a.delivery_id for a in answers), sandbox.count("email"))))

    assert heard == [(["e-1", "e-3"], 2), (["e-2"], 3)]

"""STOP and START from a handset: the signed inbound webhook, then Twilio's 21610 refusals until START."""
from __future__ import annotations

from services.notify.adapters.providers import TwilioSms
from services.notify.adapters.webhooks import TWILIO_INBOUND_PATH
from services.notify.domain.delivery import Channel, OutboundMessage, Outcome
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    FROM_NUMBER,
    inbound_messages,
    module_receiver,
    provider_settings,
    receiver,
    sandbox,
    sandbox_process,
)

PARENT = "+15555550300"


def send_sms(settings, delivery_id: str):
    channel = TwilioSms(settings)
    try:
        [receipt] = channel.send([OutboundMessage(delivery_id, Channel.SMS, PARENT, "Conferences next week.")])
    finally:
        channel.close()
    return receipt


def test_stop_rule_texts_stop_to_our_number_in_a_signed_inbound_webhook(sandbox, provider_settings, receiver):
    send_sms(provider_settings, "before-stop")

    sandbox.add_rule(PARENT, "stop_reply")

    [webhook] = receiver.wait_for(lambda got: len(got) == 1, TWILIO_INBOUND_PATH)
    [inbound] = inbound_messages([webhook])
    assert (inbound.from_, inbound.to, inbound.body, inbound.keyword) == (PARENT, FROM_NUMBER, "STOP", "opt_out")
    assert webhook.form["OptOutType"] == "STOP"


def test_after_stop_every_sms_is_refused_as_an_opt_out(sandbox, provider_settings):
    sandbox.add_rule(PARENT, "stop_reply")

    first, second = send_sms(provider_settings, "after-stop-1"), send_sms(provider_settings, "after-stop-2")

    assert (first.outcome, first.provider_code) == (Outcome.OPT_OUT, "21610")
    assert (second.outcome, second.provider_code) == (Outcome.OPT_OUT, "21610")


def test_start_from_the_handset_opts_back_in(sandbox, provider_settings, receiver):
    sandbox.send_inbound_sms(PARENT, FROM_NUMBER, "stop")
    assert send_sms(provider_settings, "while-stopped").outcome is Outcome.OPT_OUT

    sandbox.send_inbound_sms(PARENT, FROM_NUMBER, "Start")

    assert send_sms(provider_settings, "after-start").outcome is Outcome.ACCEPTED
    webhooks = receiver.wait_for(lambda got: len(got) == 2, TWILIO_INBOUND_PATH)
    # two webhooks in flight at once may arrive in either order, as Twilio's may
    assert sorted(message.keyword for message in inbound_messages(webhooks)) == ["opt_in", "opt_out"]


def test_an_ordinary_reply_is_forwarded_without_a_keyword(sandbox, receiver):
    sandbox.send_inbound_sms(PARENT, FROM_NUMBER, "Stop by the office at 3?")

    [inbound] = inbound_messages(receiver.wait_for(lambda got: len(got) == 1, TWILIO_INBOUND_PATH))
    assert inbound.keyword is None
    assert inbound.body == "Stop by the office at 3?"

"""Turning verified provider webhooks into DeliveryReport and InboundSms values."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from services.notify.adapters.webhooks import (
    MalformedWebhook,
    parse_sendgrid_events,
    parse_twilio_inbound,
    parse_twilio_status,
)
from services.notify.domain.delivery import Outcome
from services.notify.domain.outcomes import DeliveryReport, InboundSms

RECEIVED_AT = datetime(2026, 1, 12, 15, 30, tzinfo=timezone.utc)
STATUS_URL = "https://notify.example.org/webhooks/twilio/status?delivery_id=d-7"
MESSAGE_SID = "SM" + "b" * 32
CALL_SID = "CA" + "c" * 32


def message_callback(**overrides: str) -> dict[str, str]:
    return {"MessageSid": MESSAGE_SID, "SmsSid": MESSAGE_SID, "MessageStatus": "delivered", "SmsStatus": "delivered",
            "To": "+15555550100", "From": "+15005550006", "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01",
            **overrides}


def sendgrid_event(**overrides: object) -> dict:
    return {"email": "ana@example.org", "timestamp": 1767225600, "event": "delivered",
            "sg_event_id": "evt", "sg_message_id": "X1.recvd-1-0.0", "delivery_id": "d-1", **overrides}


def test_delivered_message_callback_becomes_a_delivered_report_for_the_delivery_in_the_url():
    report = parse_twilio_status(STATUS_URL, message_callback(), received_at=RECEIVED_AT)

    assert report == DeliveryReport(MESSAGE_SID, "d-7", Outcome.DELIVERED, None, "delivered to the handset",
                                    RECEIVED_AT)


def test_undelivered_message_callback_carries_its_error_code_and_class():
    report = parse_twilio_status(STATUS_URL, message_callback(MessageStatus="undelivered", SmsStatus="undelivered",
                                                              ErrorCode="30006"), received_at=RECEIVED_AT)

    assert (report.outcome, report.provider_code, report.reason) == (
        Outcome.HARD_BOUNCE, "30006", "landline or unreachable carrier")


def test_sent_callback_is_an_accepted_report():
    report = parse_twilio_status(STATUS_URL, message_callback(MessageStatus="sent"), received_at=RECEIVED_AT)

    assert report.outcome is Outcome.ACCEPTED


def test_callback_without_delivery_id_in_its_url_maps_by_provider_message_id_only():
    report = parse_twilio_status("https://notify.example.org/webhooks/twilio/status", message_callback())

    assert (report.delivery_id, report.provider_message_id) == (None, MESSAGE_SID)
    assert report.occurred_at.tzinfo is not None


def test_an_unknown_message_status_gives_no_report():
    assert parse_twilio_status(STATUS_URL, message_callback(MessageStatus="partially_delivered")) is None


def test_call_callback_is_classified_by_call_status_and_timed_by_its_timestamp():
    params = {"CallSid": CALL_SID, "CallStatus": "no-answer", "AccountSid": "AC" + "0" * 32,
              "Timestamp": "Mon, 12 Jan 2026 15:29:58 +0000"}

    report = parse_twilio_status(STATUS_URL, params, received_at=RECEIVED_AT)

    assert (report.provider_message_id, report.outcome) == (CALL_SID, Outcome.TRANSIENT)
    assert report.occurred_at == datetime(2026, 1, 12, 15, 29, 58, tzinfo=timezone.utc)


def test_a_status_callback_naming_neither_message_nor_call_is_malformed():
    with pytest.raises(MalformedWebhook):
        parse_twilio_status(STATUS_URL, {"AccountSid": "AC" + "0" * 32})


def test_inbound_stop_becomes_an_opt_out_for_that_number():
    inbound = parse_twilio_inbound({"From": "+15555550100", "To": "+15005550006", "Body": "Stop",
                                    "MessageSid": MESSAGE_SID})

    assert inbound == InboundSms(from_="+15555550100", to="+15005550006", body="Stop", keyword="opt_out")


def test_inbound_reply_keeps_its_body_without_a_keyword():
    inbound = parse_twilio_inbound({"From": "+15555550100", "To": "+15005550006", "Body": "See you at 3"})

    assert (inbound.body, inbound.keyword) == ("See you at 3", None)


def test_inbound_without_a_sender_is_malformed():
    with pytest.raises(MalformedWebhook, match="From"):
        parse_twilio_inbound({"To": "+15005550006", "Body": "STOP"})


def test_sendgrid_batch_becomes_one_report_per_delivery_event_in_order():
    body = json.dumps([
        sendgrid_event(event="processed"),
        sendgrid_event(),
        sendgrid_event(event="open"),
        sendgrid_event(event="bounce", type="bounce", status="5.1.1", reason="550 5.1.1 no such user",
                       delivery_id="d-2", sg_message_id="X1.recvd-1-1.0"),
    ])

    reports = parse_sendgrid_events(body)

    assert [(r.delivery_id, r.outcome) for r in reports] == [
        ("d-1", Outcome.ACCEPTED), ("d-1", Outcome.DELIVERED), ("d-2", Outcome.HARD_BOUNCE)]
    bounce = reports[-1]
    assert (bounce.provider_message_id, bounce.provider_code) == ("X1.recvd-1-1.0", "bounce/bounce")
    assert bounce.reason == "address bounced: 550 5.1.1 no such user"
    assert bounce.occurred_at == datetime.fromtimestamp(1767225600, timezone.utc)


def test_sendgrid_deferred_event_keeps_the_servers_response_as_reason():
    [report] = parse_sendgrid_events(json.dumps([sendgrid_event(event="deferred", response="452 mailbox full")]))

    assert (report.outcome, report.reason) == (Outcome.SOFT_BOUNCE, "receiving server deferred the message: "
                                                                    "452 mailbox full")


def test_sendgrid_dropped_event_is_classified_by_its_reason():
    [report] = parse_sendgrid_events(json.dumps([sendgrid_event(event="dropped", reason="Unsubscribed Address")]))

    assert (report.outcome, report.provider_code) == (Outcome.OPT_OUT, "dropped")


def test_sendgrid_event_without_our_custom_arg_has_no_delivery_id():
    event = sendgrid_event()
    del event["delivery_id"]

    [report] = parse_sendgrid_events(json.dumps([event]))

    assert report.delivery_id is None


def test_sendgrid_event_without_a_message_id_is_skipped():
    event = sendgrid_event()
    del event["sg_message_id"]

    assert parse_sendgrid_events(json.dumps([event])) == []


@pytest.mark.parametrize("body", [b"not json", b'{"event": "delivered"}', b"\xff\xfe"])
def test_a_sendgrid_body_that_is_not_a_json_array_is_malformed(body):
    with pytest.raises(MalformedWebhook):
        parse_sendgrid_events(body)


def test_a_sendgrid_event_without_a_timestamp_is_malformed():
    event = sendgrid_event()
    del event["timestamp"]

    with pytest.raises(MalformedWebhook, match="timestamp"):
        parse_sendgrid_events(json.dumps([event]))

"""The provider outcome table, row by row, and the rules that pick a row."""
from __future__ import annotations

import pytest

from services.notify.domain.delivery import Outcome
from services.notify.domain.outcomes import (
    OUTCOME_TABLE,
    Source,
    inbound_keyword,
    sendgrid_event_outcome,
    sendgrid_http_outcome,
    sendgrid_invalid_address,
    twilio_call_status_outcome,
    twilio_error_outcome,
    twilio_message_status_outcome,
)

HARD, SOFT, COMPLAINT, OPT_OUT, TRANSIENT = (
    Outcome.HARD_BOUNCE, Outcome.SOFT_BOUNCE, Outcome.COMPLAINT, Outcome.OPT_OUT, Outcome.TRANSIENT)


@pytest.mark.parametrize("code, outcome", [
    (21211, HARD),  # invalid 'To' number
    (21214, HARD),
    (21217, HARD),
    (21401, HARD),
    (21407, HARD),
    (21612, HARD),
    (21614, HARD),  # not a mobile number: landline
    (21610, OPT_OUT),  # the recipient texted STOP
    (30003, TRANSIENT),  # handset unreachable
    (30004, HARD),  # blocked
    (30005, HARD),  # unknown or inactive number
    (30006, HARD),  # landline or unreachable carrier
    (30007, SOFT),  # carrier filtered our content: retried, a pattern turns bad
    (30008, TRANSIENT),  # unknown error
    (30001, TRANSIENT),
    (30017, TRANSIENT),
    (30022, TRANSIENT),
    (20429, TRANSIENT),
    (20003, TRANSIENT),  # our credentials: never the parent's fault
    (21606, TRANSIENT),
    (21408, TRANSIENT),
    (30002, TRANSIENT),
    (30034, TRANSIENT),
])
def test_twilio_error_code_maps_to_its_class(code, outcome):
    assert twilio_error_outcome(code).outcome is outcome
    assert twilio_error_outcome(str(code)).outcome is outcome


def test_every_twilio_error_row_is_covered_by_the_row_test():
    tested = {"21211", "21214", "21217", "21401", "21407", "21612", "21614", "21610", "30003", "30004", "30005",
              "30006", "30007", "30008", "30001", "30017", "30022", "20429", "20003", "21606", "21408", "30002",
              "30034"}
    assert {key for source, key in OUTCOME_TABLE if source is Source.TWILIO_ERROR} == tested


def test_an_unknown_twilio_code_is_transient_and_names_the_code():
    row = twilio_error_outcome(39999)

    assert row.outcome is TRANSIENT
    assert "39999" in row.reason


def test_a_missing_twilio_code_is_transient():
    assert twilio_error_outcome(None).outcome is TRANSIENT


@pytest.mark.parametrize("status, outcome", [
    ("accepted", Outcome.ACCEPTED),
    ("scheduled", Outcome.ACCEPTED),
    ("queued", Outcome.ACCEPTED),
    ("sending", Outcome.ACCEPTED),
    ("sent", Outcome.ACCEPTED),
    ("delivered", Outcome.DELIVERED),
    ("read", Outcome.DELIVERED),
    ("undelivered", TRANSIENT),  # without an error code there is nothing to hold against the number
    ("failed", TRANSIENT),
    ("canceled", TRANSIENT),
])
def test_twilio_message_status_without_error_code_maps_to_its_class(status, outcome):
    assert twilio_message_status_outcome(status).outcome is outcome


@pytest.mark.parametrize("status, code, outcome", [
    ("undelivered", "30005", HARD),
    ("undelivered", "30003", TRANSIENT),
    ("failed", "30006", HARD),
    ("failed", "21610", OPT_OUT),
    ("undelivered", "30007", SOFT),
])
def test_failed_twilio_message_is_classified_by_its_error_code(status, code, outcome):
    assert twilio_message_status_outcome(status, code).outcome is outcome


def test_a_delivered_message_stays_delivered_whatever_error_code_rides_along():
    assert twilio_message_status_outcome("delivered", "30008").outcome is Outcome.DELIVERED


def test_an_unknown_twilio_message_status_is_ignored():
    assert twilio_message_status_outcome("partially_delivered") is None


@pytest.mark.parametrize("status, outcome", [
    ("queued", Outcome.ACCEPTED),
    ("initiated", Outcome.ACCEPTED),
    ("ringing", Outcome.ACCEPTED),
    ("in-progress", Outcome.ACCEPTED),
    ("completed", Outcome.DELIVERED),
    ("busy", TRANSIENT),
    ("no-answer", TRANSIENT),
    ("canceled", TRANSIENT),
    ("failed", HARD),
])
def test_twilio_call_status_maps_to_its_class(status, outcome):
    assert twilio_call_status_outcome(status).outcome is outcome


def test_a_failed_call_with_an_error_code_is_classified_by_the_code():
    assert twilio_call_status_outcome("failed", "30003").outcome is TRANSIENT


@pytest.mark.parametrize("event, fields, outcome", [
    ("processed", {}, Outcome.ACCEPTED),
    ("delivered", {}, Outcome.DELIVERED),
    ("deferred", {}, SOFT),
    ("bounce", {"bounce_type": "bounce"}, HARD),
    ("bounce", {}, HARD),  # older events without a type are bounces
    ("bounce", {"bounce_type": "blocked"}, HARD),  # the brief: blocked is permanent
    ("bounce", {"bounce_type": "blocked", "bounce_classification": "Content"}, SOFT),
    ("bounce", {"bounce_type": "blocked", "bounce_classification": "Reputation"}, SOFT),
    ("bounce", {"bounce_type": "blocked", "bounce_classification": "Invalid Address"}, HARD),
    ("bounce", {"bounce_type": "blocked", "bounce_classification": "Mailbox Unavailable"}, HARD),
    ("dropped", {}, HARD),
    ("dropped", {"reason": "Bounced Address"}, HARD),
    ("dropped", {"reason": "Invalid"}, HARD),
    ("dropped", {"reason": "Spam Reporting Address"}, COMPLAINT),
    ("dropped", {"reason": "Unsubscribed Address"}, OPT_OUT),
    ("dropped", {"reason": "Spam Content"}, TRANSIENT),
    ("dropped", {"reason": "Invalid SMTPAPI header"}, TRANSIENT),
    ("dropped", {"reason": "Recipient List over Package Quota"}, TRANSIENT),
    ("dropped", {"reason": "Something new"}, HARD),
    ("spamreport", {}, COMPLAINT),
    ("unsubscribe", {}, OPT_OUT),
    ("group_unsubscribe", {}, OPT_OUT),
])
def test_sendgrid_event_maps_to_its_class(event, fields, outcome):
    assert sendgrid_event_outcome(event, **fields).outcome is outcome


@pytest.mark.parametrize("event", ["open", "click", "group_resubscribe", "brand_new_event"])
def test_sendgrid_engagement_events_say_nothing_about_delivery(event):
    assert sendgrid_event_outcome(event) is None


@pytest.mark.parametrize("status, outcome", [
    (401, TRANSIENT), (403, TRANSIENT), (413, TRANSIENT), (429, TRANSIENT), (400, TRANSIENT), (500, TRANSIENT),
    (503, TRANSIENT),
])
def test_a_refused_sendgrid_request_never_marks_its_recipients_bad(status, outcome):
    assert sendgrid_http_outcome(status).outcome is outcome


def test_an_address_sendgrid_names_as_invalid_is_a_hard_bounce():
    assert sendgrid_invalid_address().outcome is HARD


def test_every_row_has_a_reason_to_show_on_profiles():
    assert all(row.reason for row in OUTCOME_TABLE.values())


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "Cancel", "END", "quit",
                                  "STOP.", "stop!"])
def test_opt_out_keywords_opt_the_number_out(body):
    assert inbound_keyword(body) == "opt_out"


@pytest.mark.parametrize("body", ["START", "start", "Yes", "UNSTOP", " yes. "])
def test_opt_in_keywords_opt_the_number_back_in(body):
    assert inbound_keyword(body) == "opt_in"


@pytest.mark.parametrize("body", ["", "Please stop sending these", "STOP IT", "stopping by later", "HELP", "Yes please",
                                  "START-UP"])
def test_anything_but_a_keyword_alone_is_an_ordinary_reply(body):
    assert inbound_keyword(body) is None

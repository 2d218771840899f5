"""The sandbox's rules: which rules it accepts and the fate of each send they touch."""
from __future__ import annotations

import pytest

from services.sandbox.rules import (
    EmailFate,
    RuleBook,
    RuleError,
    RuleKind,
    TwilioFate,
    make_rule,
)

PHONE = "+15555550100"
EMAIL = "dana.reyes@example.org"


def book_with(address: str, kind: str, **options) -> RuleBook:
    book = RuleBook()
    book.add(make_rule(address, kind, **options))
    return book


def test_rule_addresses_are_normalised_so_emails_match_in_any_case():
    rule = make_rule("  Dana.Reyes@Example.ORG ", "hard_bounce")

    assert rule.address == EMAIL
    assert book_with("Dana.Reyes@Example.ORG", "hard_bounce").email_fate("DANA.REYES@example.org").event == "bounce"


@pytest.mark.parametrize("address, kind, options, message", [
    ("", "hard_bounce", {}, "address is required"),
    (PHONE, "nonsense", {}, "kind must be one of"),
    (EMAIL, "landline", {}, "does not apply to an email"),
    (PHONE, "spam_report", {}, "does not apply to a phone"),
    (PHONE, "transient", {"times": 0}, "times must be a positive"),
    (PHONE, "transient", {"times": True}, "times must be a positive"),
    (EMAIL, "transient", {"code": 30003}, "phone numbers only"),
    (PHONE, "undeliverable", {"code": 40000}, "21xxx"),
])
def test_rules_that_cannot_apply_are_refused_with_a_reason(address, kind, options, message):
    with pytest.raises(RuleError, match=message):
        make_rule(address, kind, **options)


def test_a_number_without_rules_gets_delivered_sms_and_completed_calls():
    book = RuleBook()

    assert book.sms_fate(PHONE) == TwilioFate(final_status="delivered")
    assert book.call_fate(PHONE) == TwilioFate(final_status="completed")
    assert book.email_fate(EMAIL) == EmailFate("delivered")


@pytest.mark.parametrize("kind, code, expected", [
    ("hard_bounce", None, TwilioFate(refusal_code=21211)),
    ("landline", None, TwilioFate(final_status="undelivered", error_code=30006)),
    ("landline", 21614, TwilioFate(refusal_code=21614)),
    ("block", None, TwilioFate(final_status="undelivered", error_code=30004)),
    ("transient", None, TwilioFate(final_status="undelivered", error_code=30003)),
    ("undeliverable", None, TwilioFate(final_status="undelivered", error_code=30005)),
    ("undeliverable", 30007, TwilioFate(final_status="undelivered", error_code=30007)),
])
def test_sms_fate_follows_the_rule_21xxx_refused_at_once_30xxx_failed_later(kind, code, expected):
    assert book_with(PHONE, kind, code=code).sms_fate(PHONE) == expected


@pytest.mark.parametrize("kind, expected", [
    ("hard_bounce", TwilioFate(refusal_code=21211)),
    ("block", TwilioFate(final_status="failed")),
    ("transient", TwilioFate(final_status="no-answer")),
    ("undeliverable", TwilioFate(final_status="failed")),
    ("landline", TwilioFate(final_status="completed")),
    ("stop_reply", TwilioFate(final_status="completed")),
])
def test_call_fate_follows_the_rule(kind, expected):
    assert book_with(PHONE, kind).call_fate(PHONE) == expected


@pytest.mark.parametrize("kind, event, bounce_type", [
    ("hard_bounce", "bounce", "bounce"),
    ("undeliverable", "bounce", "bounce"),
    ("block", "bounce", "blocked"),
    ("transient", "deferred", None),
    ("spam_report", "spamreport", None),
    ("stop_reply", "unsubscribe", None),
])
def test_email_fate_follows_the_rule(kind, event, bounce_type):
    fate = book_with(EMAIL, kind).email_fate(EMAIL)

    assert (fate.event, fate.bounce_type) == (event, bounce_type)


def test_a_rule_for_n_times_fails_n_sends_then_lets_them_through():
    book = book_with(PHONE, "transient", times=2)

    fates = [book.sms_fate(PHONE).final_status for _ in range(3)]

    assert fates == ["undelivered", "undelivered", "delivered"]
    assert book.rules() == []


def test_stop_reply_opts_the_number_out_until_it_opts_back_in():
    book = book_with(PHONE, "stop_reply")

    assert book.sms_fate(PHONE).refusal_code == 21610
    book.set_opted_out(PHONE, False)
    assert book.sms_fate(PHONE).refusal_code is None


@pytest.mark.parametrize("kind, reason", [
    ("hard_bounce", "Bounced Address"),
    ("spam_report", "Spam Reporting Address"),
    ("stop_reply", "Unsubscribed Address"),
])
def test_an_address_that_bounced_complained_or_unsubscribed_is_dropped_afterwards(kind, reason):
    book = book_with(EMAIL, kind, times=1)
    book.email_fate(EMAIL)

    assert book.email_fate(EMAIL) == EmailFate("dropped", status="5.0.0", reason=reason)


@pytest.mark.parametrize("kind", ["block", "transient"])
def test_blocks_and_deferrals_do_not_suppress_the_address(kind):
    book = book_with(EMAIL, kind, times=1)
    book.email_fate(EMAIL)

    assert book.email_fate(EMAIL).event == "delivered"


def test_clear_forgets_rules_opt_outs_and_suppressions():
    book = book_with(PHONE, "stop_reply")
    book.add(make_rule(EMAIL, "hard_bounce"))
    book.email_fate(EMAIL)

    book.clear()

    assert (book.rules(), book.is_opted_out(PHONE), book.email_fate(EMAIL).event) == ([], False, "delivered")


def test_every_kind_gives_a_fate_twilio_or_sendgrid_could_report_wherever_it_applies():
    for kind in RuleKind:
        for address in (PHONE, EMAIL):
            try:
                book = book_with(address, kind)
            except RuleError:
                continue
            if "@" in address:
                assert book.email_fate(address).event in {"bounce", "deferred", "spamreport", "unsubscribe"}
                continue
            sms, call = book.sms_fate(address), book.call_fate(address)
            assert sms.refusal_code is not None or sms.final_status in {"delivered", "undelivered"}
            assert call.refusal_code is not None or call.final_status in {"completed", "failed", "no-answer"}

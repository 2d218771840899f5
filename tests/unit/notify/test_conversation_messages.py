"""A conversation message on each channel: rows M1-M4 over every situation, the Reply-To, quoted history."""
from __future__ import annotations

import itertools

from services.notify.domain import email_replies
from services.notify.domain.conversations import message_request
from services.notify.domain.delivery import Channel, Communication, CredentialState, Preference
from services.notify.domain.messages import compose
from services.notify.domain.planned_rows import planned_rows
from tests.unit.notify.planner_builders import make_recipient

STATES = (None, *CredentialState)


def _every_situation():
    for is_student, enabled, joined, preference, email, mobile, default in itertools.product(
            (False, True), (False, True), (False, True), (None, *Preference), STATES, STATES,
            (Preference.EMAIL_APP, Preference.SMS_APP)):
        yield default, make_recipient(
            is_student=is_student, student_account_enabled=enabled, joined=joined, preference=preference,
            email="a@example.org" if email else None, email_state=email or CredentialState.GOOD,
            mobile_phone="+15555550101" if mobile else None, mobile_state=mobile or CredentialState.GOOD,
            mobile_shared_with=1)


def test_m1_to_m4_over_every_situation():
    """App first (if joined), then one provider channel by preference; a student gets SMS only with SMS+app."""
    for default, recipient in _every_situation():
        rows = planned_rows([recipient], message_request(default))
        channels = {row.channel for row in rows.provider}
        assert len(channels) <= 1, recipient
        if recipient.is_student and not recipient.student_account_enabled:
            assert len(rows) == 0  # not part of the conversation's delivery at all
            continue
        assert (rows.app == [recipient.person_id]) == recipient.joined
        if recipient.is_student and recipient.preference is not Preference.SMS_APP:
            assert Channel.SMS not in channels, recipient  # M4: never SMS
        if recipient.preference is Preference.APP_ONLY and recipient.joined:
            assert not channels  # M3: app only
        for row in rows.provider:  # F2: a shared phone's SMS says whom it is for
            assert row.label == ("For Dennis:" if row.channel is Channel.SMS else None)
            assert row.channel in (Channel.EMAIL, Channel.SMS)


def test_a_message_email_carries_the_recipients_reply_to_and_an_sms_the_shared_phone_label():
    personal = {"reply_to": "reply-abc@replies.example.org"}
    email = compose(Communication.MESSAGE, Channel.EMAIL, subject="New message from Ms Li", body="Ms Li: Hi",
                    label=None, personal=personal)
    sms = compose(Communication.MESSAGE, Channel.SMS, subject="New message from Ms Li", body="Ms Li: Hi",
                  label="For Ana:", personal=personal)
    assert (email.subject, email.body, email.reply_to) == ("New message from Ms Li", "Ms Li: Hi", personal["reply_to"])
    assert (sms.body, sms.reply_to) == ("For Ana: Ms Li: Hi", None)


def test_an_email_reply_keeps_only_the_new_text():
    text = ("Thanks, we will be there.\n\nOn Tue, Dec 1, 2026 at 9:00 AM Ms Li <reply-abc@replies.example.org> "
            "wrote:\n> Parent night is on Thursday.\n> Ms Li\n")
    assert email_replies.new_text(text) == "Thanks, we will be there."


def test_an_html_only_email_reply_is_read_as_text_without_its_quote():
    html = "<div>See you <b>Monday</b>.</div><blockquote>Parent night is on Thursday.</blockquote>"
    assert email_replies.new_text("", html) == "See you Monday."


def test_an_email_reply_is_addressed_by_its_to_header_and_its_envelope():
    assert email_replies.recipients_of("Ms Li <reply-a@r.example>", '{"to": ["reply-b@r.example"]}') == \
        ["reply-a@r.example", "reply-b@r.example"]
    assert email_replies.recipients_of("reply-a@r.example", "not json") == ["reply-a@r.example"]


def test_an_email_replys_message_id_comes_from_its_headers():
    headers = "Received: by mx\nMessage-ID: <abc@mail.example>\nSubject: Re: hi\n"
    assert email_replies.message_id(headers) == "<abc@mail.example>"
    assert email_replies.message_id("Subject: none") is None

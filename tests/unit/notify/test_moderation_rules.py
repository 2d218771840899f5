"""What a hidden message shows, who may flag, which decisions make sense (services.notify.domain.moderation)."""
from __future__ import annotations

from datetime import datetime, timezone

from services.notify.domain import moderation as rules
from services.notify.domain.delivery import Communication
from services.notify.domain.inbox import InboxItem, opened, summary
from shared.contracts.moderation import FLAGGED, HIDDEN, HIDDEN_NOTICE, RESTORED

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)


def test_a_hidden_message_shows_the_notice_without_attachments():
    message = {"message_id": "m1", "text": "Call me at 555-0100", "attachments": [{"name": "a.pdf"}]}
    shown = rules.as_shown(message, hidden=True)
    assert shown["text"] == HIDDEN_NOTICE and shown["attachments"] == [] and shown["hidden"] is True
    assert rules.as_shown(message, hidden=False) == {**message, "hidden": False}


def test_a_hidden_message_shows_the_notice_in_the_inbox_too():
    item = InboxItem("c1", Communication.MESSAGE, None, "Call me at 555-0100", False, "tess", NOW, None,
                     hidden=True)
    assert summary(item)["preview"] == HIDDEN_NOTICE
    assert opened(item)["body"] == HIDDEN_NOTICE
    assert opened(InboxItem("c1", Communication.MESSAGE, None, "Hello", False, "tess", NOW, None))["body"] == "Hello"


def test_only_a_participant_other_than_the_author_flags():
    assert rules.flag_refusal("dana", "tess", ["tess", "dana"]) is None
    assert rules.flag_refusal("eve", "tess", ["tess", "dana"]) == rules.NOT_A_PARTICIPANT
    assert rules.flag_refusal("tess", "tess", ["tess", "dana"]) == rules.OWN_MESSAGE
    assert rules.flag_refusal("dana", None, ["tess", "dana"]) is None  # a shared phone's text


def test_hiding_a_hidden_message_or_restoring_a_shown_one_is_refused():
    assert rules.decision_refusal(HIDDEN, hidden=False) is None
    assert rules.decision_refusal(HIDDEN, hidden=True) == rules.ALREADY_HIDDEN
    assert rules.decision_refusal(RESTORED, hidden=True) is None
    assert rules.decision_refusal(RESTORED, hidden=False) == rules.NOT_HIDDEN


def test_what_each_decision_leaves_shown():
    assert rules.hidden_after(FLAGGED, False) is False and rules.hidden_after(FLAGGED, True) is True
    assert rules.hidden_after(HIDDEN, False) is True
    assert rules.hidden_after(RESTORED, True) is False


def test_the_answer_to_hiding_counts_what_was_withdrawn_and_says_what_was_sent_cannot_be_recalled():
    answer = rules.withdrawal_answer(rules.Withdrawal({"sms": 2, "email": 1}, {"email": 3}), HIDDEN)
    assert (answer["withdrawn"], answer["already_sent"]) == (3, 3)
    assert answer["withdrawn_by_channel"] == {"sms": 2, "email": 1} and answer["already_sent_by_channel"] == {"email": 3}
    assert "cannot be recalled" in answer["note"]
    restored = rules.withdrawal_answer(None, RESTORED)
    assert (restored["withdrawn"], restored["already_sent"]) == (0, 0) and "not sent again" in restored["note"]

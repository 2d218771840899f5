"""The inbox's and push's pure rules: previews, filters, what FCM's answers mean, one person's result."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.delivery import Communication
from services.notify.domain.inbox import InboxItem, inbox_filter, opened, preview, summary
from services.notify.domain.translation import UNTRANSLATED_NOTE, CommunicationTranslation, TranslationOutcome
from shared.contracts.moderation import HIDDEN_NOTICE
from services.notify.domain.push import (
    PushAnswer,
    PushOutcome,
    fcm_answer,
    notification_for,
    person_result,
)

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
ACCEPTED, STALE = PushAnswer(PushOutcome.ACCEPTED), PushAnswer(PushOutcome.STALE_TOKEN, "UNREGISTERED", "gone")
TRANSIENT, REFUSED = PushAnswer(PushOutcome.TRANSIENT, "UNAVAILABLE", "busy"), PushAnswer(PushOutcome.REFUSED, "X", "no")


@given(st.text(), st.integers(min_value=10, max_value=300))
def test_a_preview_is_one_line_never_longer_than_asked_and_the_whole_text_when_it_fits(body, length):
    shown = preview(body, length)
    one_line = " ".join(body.split())
    assert len(shown) <= length and "\n" not in shown
    assert shown == one_line if len(one_line) <= length else shown.endswith("…")


def test_a_long_preview_is_cut_at_a_word():
    assert preview("School closes at noon on Friday because of the storm", 30) == "School closes at noon on…"


def test_the_list_shows_a_preview_and_opening_shows_the_whole_body_and_read_state():
    item = InboxItem("comm-1", Communication.ANNOUNCEMENT, "Snow day", "Closed.\nStay safe.", False, "tess",
                     NOW, None)
    assert summary(item)["preview"] == "Closed. Stay safe." and "body" not in summary(item)
    assert summary(item)["read"] is False and summary(item)["kind"] == "announcement"
    assert opened(item)["body"] == "Closed.\nStay safe."


def test_the_filters_read_from_a_request():
    assert inbox_filter({"unread": True, "kind": "message"}).kind is Communication.MESSAGE
    assert inbox_filter({"unread": False, "kind": None}).unread_only is False


def test_fcm_unregistered_and_a_token_refused_as_invalid_are_stale_tokens():
    assert fcm_answer(404, "UNREGISTERED").outcome is PushOutcome.STALE_TOKEN
    assert fcm_answer(404, None).outcome is PushOutcome.STALE_TOKEN
    assert fcm_answer(400, "INVALID_ARGUMENT", token_field=True).outcome is PushOutcome.STALE_TOKEN


def test_an_invalid_message_that_does_not_name_the_token_keeps_the_device():
    assert fcm_answer(400, "INVALID_ARGUMENT").outcome is PushOutcome.REFUSED


def test_quota_server_and_auth_trouble_are_retried():
    for status, code in ((429, "QUOTA_EXCEEDED"), (503, "UNAVAILABLE"), (500, "INTERNAL"), (401, None)):
        assert fcm_answer(status, code).outcome is PushOutcome.TRANSIENT, (status, code)
    assert fcm_answer(200, None).outcome is PushOutcome.ACCEPTED


ANSWERS = st.dictionaries(st.text(min_size=1, max_size=8), st.sampled_from([ACCEPTED, STALE, TRANSIENT, REFUSED]),
                          max_size=5)


@given(ANSWERS)
def test_one_person_is_pushed_when_any_device_took_it_and_stale_tokens_are_always_forgotten(answers):
    result = person_result(answers)
    outcomes = {answer.outcome for answer in answers.values()}
    assert set(result.stale_tokens) == {token for token, answer in answers.items() if answer is STALE}
    if PushOutcome.ACCEPTED in outcomes:
        assert result.outcome is PushOutcome.ACCEPTED
    elif PushOutcome.TRANSIENT in outcomes:
        assert result.outcome is PushOutcome.TRANSIENT
    elif outcomes == {PushOutcome.STALE_TOKEN}:
        assert result.outcome is PushOutcome.STALE_TOKEN
    else:
        assert result.outcome is PushOutcome.REFUSED


def test_a_notification_names_its_communication_and_marks_priority():
    notification = notification_for("comm-1", Communication.ANNOUNCEMENT, "Snow day", "Closed today.", priority=True)
    assert notification.title == "Priority: Snow day" and notification.body == "Closed today."
    assert notification.data == {"communication_id": "comm-1", "kind": "announcement"}
    assert notification_for("comm-2", Communication.MESSAGE, None, "Hi").title == "New message"


SPANISH = CommunicationTranslation("es", TranslationOutcome.TRANSLATED, "Día de nieve", "Cerrado.")


def spanish_item(**overrides) -> InboxItem:
    fields = {"communication_id": "comm-1", "kind": Communication.ANNOUNCEMENT, "subject": "Snow day",
              "body": "Closed.", "priority": False, "sender_id": "tess", "received_at": NOW, "read_at": None,
              "original_language": "en", "reader_language": "es", "translation": SPANISH}
    return InboxItem(**{**fields, **overrides})


def test_an_item_is_shown_in_its_readers_language_from_the_translation_stored_when_it_was_sent():
    listed = summary(spanish_item())
    assert (listed["subject"], listed["preview"], listed["language"], listed["original_language"],
            listed["translation"]) == ("Día de nieve", "Cerrado.", "es", "en", "translated")
    assert opened(spanish_item())["body"] == "Cerrado."


def test_the_original_is_shown_on_request_in_the_senders_language_and_when_hidden():
    as_written = opened(spanish_item(), original=True)
    assert (as_written["subject"], as_written["body"], as_written["language"], as_written["translation"]) == (
        "Snow day", "Closed.", "en", "original")
    assert opened(spanish_item(hidden=True))["body"] == HIDDEN_NOTICE


def test_a_failed_translation_shows_the_original_with_the_note_and_a_changed_language_the_original():
    failed = CommunicationTranslation("es", TranslationOutcome.UNAVAILABLE, reason="timed out")
    shown = opened(spanish_item(translation=failed))
    assert (shown["body"], shown["translation"]) == (f"{UNTRANSLATED_NOTE}\nClosed.", "unavailable")
    moved = opened(spanish_item(reader_language="vi"))  # no translation was stored for Vietnamese
    assert (moved["body"], moved["translation"], moved["language"]) == ("Closed.", "original", "en")
    assert opened(spanish_item(reader_language="en-US", translation=None))["translation"] == "original"

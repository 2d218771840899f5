"""A conversation list's latest message in the viewer's language (domain.message_language.latest_in_list), and
which texts delivering a message keeps in its readers' languages (readers_texts)."""
from __future__ import annotations

from services.notify.domain.message_language import latest_in_list, readers_texts
from shared.contracts.conversations import AS_WRITTEN, TRANSLATED, TRANSLATION_UNAVAILABLE

LANGUAGES = {"tess": "en", "gina": "es", "hal": "en-US"}
REPLY = {"text": "Gracias", "author_id": "gina", "possible_author_ids": [], "hidden": False}


def shown(message, viewer_id="tess", translations=None, **options):
    return latest_in_list(message, viewer_id=viewer_id, viewer_language=LANGUAGES.get(viewer_id, "en"),
                          languages=LANGUAGES, default="en", translations=translations or {}, **options)


def test_the_latest_message_is_in_the_viewers_language_when_its_translation_is_stored():
    assert shown(REPLY, translations={"Gracias": "Thank you"}) == {
        "last_message_text": "Thank you", "last_message_original_text": "Gracias", "last_message_language": "en",
        "last_message_translation": TRANSLATED}


def test_as_written_on_request_for_its_author_and_in_the_authors_language():
    assert shown(REPLY, translations={"Gracias": "Thank you"}, original=True)["last_message_text"] == "Gracias"
    assert shown(REPLY, viewer_id="gina")["last_message_translation"] == AS_WRITTEN
    english = {**REPLY, "author_id": "hal", "text": "Thanks"}
    assert shown(english)["last_message_translation"] == AS_WRITTEN  # en-US and en are one language


def test_a_translation_not_stored_shows_the_original_marked_unavailable_and_no_message_shows_nothing():
    assert (shown(REPLY)["last_message_text"], shown(REPLY)["last_message_translation"]) == (
        "Gracias", TRANSLATION_UNAVAILABLE)
    assert shown(None) == {"last_message_text": "", "last_message_original_text": "", "last_message_language": None,
                           "last_message_translation": AS_WRITTEN}


def test_delivering_keeps_the_text_in_each_other_readers_language_once_per_language():
    message = {"text": "Parent night", "author_id": "tess", "possible_author_ids": []}
    assert readers_texts(message, ["gina", "hal", "tess", "nobody"], languages=LANGUAGES, default="en") == {
        ("es", "en"): "Parent night"}
    shared_phone = {"text": "ok", "author_id": None, "possible_author_ids": ["gina", "hal"]}
    assert readers_texts(shared_phone, ["tess"], languages=LANGUAGES, default="en") == {("en", "es"): "ok"}

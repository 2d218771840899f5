"""A conversation message as one viewer reads it: in the viewer's language, the original kept beside it.

Pure. A message is written in its author's language (for a text from a shared phone, the language of the
first person who may have written it). A viewer who reads another language gets the text translated, with
`original_text` and `original_language` kept; their own messages, hidden ones and messages already in their
language are shown as written. A translation that could not be had shows the original with a note: reading
a conversation never fails for want of a translation.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.notify.domain.translation import UNTRANSLATED_NOTE, language_key, same_language
from shared.contracts.conversations import AS_WRITTEN, TRANSLATED, TRANSLATION_UNAVAILABLE


def message_language(message: Mapping, languages: Mapping[str, str], default: str) -> str:
    """What the message was written in: its author's language (or the first possible author's)."""
    author = message.get("author_id") or next(iter(message.get("possible_author_ids") or ()), None)
    return languages.get(author) or default if author else default


def needs_translation(message: Mapping, *, viewer_id: str, viewer_language: str, written_in: str) -> bool:
    return (not message.get("hidden") and message.get("author_id") != viewer_id
            and bool(message.get("text")) and not same_language(written_in, viewer_language))


def texts_to_translate(messages: Sequence[Mapping], *, viewer_id: str, viewer_language: str,
                       languages: Mapping[str, str], default: str) -> list[str]:
    """The texts the viewer needs in their language, each once, in order."""
    return list(dict.fromkeys(
        message["text"] for message in messages
        if needs_translation(message, viewer_id=viewer_id, viewer_language=viewer_language,
                             written_in=message_language(message, languages, default))))


def shown_to(message: Mapping, *, viewer_id: str, viewer_language: str, languages: Mapping[str, str],
             default: str, translations: Mapping[str, str] | None) -> dict:
    """The message with `text` in the viewer's language when it can be, and its original beside it.

    `translations` maps an original text to its translation; None when the translation failed.
    """
    written_in = message_language(message, languages, default)
    shown = {**message, "original_text": message["text"], "original_language": written_in,
             "language": written_in, "translation": AS_WRITTEN, "translation_note": None}
    if not needs_translation(message, viewer_id=viewer_id, viewer_language=viewer_language, written_in=written_in):
        return shown
    translated = (translations or {}).get(message["text"])
    if translated is None:
        return {**shown, "translation": TRANSLATION_UNAVAILABLE, "translation_note": UNTRANSLATED_NOTE}
    return {**shown, "text": translated, "language": language_key(viewer_language), "translation": TRANSLATED}


def latest_in_list(message: Mapping | None, *, viewer_id: str, viewer_language: str, languages: Mapping[str, str],
                   default: str, translations: Mapping[str, str], original: bool = False) -> dict:
    """A conversation list's fields of its latest message as the viewer reads it.

    `translations` are the stored ones (original text -> in the viewer's language): a listing never asks the
    provider, so a text whose translation is not stored is shown as written, marked unavailable. `original`:
    every text as written.
    """
    if message is None:
        return {"last_message_text": "", "last_message_original_text": "", "last_message_language": None,
                "last_message_translation": AS_WRITTEN}
    shown = shown_to(message, viewer_id=viewer_id, viewer_language=viewer_language, languages=languages,
                     default=default, translations=translations)
    if original:
        shown = {**shown, "text": shown["original_text"], "language": shown["original_language"],
                 "translation": AS_WRITTEN}
    return {"last_message_text": shown["text"], "last_message_original_text": shown["original_text"],
            "last_message_language": shown["language"], "last_message_translation": shown["translation"]}


def readers_texts(message: Mapping, reader_ids: Sequence[str], *, languages: Mapping[str, str],
                  default: str) -> dict[tuple[str, str], str]:
    """(reader language, written-in language) -> the message's text, for each of its readers who need it in
    another language: what delivering it stores so that listings show it in theirs."""
    written_in = message_language(message, languages, default)
    wanted = {}
    for reader_id in reader_ids:
        reader_language = languages.get(reader_id) or default
        if needs_translation(message, viewer_id=reader_id, viewer_language=reader_language, written_in=written_in):
            wanted[(language_key(reader_language), written_in)] = message["text"]
    return wanted

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

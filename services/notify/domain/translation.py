"""Each person's language: the translation port, and which text a recipient gets.

Pure. A communication is written in its sender's language (the original,
always kept). Every other language among its recipients gets one translation
of its subject and body, made once per communication and language, through
`Translator` (the provider adapter) and a cache per text and language. When a
translation cannot be had in time, the recipients of that language get the
original with a short note, and the communication's report says why.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from services.notify.domain.communications import CommunicationState

# What recipients read above the original when their translation failed.
UNTRANSLATED_NOTE = "[Translation unavailable: this is the original message.]"


class TranslationFailed(Exception):
    """The provider did not translate (unreachable, too slow, refused); the message says why."""


class Translator(Protocol):
    def translate(self, texts: Sequence[str], *, target: str, source: str | None) -> list[str]:
        """`texts` in the `target` language, in order; raises TranslationFailed."""


class TranslationCache(Protocol):
    def cached_translations(self, texts: Sequence[str], *, target: str) -> dict[str, str]:
        """Of `texts`, those already translated to `target`: text -> translation."""

    def remember_translations(self, translations: Mapping[str, str], *, target: str, now: datetime) -> None:
        """Keep text -> translation for `target`; a pair already kept stays as it is."""


class TranslationOutcome(StrEnum):
    TRANSLATED = "translated"
    UNAVAILABLE = "unavailable"  # the provider failed: the original went, with UNTRANSLATED_NOTE


@dataclass(frozen=True, slots=True)
class CommunicationTranslation:
    """A communication in one language other than its original's."""

    language: str
    outcome: TranslationOutcome
    subject: str | None = None  # None unless translated
    body: str | None = None
    reason: str | None = None  # why it is unavailable


@dataclass(frozen=True, slots=True)
class TranslationSource:
    """A communication as translation needs it: its original text and language, and its readers' languages."""

    communication_id: str
    subject: str | None
    body: str
    priority: bool
    state: CommunicationState
    original_language: str
    languages: tuple[str, ...]  # every language among its recipients notify knows (not archived)


@dataclass(frozen=True, slots=True)
class RenderedText:
    subject: str | None
    body: str
    language: str  # what the text is in: the recipient's, or the original's when it was not translated
    translated: bool


def language_key(tag: str | None) -> str:
    """Tags compare case-insensitively (BCP 47): the form used to group recipients and key the cache."""
    return (tag or "").strip().lower()


def same_language(first: str | None, second: str | None) -> bool:
    """en-US readers read en: languages are the same when their primary subtags are."""
    return language_key(first).split("-")[0] == language_key(second).split("-")[0]


def languages_to_translate(original: str, languages: Iterable[str]) -> list[str]:
    """The recipients' languages that need a translation of a text written in `original`, each once, sorted."""
    return sorted({language_key(language) for language in languages
                   if language and not same_language(language, original)})


def translation_of(language: str, translated: Sequence[str]) -> CommunicationTranslation:
    """The provider's answer for `texts_of(subject, body)` (the body alone when there is no subject)."""
    subject, body = (None, translated[0]) if len(translated) == 1 else (translated[0], translated[1])
    return CommunicationTranslation(language, TranslationOutcome.TRANSLATED, subject, body)


def texts_of(subject: str | None, body: str) -> list[str]:
    return [body] if subject is None else [subject, body]


def render(*, subject: str | None, body: str, original_language: str, language: str | None,
           translations: Mapping[str, CommunicationTranslation]) -> RenderedText:
    """What one recipient reads: their language's translation, or the original (with the note if it failed)."""
    if language is None or same_language(language, original_language):
        return RenderedText(subject, body, original_language, False)
    translation = translations.get(language_key(language))
    if translation is None:  # their language changed after planning: the original, as written
        return RenderedText(subject, body, original_language, False)
    if translation.outcome is TranslationOutcome.TRANSLATED:
        return RenderedText(translation.subject, translation.body or body, translation.language, True)
    return RenderedText(subject, with_untranslated_note(body), original_language, False)


def with_untranslated_note(body: str) -> str:
    """The original, as readers get it when their translation failed."""
    return f"{UNTRANSLATED_NOTE}\n{body}"

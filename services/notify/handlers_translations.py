"""Each person's language: translate a communication once per language, and any text through the cache.

translate_communication runs when an announcement is planned, before its
deliveries are written: every language among its recipients other than the
original's gets one translation of subject and body, stored with the
communication (the original stays on the communication itself). A language
the provider could not translate, in time or at all, is stored as unavailable
with the reason: its readers get the original with a short note, and the
delivery report shows why. Nothing waits longer than one failed call (the
adapter's timeout and retries): after a failure the remaining languages go in
the original without asking again, priority or not.

Conversation messages are translated the same way when they are delivered
(translate_communications, a batch at a time, from handlers_conversations), and each viewer reads
a conversation in their own language (messages_for_viewer): replies come back
to staff in theirs, through the same port and cache, the original kept.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.notify.domain import message_language
from services.notify.domain.communications import CommunicationState
from services.notify.domain.sms_length import sms_length
from services.notify.domain.translation import (
    CommunicationTranslation,
    TranslationCache,
    TranslationFailed,
    TranslationOutcome,
    TranslationSource,
    Translator,
    language_key,
    languages_to_translate,
    render,
    same_language,
    texts_of,
    translation_of,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
NO_PROVIDER = "no translation provider is configured"


class CommunicationTranslations(Protocol):
    def translation_source(self, communication_id: str) -> TranslationSource | None: ...

    def translation_sources(self, communication_ids: Sequence[str]) -> dict[str, TranslationSource]: ...

    def communication_translations(self, communication_id: str) -> dict[str, CommunicationTranslation]: ...

    def translations_of(self, communication_ids: Sequence[str]) -> dict[str, dict[str, CommunicationTranslation]]: ...

    def store_translations_of(self, translations: Mapping[str, Sequence[CommunicationTranslation]], *,
                              now: datetime) -> None: ...


def translate_texts(texts: Sequence[str], *, target: str, source: str | None, translator: Translator,
                    cache: TranslationCache, clock: Clock, remember: bool = True) -> list[str]:
    """`texts` in `target`: from the cache, the rest from the provider in one call (kept unless `remember`
    is false). Raises TranslationFailed."""
    known = cache.cached_translations(texts, target=target)
    missing = list(dict.fromkeys(text for text in texts if text not in known))
    if missing:
        fresh = dict(zip(missing, translator.translate(missing, target=target, source=source)))
        if remember:
            cache.remember_translations(fresh, target=target, now=clock())
        known.update(fresh)
    return [known[text] for text in texts]


def translate_text(text: str, target: str, *, translator: Translator | None, cache: TranslationCache,
                   clock: Clock, source: str | None = None) -> str:
    """One text in `target` (a BCP 47 tag), through the cache; the text itself when it is in `target` already.

    Raises TranslationFailed when the provider fails or none is configured: the caller keeps the original.
    """
    if source is not None and same_language(source, target):
        return text
    if translator is None:
        raise TranslationFailed(NO_PROVIDER)
    return translate_texts([text], target=language_key(target), source=source, translator=translator,
                           cache=cache, clock=clock)[0]


def messages_for_viewer(messages: Sequence[Mapping], *, viewer_id: str, languages: Mapping[str, str],
                        default: str, translator: Translator | None, cache: TranslationCache,
                        clock: Clock) -> list[dict]:
    """Each message as the viewer reads it (domain.message_language): every text they need in their
    language in one call to the provider at most, the cache first; on a failure, the originals with a note."""
    viewer_language = languages.get(viewer_id) or default
    wanted = message_language.texts_to_translate(messages, viewer_id=viewer_id, viewer_language=viewer_language,
                                                 languages=languages, default=default)
    translations: dict[str, str] | None = {}
    if wanted:
        try:
            if translator is None:
                raise TranslationFailed(NO_PROVIDER)
            translations = dict(zip(wanted, translate_texts(wanted, target=language_key(viewer_language),
                                                            source=None, translator=translator, cache=cache,
                                                            clock=clock)))
        except TranslationFailed as error:
            log.warning("conversation messages shown to %s in the original: %s", viewer_id, error)
            translations = None
    return [message_language.shown_to(message, viewer_id=viewer_id, viewer_language=viewer_language,
                                      languages=languages, default=default, translations=translations)
            for message in messages]


def translate_communication(payload: dict, *, translations: CommunicationTranslations,
                            translator: Translator | None, cache: TranslationCache,
                            clock: Clock) -> list[CommunicationTranslation]:
    """Translate a communication being planned into its recipients' languages not done yet; those made."""
    communication_id = payload["communication_id"]
    return translate_communications([communication_id], translations=translations, translator=translator,
                                    cache=cache, clock=clock).get(communication_id, [])


def translate_communications(communication_ids: Sequence[str], *, translations: CommunicationTranslations,
                             translator: Translator | None, cache: TranslationCache,
                             clock: Clock) -> dict[str, list[CommunicationTranslation]]:
    """translate_communication for several communications at once (a batch of replies): their sources and
    stored translations read once, one provider call per language and original language for all of their
    texts (through the cache), every translation stored in one statement. Those made, per communication."""
    sources = [source for source in translations.translation_sources(communication_ids).values()
               if source.state is CommunicationState.PLANNING]
    done = translations.translations_of([source.communication_id for source in sources])
    work: dict[tuple[str, str], list[TranslationSource]] = {}
    for source in sources:
        for language in languages_to_translate(source.original_language, source.languages):
            if language not in done.get(source.communication_id, {}):
                work.setdefault((language, source.original_language), []).append(source)
    made: dict[str, list[CommunicationTranslation]] = {}
    failure = None if translator is not None else NO_PROVIDER
    for (language, original), group in sorted(work.items()):
        # After one failure the rest go in the original at once: a provider that is down or slow for one
        # language would cost each of the others the same wait, and the communications wait for them all.
        results = [CommunicationTranslation(language, TranslationOutcome.UNAVAILABLE, reason=failure)
                   for _ in group] if failure else _translated(group, language, original, translator, cache, clock)
        failure = next((result.reason for result in results if result.reason), None)
        for source, result in zip(group, results):
            made.setdefault(source.communication_id, []).append(result)
    for communication_made in made.values():
        communication_made.sort(key=lambda translation: translation.language)
    translations.store_translations_of(made, now=clock())
    return made


def _translated(group: Sequence[TranslationSource], language: str, original: str, translator: Translator,
                cache: TranslationCache, clock: Clock) -> list[CommunicationTranslation]:
    """Each source's subject and body in `language`, every text of the group in one call."""
    texts = [texts_of(source.subject, source.body) for source in group]
    try:
        translated = translate_texts([text for pair in texts for text in pair], target=language, source=original,
                                     translator=translator, cache=cache, clock=clock)
    except TranslationFailed as error:
        log.warning("%d communication(s) go to %s readers in the original: %s", len(group), language, error)
        return [CommunicationTranslation(language, TranslationOutcome.UNAVAILABLE, reason=str(error))
                for _ in group]
    results, at = [], 0
    for pair in texts:
        results.append(translation_of(language, translated[at:at + len(pair)]))
        at += len(pair)
    return results


def sms_size(body: str) -> dict:
    length = sms_length(body)
    return {"sms_encoding": length.encoding.value, "sms_characters": length.units, "sms_segments": length.segments}


def report_languages(communication_id: str, *, translations: CommunicationTranslations) -> dict:
    """A report's `original` and `translations`: what each language's readers got, with its SMS size."""
    source = translations.translation_source(communication_id)
    if source is None:
        return {}
    lines = []
    for language, translation in translations.communication_translations(communication_id).items():
        text = render(subject=source.subject, body=source.body, original_language=source.original_language,
                      language=language, translations={language: translation})
        lines.append({"language": language, "outcome": translation.outcome.value, "subject": text.subject,
                      "body": text.body, "reason": translation.reason, **sms_size(text.body)})
    return {"original": {"language": source.original_language, "subject": source.subject, "body": source.body,
                         **sms_size(source.body)},
            "translations": lines}

"""What translation keeps: the cache per text and language, and each communication's translations."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from services.notify.adapters.tables import (
    communication_recipients,
    communication_translations,
    communications,
    recipients,
    translation_cache,
)
from services.notify.domain.communications import CommunicationState
from services.notify.domain.translation import (
    CommunicationTranslation,
    TranslationOutcome,
    TranslationSource,
    language_key,
)
from shared.contracts.identity import DEFAULT_LANGUAGE
from shared.db import dialect_insert


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TranslationsRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- the cache (domain.translation.TranslationCache) ---

    def cached_translations(self, texts: Sequence[str], *, target: str) -> dict[str, str]:
        by_key = {text_key(text): text for text in texts}
        if not by_key:
            return {}
        with self._unit():
            rows = self.session.execute(
                select(translation_cache.c.text_sha256, translation_cache.c.translation)
                .where(translation_cache.c.language == language_key(target),
                       translation_cache.c.text_sha256.in_(sorted(by_key)))).all()
        return {by_key[row.text_sha256]: row.translation for row in rows}

    def remember_translations(self, translations: Mapping[str, str], *, target: str, now: datetime) -> None:
        if not translations:
            return
        with self._unit():
            self.session.execute(
                dialect_insert(self.session, translation_cache).on_conflict_do_nothing(
                    index_elements=["text_sha256", "language"]),
                [{"text_sha256": text_key(text), "language": language_key(target), "translation": translation,
                  "created_at": now} for text, translation in translations.items()])

    # --- a communication's translations ---

    def translation_source(self, communication_id: str) -> TranslationSource | None:
        return self.translation_sources([communication_id]).get(communication_id)

    def translation_sources(self, communication_ids: Sequence[str]) -> dict[str, TranslationSource]:
        """Several communications as translation needs them, two statements for them all; unknown ones left out."""
        if not communication_ids:
            return {}
        ids = sorted(set(communication_ids))
        sender = recipients.alias("sender")
        with self._unit():
            rows = self.session.execute(
                select(communications.c.id, communications.c.subject, communications.c.body,
                       communications.c.priority, communications.c.state, sender.c.language)
                .outerjoin(sender, sender.c.person_id == communications.c.sender_id)
                .where(communications.c.id.in_(ids))).all()
            if not rows:
                return {}
            languages: dict[str, set[str]] = {}
            for communication_id, language in self.session.execute(
                    select(communication_recipients.c.communication_id, recipients.c.language).distinct()
                    .join(communication_recipients, communication_recipients.c.person_id == recipients.c.person_id)
                    .where(communication_recipients.c.communication_id.in_(ids),
                           recipients.c.archived == false())):
                languages.setdefault(communication_id, set()).add(language)
        return {row.id: TranslationSource(row.id, row.subject, row.body, row.priority, CommunicationState(row.state),
                                          row.language or DEFAULT_LANGUAGE,
                                          tuple(sorted(languages.get(row.id, ()))))
                for row in rows}

    def communication_translations(self, communication_id: str) -> dict[str, CommunicationTranslation]:
        return self.translations_of([communication_id]).get(communication_id, {})

    def translations_of(self, communication_ids: Sequence[str]) -> dict[str, dict[str, CommunicationTranslation]]:
        """Each communication's stored translations by language, one statement; those with none left out."""
        if not communication_ids:
            return {}
        with self._unit():
            rows = self.session.execute(
                select(communication_translations.c.communication_id, communication_translations.c.language,
                       communication_translations.c.outcome, communication_translations.c.subject,
                       communication_translations.c.body, communication_translations.c.reason)
                .where(communication_translations.c.communication_id.in_(sorted(set(communication_ids))))
                .order_by(communication_translations.c.communication_id, communication_translations.c.language)).all()
        found: dict[str, dict[str, CommunicationTranslation]] = {}
        for row in rows:
            found.setdefault(row.communication_id, {})[row.language] = CommunicationTranslation(
                row.language, TranslationOutcome(row.outcome), row.subject, row.body, row.reason)
        return found

    def store_translations(self, communication_id: str, translations: Sequence[CommunicationTranslation], *,
                           now: datetime) -> None:
        """Each language once: a rerun's translation of a language already stored is dropped."""
        self.store_translations_of({communication_id: translations}, now=now)

    def store_translations_of(self, translations: Mapping[str, Sequence[CommunicationTranslation]], *,
                              now: datetime) -> None:
        """store_translations for several communications, one statement for them all."""
        rows = [{"communication_id": communication_id, "language": translation.language,
                 "outcome": translation.outcome.value, "subject": translation.subject, "body": translation.body,
                 "reason": translation.reason, "created_at": now}
                for communication_id, made in translations.items() for translation in made]
        if not rows:
            return
        with self._unit():
            self.session.execute(
                dialect_insert(self.session, communication_translations).on_conflict_do_nothing(
                    index_elements=["communication_id", "language"]), rows)

    def _unit(self):
        """Its own transaction, or the caller's when one is open."""
        return nullcontext() if self.session.in_transaction() else self.session.begin()


@dataclass(frozen=True, slots=True)
class LanguagesOfPage:
    original_language: str
    translations: dict[str, CommunicationTranslation]
    page: tuple  # the page's PageDeliveries, each with its person's language


class PageLanguages:
    """For a worker's page: the communication's translations and each delivery's reader's language.

    Runs inside the page's transaction. None when the communication has no translations (everyone reads
    the original), which spares the recipients lookup for most communications.
    """

    def __init__(self, session: Session):
        self.session = session

    def of(self, communication_id: str, page: Sequence) -> LanguagesOfPage | None:
        if not page:
            return None
        translations = TranslationsRepository(self.session).communication_translations(communication_id)
        if not translations:
            return None
        sender = recipients.alias("sender")
        original = self.session.execute(
            select(sender.c.language).select_from(communications)
            .join(sender, sender.c.person_id == communications.c.sender_id)
            .where(communications.c.id == communication_id)).scalar()
        languages = dict(self.session.execute(
            select(recipients.c.person_id, recipients.c.language)
            .where(recipients.c.person_id.in_(sorted({delivery.person_id for delivery in page})))).all())
        return LanguagesOfPage(original or DEFAULT_LANGUAGE, translations,
                               tuple(replace(delivery, language=languages.get(delivery.person_id))
                                     for delivery in page))

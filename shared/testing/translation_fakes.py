"""In-memory stand-ins for notify's translation port and stores, for unit tests."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.notify.domain.communications import CommunicationState
from services.notify.domain.translation import CommunicationTranslation, TranslationFailed, TranslationSource


class FakeTranslator:
    """Translates as the sandbox does ("[es] Hello"); `failing` makes every call raise TranslationFailed."""

    def __init__(self, *, failing: bool = False) -> None:
        self.failing = failing
        self.calls: list[tuple[tuple[str, ...], str, str | None]] = []

    def translate(self, texts: Sequence[str], *, target: str, source: str | None) -> list[str]:
        self.calls.append((tuple(texts), target, source))
        if self.failing:
            raise TranslationFailed("the translator was told to fail")
        return [f"[{target}] {text}" for text in texts]


@dataclass
class InMemoryTranslations:
    """TranslationCache and handlers_translations.CommunicationTranslations over dicts."""

    sources: dict[str, TranslationSource] = field(default_factory=dict)
    stored: dict[str, dict[str, CommunicationTranslation]] = field(default_factory=dict)
    cache: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_source(self, communication_id: str, *, body: str, subject: str | None = "Subject",
                   languages: Sequence[str] = ("en",), original_language: str = "en", priority: bool = False,
                   state: CommunicationState = CommunicationState.PLANNING) -> None:
        self.sources[communication_id] = TranslationSource(communication_id, subject, body, priority, state,
                                                           original_language, tuple(languages))

    def cached_translations(self, texts: Sequence[str], *, target: str) -> dict[str, str]:
        return {text: self.cache[(text, target)] for text in texts if (text, target) in self.cache}

    def remember_translations(self, translations: Mapping[str, str], *, target: str, now: datetime) -> None:
        for text, translation in translations.items():
            self.cache.setdefault((text, target), translation)

    def translation_source(self, communication_id: str) -> TranslationSource | None:
        return self.sources.get(communication_id)

    def translation_sources(self, communication_ids: Sequence[str]) -> dict[str, TranslationSource]:
        return {c: self.sources[c] for c in communication_ids if c in self.sources}

    def communication_translations(self, communication_id: str) -> dict[str, CommunicationTranslation]:
        return dict(self.stored.get(communication_id, {}))

    def translations_of(self, communication_ids: Sequence[str]) -> dict[str, dict[str, CommunicationTranslation]]:
        return {c: dict(self.stored[c]) for c in communication_ids if self.stored.get(c)}

    def store_translations_of(self, translations: Mapping[str, Sequence[CommunicationTranslation]], *,
                              now: datetime) -> None:
        for communication_id, made in translations.items():
            kept = self.stored.setdefault(communication_id, {})
            for translation in made:
                kept.setdefault(translation.language, replace(translation))

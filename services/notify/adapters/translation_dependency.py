"""The nameko dependency that hands workers the translation provider (DeepL), or None when none is set."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.notify.adapters.providers.deepl_translator import DeepLTranslator, translation_settings_from_env
from services.notify.domain.translation import Translator


class TranslationProvider(DependencyProvider):
    """Reads DEEPL_* and TRANSLATION_* (deepl_translator.py) when the container starts."""

    def setup(self) -> None:
        settings = translation_settings_from_env()
        self.translator = DeepLTranslator(settings) if settings is not None else None

    def get_dependency(self, worker_ctx) -> Translator | None:
        return self.translator

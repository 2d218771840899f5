"""The translation provider: DeepL, through its official SDK (`deepl`), behind domain.translation.Translator.

    DEEPL_AUTH_KEY                 the API key; unset: no translation (everyone gets the original)
    DEEPL_SERVER_URL               e.g. http://127.0.0.1:8025 for the sandbox; unset: DeepL itself
    TRANSLATION_TIMEOUT_SECONDS    per HTTP attempt, default 3
    TRANSLATION_RETRIES            attempts after the first, default 1

A slow or failing DeepL costs a communication at most one call's (retries + 1)
x timeout plus the SDK's backoff; then it goes in the original
(handlers_translations).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import deepl

from services.notify.domain.translation import TranslationFailed
from shared.settings import value

# DeepL refuses the bare tags of languages it offers in several variants as targets.
_TARGET_VARIANTS = {"EN": "EN-US", "PT": "PT-BR"}


@dataclass(frozen=True)
class TranslationSettings:
    auth_key: str = field(repr=False)
    server_url: str | None = None
    timeout_seconds: float = 3.0
    retries: int = 1


def translation_settings_from_env(environ: Mapping[str, str] | None = None) -> TranslationSettings | None:
    auth_key = value("DEEPL_AUTH_KEY", environ)
    if not auth_key:
        return None
    return TranslationSettings(auth_key=auth_key, server_url=value("DEEPL_SERVER_URL", environ),
                               timeout_seconds=float(value("TRANSLATION_TIMEOUT_SECONDS", environ)),
                               retries=int(value("TRANSLATION_RETRIES", environ)))


def deepl_target(language: str) -> str:
    """A BCP 47 tag as DeepL names the target: es -> ES, en -> EN-US, zh-Hans -> ZH-HANS."""
    tag = language.strip().upper()
    return _TARGET_VARIANTS.get(tag, tag)


def deepl_source(language: str | None) -> str | None:
    """Source languages are primary subtags only (EN, not EN-US)."""
    return language.strip().split("-")[0].upper() if language else None


class DeepLTranslator:
    def __init__(self, settings: TranslationSettings) -> None:
        # The SDK reads its retry count and timeout from module settings (its documented knobs).
        deepl.http_client.max_network_retries = settings.retries
        deepl.http_client.min_connection_timeout = settings.timeout_seconds
        self._client = deepl.Translator(settings.auth_key, server_url=settings.server_url,
                                        send_platform_info=False)

    def translate(self, texts: Sequence[str], *, target: str, source: str | None) -> list[str]:
        if not texts:
            return []
        try:
            results = self._client.translate_text(list(texts), target_lang=deepl_target(target),
                                                  source_lang=deepl_source(source))
        except (deepl.DeepLException, ValueError) as error:
            raise TranslationFailed(f"DeepL did not translate to {target}: {error}") from error
        translated = [result.text for result in results]
        if len(translated) != len(texts):
            raise TranslationFailed(f"DeepL answered {len(translated)} translations for {len(texts)} texts")
        return translated

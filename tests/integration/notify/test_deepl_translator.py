"""The DeepL adapter on the real `deepl` SDK, against the sandbox's /v2/translate: answers, failures, slowness."""
from __future__ import annotations

import time

import pytest

from services.notify.adapters.providers.deepl_translator import DeepLTranslator, TranslationSettings
from services.notify.domain.translation import TranslationFailed
from services.sandbox.config import DEFAULT_DEEPL_AUTH_KEY
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    module_receiver,
    receiver,
    sandbox,
    sandbox_process,
)


@pytest.fixture
def deepl_translator(sandbox_process, sandbox):
    return DeepLTranslator(TranslationSettings(DEFAULT_DEEPL_AUTH_KEY, server_url=sandbox_process.base_url,
                                               timeout_seconds=1.0, retries=0))


def test_texts_come_back_translated_in_order_and_the_sandbox_records_them(sandbox, deepl_translator):
    translated = deepl_translator.translate(["Snow day", "No school tomorrow."], target="es", source="en-US")

    assert translated == ["[es] Snow day", "[es] No school tomorrow."]
    recorded = sandbox.translator()["texts"]
    assert [(entry["target_lang"], entry["text"]) for entry in recorded] == [("ES", "Snow day"),
                                                                             ("ES", "No school tomorrow.")]


def test_english_and_portuguese_targets_are_named_by_their_variant(sandbox, deepl_translator):
    assert deepl_translator.translate(["Hola"], target="en", source="es") == ["[en-us] Hola"]
    assert deepl_translator.translate(["Hello"], target="pt", source="en") == ["[pt-br] Hello"]


def test_a_failing_translator_raises_translation_failed(sandbox, deepl_translator):
    sandbox.set_translator(fail=True, status=456)

    with pytest.raises(TranslationFailed, match="DeepL did not translate to es"):
        deepl_translator.translate(["Snow day"], target="es", source="en")


def test_a_slow_translator_gives_up_after_the_timeout(sandbox, deepl_translator):
    sandbox.set_translator(delay_seconds=3)

    started = time.monotonic()
    with pytest.raises(TranslationFailed):
        deepl_translator.translate(["Snow day"], target="es", source="en")
    assert time.monotonic() - started < 2.5


def test_a_wrong_key_is_refused(sandbox_process, sandbox):
    translator = DeepLTranslator(TranslationSettings("not-the-key", server_url=sandbox_process.base_url,
                                                     timeout_seconds=1.0, retries=0))

    with pytest.raises(TranslationFailed):
        translator.translate(["Snow day"], target="es", source="en")

"""Each person's language: one translation per communication and language, the cache, and the original kept."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.notify.domain.communications import CommunicationState
from services.notify.domain.translation import (
    UNTRANSLATED_NOTE,
    CommunicationTranslation,
    TranslationFailed,
    TranslationOutcome,
    languages_to_translate,
    render,
    same_language,
)
from services.notify.handlers_translations import (
    report_languages,
    translate_communication,
    translate_communications,
    translate_text,
)
from shared.testing.translation_fakes import FakeTranslator, InMemoryTranslations

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)


def clock() -> datetime:
    return NOW


def translate(store: InMemoryTranslations, translator: FakeTranslator | None, communication_id: str = "c-1"):
    return translate_communication({"communication_id": communication_id}, translations=store,
                                   translator=translator, cache=store, clock=clock)


def test_each_language_other_than_the_originals_is_translated_once_for_the_whole_communication():
    store, translator = InMemoryTranslations(), FakeTranslator()
    store.add_source("c-1", subject="Snow day", body="No school tomorrow.", languages=("en", "es", "en-US", "vi"))

    made = translate(store, translator)

    assert [t.language for t in made] == ["es", "vi"]
    assert sorted(call[1] for call in translator.calls) == ["es", "vi"]
    assert store.stored["c-1"]["es"] == CommunicationTranslation(
        "es", TranslationOutcome.TRANSLATED, "[es] Snow day", "[es] No school tomorrow.")
    assert translate(store, translator) == [] and len(translator.calls) == 2  # a rerun translates nothing again


def test_a_text_translated_before_comes_from_the_cache():
    store, translator = InMemoryTranslations(), FakeTranslator()
    store.add_source("c-1", subject="Snow day", body="No school tomorrow.", languages=("es",))
    store.add_source("c-2", subject="Snow day", body="Buses run late.", languages=("es",))
    translate(store, translator, "c-1")

    translate(store, translator, "c-2")

    assert translator.calls[-1] == (("Buses run late.",), "es", "en")
    assert store.stored["c-2"]["es"].subject == "[es] Snow day"


def test_a_failing_translator_leaves_the_language_unavailable_with_the_reason_and_the_original_is_sent():
    store = InMemoryTranslations()
    store.add_source("c-1", subject="Lockdown drill", body="Stay inside.", languages=("en", "es"), priority=True)

    [made] = translate(store, FakeTranslator(failing=True))

    assert made.outcome is TranslationOutcome.UNAVAILABLE and "told to fail" in made.reason
    text = render(subject="Lockdown drill", body="Stay inside.", original_language="en", language="es",
                  translations=store.stored["c-1"])
    assert (text.subject, text.body, text.translated) == ("Lockdown drill", f"{UNTRANSLATED_NOTE}\nStay inside.",
                                                          False)


def test_after_one_language_fails_the_others_go_in_the_original_without_asking_the_provider_again():
    store, translator = InMemoryTranslations(), FakeTranslator(failing=True)
    store.add_source("c-1", body="Stay inside.", languages=("es", "vi", "zh"), priority=True)

    made = translate(store, translator)

    assert len(translator.calls) == 1
    assert [(t.language, t.outcome) for t in made] == [(language, TranslationOutcome.UNAVAILABLE)
                                                       for language in ("es", "vi", "zh")]
    assert len({t.reason for t in made}) == 1


def test_without_a_provider_every_other_language_is_unavailable_and_nothing_waits():
    store = InMemoryTranslations()
    store.add_source("c-1", body="Hello", languages=("es",))

    [made] = translate(store, None)

    assert made.outcome is TranslationOutcome.UNAVAILABLE and made.reason == "no translation provider is configured"


def test_a_communication_no_longer_planning_is_not_translated():
    store, translator = InMemoryTranslations(), FakeTranslator()
    store.add_source("c-1", body="Hello", languages=("es",), state=CommunicationState.QUEUED)

    assert translate(store, translator) == [] and translator.calls == []


def test_readers_get_their_language_and_readers_of_the_original_get_it_as_written():
    translations = {"es": CommunicationTranslation("es", TranslationOutcome.TRANSLATED, "[es] S", "[es] B")}

    spanish = render(subject="S", body="B", original_language="en", language="ES", translations=translations)
    english = render(subject="S", body="B", original_language="en", language="en-GB", translations=translations)
    french = render(subject="S", body="B", original_language="en", language="fr", translations=translations)

    assert (spanish.body, spanish.language, spanish.translated) == ("[es] B", "es", True)
    assert (english.body, english.translated) == ("B", False)
    assert (french.body, french.translated) == ("B", False)  # chose French after it was planned


def test_languages_compare_by_primary_subtag_and_case():
    assert same_language("en-US", "EN") and not same_language("es", "en")
    assert languages_to_translate("en", ["en", "EN-gb", "es-MX", "es-mx", "", "fr"]) == ["es-mx", "fr"]


def test_translate_text_turns_a_reply_into_the_staff_members_language_through_the_cache():
    store, translator = InMemoryTranslations(), FakeTranslator()

    first = translate_text("Gracias", "en", source="es", translator=translator, cache=store, clock=clock)
    again = translate_text("Gracias", "EN", source="es", translator=translator, cache=store, clock=clock)

    assert first == again == "[en] Gracias" and len(translator.calls) == 1
    assert translate_text("Thanks", "en", source="en-US", translator=translator, cache=store, clock=clock) == "Thanks"
    with pytest.raises(TranslationFailed):
        translate_text("Gracias", "fr", source="es", translator=FakeTranslator(failing=True), cache=store,
                       clock=clock)


def test_the_report_keeps_the_original_and_shows_each_languages_text_with_its_sms_size():
    store = InMemoryTranslations()
    store.add_source("c-1", subject="Picnic", body="Bring a hat.", languages=("es", "vi"))
    store.stored["c-1"] = {
        "es": CommunicationTranslation("es", TranslationOutcome.TRANSLATED, "Picnic", "Traiga un sombrero."),
        "vi": CommunicationTranslation("vi", TranslationOutcome.UNAVAILABLE, reason="timed out")}

    report = report_languages("c-1", translations=store)

    assert report["original"] == {"language": "en", "subject": "Picnic", "body": "Bring a hat.",
                                  "sms_encoding": "GSM-7", "sms_characters": 12, "sms_segments": 1}
    spanish, vietnamese = report["translations"]
    assert (spanish["outcome"], spanish["body"], spanish["reason"]) == ("translated", "Traiga un sombrero.", None)
    assert (vietnamese["outcome"], vietnamese["reason"]) == ("unavailable", "timed out")
    assert vietnamese["body"] == f"{UNTRANSLATED_NOTE}\nBring a hat."


def test_communications_translated_together_ask_the_provider_once_per_language_and_store_each_ones_own():
    store, translator = InMemoryTranslations(), FakeTranslator()
    store.add_source("c-1", subject="Hi", body="Parent night.", languages=("es", "vi"))
    store.add_source("c-2", subject="Hi", body="Bus late.", languages=("es",))
    store.add_source("c-3", subject="Hi", body="Closed.", languages=("es",), state=CommunicationState.QUEUED)

    made = translate_communications(["c-1", "c-2", "c-3"], translations=store, translator=translator, cache=store,
                                    clock=clock)

    assert sorted(call[1] for call in translator.calls) == ["es", "vi"]
    assert [t.language for t in made["c-1"]] == ["es", "vi"] and "c-3" not in made
    assert store.stored["c-2"]["es"].body == "[es] Bus late." and store.stored["c-1"]["es"].body == "[es] Parent night."


def test_a_failure_for_one_language_leaves_every_communication_of_the_batch_in_the_original_for_the_rest():
    store = InMemoryTranslations()
    store.add_source("c-1", body="Stay inside.", languages=("es", "vi"))
    store.add_source("c-2", body="Stay calm.", languages=("es",))
    translator = FakeTranslator(failing=True)

    made = translate_communications(["c-1", "c-2"], translations=store, translator=translator, cache=store,
                                    clock=clock)

    assert len(translator.calls) == 1
    assert {(c, t.language, t.outcome) for c, ts in made.items() for t in ts} == {
        ("c-1", "es", TranslationOutcome.UNAVAILABLE), ("c-1", "vi", TranslationOutcome.UNAVAILABLE),
        ("c-2", "es", TranslationOutcome.UNAVAILABLE)}

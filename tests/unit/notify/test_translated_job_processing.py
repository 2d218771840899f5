"""Workers send each reader their language's text, the original to its readers, and a noted original on failure."""
from __future__ import annotations

from dataclasses import replace

from services.notify.domain.delivery import Channel
from services.notify.domain.translation import UNTRANSLATED_NOTE, CommunicationTranslation, TranslationOutcome
from services.notify.queue.jobs import DeliveryJob
from tests.unit.notify.test_job_processing import COMMUNICATION, FakeChannel, FakeDeliveryStore, make_delivery, run

TRANSLATED = replace(COMMUNICATION, translations={
    "es": CommunicationTranslation("es", TranslationOutcome.TRANSLATED, "Día de nieve", "Hoy no hay clases."),
    "vi": CommunicationTranslation("vi", TranslationOutcome.UNAVAILABLE, reason="DeepL timed out")})


def test_each_reader_gets_the_text_of_their_language_and_the_sms_label_stays_in_front():
    store = FakeDeliveryStore([
        make_delivery(id="d-es", person_id="ana", language="es"),
        make_delivery(id="d-en", person_id="ben", address="ben@example.org", language="en-US"),
        make_delivery(id="d-vi", person_id="cy", address="cy@example.org", language="vi"),
    ], communication=TRANSLATED)
    email = FakeChannel(Channel.EMAIL, store)

    run(store, DeliveryJob("comm-1", Channel.EMAIL, ("d-es", "d-en", "d-vi")), email)

    sent = {message.delivery_id: (message.subject, message.body) for message in email.sent}
    assert sent["d-es"] == ("Día de nieve", "Hoy no hay clases.")
    assert sent["d-en"] == ("Snow day", "School is closed today.")
    assert sent["d-vi"] == ("Snow day", f"{UNTRANSLATED_NOTE}\nSchool is closed today.")


def test_a_shared_phone_gets_its_label_before_the_translated_text():
    store = FakeDeliveryStore([make_delivery(id="d-1", channel=Channel.SMS, address="+15555550101",
                                             label="For Ana:", language="es")], communication=TRANSLATED)
    sms = FakeChannel(Channel.SMS, store)

    run(store, DeliveryJob("comm-1", Channel.SMS, ("d-1",)), sms)

    assert sms.sent[0].body == "For Ana: Hoy no hay clases."

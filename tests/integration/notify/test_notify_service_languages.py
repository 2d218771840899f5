"""Each person's language and the audience preview below the gateway: NotifyService and DirectoryService in
containers, a worker process, the provider sandbox translating (DeepL's SDK) and recording what was sent."""
from __future__ import annotations

import pytest
from nameko.standalone.events import event_dispatcher
from sqlalchemy import func, select

from services.notify.adapters.tables import metadata
from services.notify.domain.translation import UNTRANSLATED_NOTE
from services.sandbox.config import DEFAULT_DEEPL_AUTH_KEY
from shared.contracts import identity, notify
from shared.contracts.errors import InvalidRequest, NotFound
from shared.db import make_engine
from shared.messaging import handles
from tests.integration.notify.notify_service_district import (
    CREDENTIALS,
    GINA_EMAIL,
    GINA_MOBILE,
    HAL_MOBILE,
    wait_until,
)
from tests.integration.notify.test_notify_service_announcements import (  # noqa: F401 — fixtures
    announce,
    config,
    provider_secrets,
    room,
    rpc,
    sent_to,
    services,
    wait_until_completed,
    worker,
)
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    module_receiver,
    receiver,
    sandbox,
    sandbox_process,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def translator_settings(monkeypatch, sandbox_process):
    """notify's translator pointed at the sandbox; autouse, so it is set before `services` starts notify."""
    monkeypatch.setenv("DEEPL_AUTH_KEY", DEFAULT_DEEPL_AUTH_KEY)
    monkeypatch.setenv("DEEPL_SERVER_URL", sandbox_process.base_url)
    monkeypatch.setenv("TRANSLATION_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("TRANSLATION_RETRIES", "0")


@pytest.fixture
def spanish_gina(room, rpc, config):
    """Gina chose Spanish when she joined: identity says so in her account."""
    gina = room.ids["gina"]
    event_dispatcher(config)(identity.NAME, identity.ACCOUNTS_UPSERTED.name, identity.ACCOUNTS_UPSERTED.dump(
        {"accounts": [{"person_id": gina, "district_id": room.district_id, "given_name": "Gina",
                       "family_name": "Lopez", "email": CREDENTIALS["gina"][0], "mobile_phone": CREDENTIALS["gina"][1],
                       "status": "active", "roles": [{"role": "guardian", "school_ids": []}], "language": "es"}]}))
    wait_until(lambda: rpc(notify.contract).get_recipients(person_ids=[gina])["recipients"][0]["language"] == "es",
               what="Gina's language in notify")
    return gina


def test_a_spanish_reader_gets_the_translation_once_per_language_and_the_report_keeps_the_original(
        rpc, room, sandbox, worker, spanish_gina):
    done = wait_until_completed(rpc, room, announce(rpc, room))

    [email] = sandbox.messages(channel="email", to=GINA_EMAIL)
    assert (email["subject"], email["body"]) == ("[es] Snow day", "[es] School is closed today.")
    assert sent_to(sandbox, "sms", HAL_MOBILE) == ["School is closed today."]
    assert sandbox.translator()["requests"] == 1  # subject and body, in one call, for the one other language
    assert done["original"] == {"language": "en", "subject": "Snow day", "body": "School is closed today.",
                                "sms_encoding": "GSM-7", "sms_characters": 23, "sms_segments": 1}
    [spanish] = done["translations"]
    assert (spanish["language"], spanish["outcome"], spanish["body"]) == (
        "es", "translated", "[es] School is closed today.")


def test_a_priority_announcement_goes_in_the_original_with_a_note_when_the_translator_fails(
        rpc, room, sandbox, worker, spanish_gina):
    sandbox.set_translator(fail=True)

    done = wait_until_completed(rpc, room, announce(rpc, room, priority=True, body="Lockdown drill at 10."))

    assert sent_to(sandbox, "sms", GINA_MOBILE) == [f"{UNTRANSLATED_NOTE}\nLockdown drill at 10."]
    [spanish] = done["translations"]
    assert spanish["outcome"] == "unavailable" and "DeepL did not translate to es" in spanish["reason"]


class AnnouncementRequestRecorder:
    """Another subscriber to notify's announcement_requested: what a send publishes, a preview must not."""

    name = "announcement_request_recorder"
    received: list[dict] = []

    @handles(notify.ANNOUNCEMENT_REQUESTED)
    def on_announcement_requested(self, payload: dict) -> None:
        self.received.append(payload)


def test_the_preview_answers_what_the_send_would_do_and_writes_and_sends_nothing(
        rpc, room, sandbox, config, container_factory, spanish_gina):
    AnnouncementRequestRecorder.received = []
    container_factory(AnnouncementRequestRecorder, config).start()
    before = _row_counts(config)

    answer = rpc(notify.contract).preview_announcement(
        sender=room.tess, audience={"classroom_id": room.classroom_id}, subject="Snow day",
        body="School is closed today.")

    assert answer["recipient_count"] == 7 and answer["not_contacted"] == 1  # Ana: account not enabled
    assert answer["reach"] == {"email": 2, "sms": 3, "call": 0, "app_only": 1}  # Ivy chose App only
    assert [(p["given_name"], p["reason"]) for p in answer["unreachable"]] == [("Ivy", "app_only_preference")]
    assert [(language["language"], language["people"], language["translated"], language["sms_segments"])
            for language in answer["languages"]] == [("en", 5, False, 1), ("es", 1, True, 1)]
    assert answer["languages"][1]["body"] == "[es] School is closed today."
    assert _row_counts(config) == before
    assert sandbox.messages() == []
    # The recorder hears a send: had the preview published anything, it would have heard that first.
    sent = announce(rpc, room)
    wait_until(lambda: AnnouncementRequestRecorder.received, what="the send's announcement_requested")
    assert AnnouncementRequestRecorder.received == [{"communication_id": sent}]


def _row_counts(config) -> dict[str, int]:
    engine = make_engine(config["DATABASES"]["notify"])
    try:
        with engine.connect() as connection:
            return {table.name: connection.execute(select(func.count()).select_from(table)).scalar()
                    for table in metadata.sorted_tables}
    finally:
        engine.dispose()


def test_a_conversation_reaches_a_spanish_guardian_in_spanish_and_her_reply_reaches_the_teacher_in_english(
        rpc, room, sandbox, worker, spanish_gina):
    notify_rpc = rpc(notify.contract)
    started = notify_rpc.start_conversation(sender=room.tess, participant_ids=[spanish_gina],
                                            text="Parent night is on Thursday.")

    wait_until(lambda: sandbox.messages(channel="email", to=GINA_EMAIL), what="Gina's email")
    [email] = sandbox.messages(channel="email", to=GINA_EMAIL)
    assert (email["subject"], email["body"]) == ("[es] New message from Tess Ito",
                                                 "[es] Tess Ito: Parent night is on Thursday.")
    gina = room.principal("gina", identity.GUARDIAN, schools=False)
    notify_rpc.post_conversation_message(sender=gina, conversation_id=started["conversation_id"], text="Gracias")

    seen_by_tess = notify_rpc.get_conversation(viewer=room.tess, conversation_id=started["conversation_id"])
    reply = seen_by_tess["messages"][-1]
    assert (reply["text"], reply["original_text"], reply["original_language"], reply["translation"]) == (
        "[en-us] Gracias", "Gracias", "es", "translated")  # DeepL writes English as EN-US
    seen_by_gina = notify_rpc.get_conversation(viewer=gina, conversation_id=started["conversation_id"])
    assert [m["text"] for m in seen_by_gina["messages"]] == ["[es] Parent night is on Thursday.", "Gracias"]


def test_the_conversation_list_shows_each_latest_message_in_the_readers_language_and_as_written_on_request(
        rpc, room, sandbox, worker, spanish_gina):
    notify_rpc = rpc(notify.contract)
    gina = room.principal("gina", identity.GUARDIAN, schools=False)
    started = notify_rpc.start_conversation(sender=room.tess, participant_ids=[spanish_gina],
                                            text="Parent night is on Thursday.")

    [for_gina] = notify_rpc.list_conversations(viewer=gina)["items"]
    assert (for_gina["last_message_text"], for_gina["last_message_original_text"], for_gina["last_message_language"],
            for_gina["last_message_translation"]) == ("[es] Parent night is on Thursday.",
                                                      "Parent night is on Thursday.", "es", "translated")
    [as_written] = notify_rpc.list_conversations(viewer=gina, original=True)["items"]
    assert (as_written["last_message_text"], as_written["last_message_translation"]) == (
        "Parent night is on Thursday.", "original")

    notify_rpc.post_conversation_message(sender=gina, conversation_id=started["conversation_id"], text="Gracias")
    [for_tess] = notify_rpc.list_conversations(viewer=room.tess)["items"]
    assert (for_tess["last_message_text"], for_tess["last_message_original_text"],
            for_tess["last_message_translation"]) == ("[en-us] Gracias", "Gracias", "translated")
    [own] = notify_rpc.list_conversations(viewer=gina)["items"]  # her own message, as she wrote it
    assert (own["last_message_text"], own["last_message_translation"]) == ("Gracias", "original")


def test_who_has_not_chosen_a_language_reads_the_districts_default_which_identity_announces(
        rpc, room, config):
    notify_rpc = rpc(notify.contract)
    people = [room.ids["hal"], room.ids["tess"]]
    before = {r["person_id"]: r for r in notify_rpc.get_recipients(person_ids=people)["recipients"]}

    event_dispatcher(config)(identity.NAME, identity.DISTRICT_LANGUAGES_CHANGED.name,
                             identity.DISTRICT_LANGUAGES_CHANGED.dump({
                                 "district_id": room.district_id, "languages": ["en", "es"],
                                 "default_language": "es"}))

    def languages():
        return {r["person_id"]: r["language"] for r in notify_rpc.get_recipients(person_ids=people)["recipients"]}
    expected = {person_id: "es" if not r["joined"] else r["language"] for person_id, r in before.items()}
    wait_until(lambda: languages() == expected, what="the district's default for who has not joined")
    assert "es" in expected.values()


def test_a_conversation_draft_is_previewed_with_the_sends_checks_and_nothing_is_written_or_sent(
        rpc, room, sandbox, config, spanish_gina):
    notify_rpc = rpc(notify.contract)
    before = _row_counts(config)

    answer = notify_rpc.preview_conversation(sender=room.tess, guardians_of=room.ids["ana"],
                                             text="Parent night is on Thursday.")

    assert (answer["recipient_count"], answer["reach"]) == (2, {"email": 1, "sms": 1, "call": 0, "app_only": 0})
    assert [(language["language"], language["people"], language["translated"]) for language in answer["languages"]] \
        == [("en", 1, False), ("es", 1, True)]
    assert answer["languages"][1]["body"] == "[es] Tess Ito: Parent night is on Thursday."
    assert _row_counts(config) == before and sandbox.messages() == []
    with pytest.raises(InvalidRequest):  # the send's checks: staff talk with families, not themselves
        notify_rpc.preview_conversation(sender=room.tess, participant_ids=[room.ids["tess"]], text="Hi")


def test_a_message_draft_in_a_conversation_is_previewed_for_its_other_participants_only(
        rpc, room, sandbox, worker, config, spanish_gina):
    notify_rpc = rpc(notify.contract)
    started = notify_rpc.start_conversation(sender=room.tess, participant_ids=[spanish_gina], text="Hello")
    wait_until(lambda: sandbox.messages(channel="email", to=GINA_EMAIL), what="the first message")
    before = _row_counts(config)

    answer = notify_rpc.preview_conversation_message(sender=room.tess, conversation_id=started["conversation_id"],
                                                     text="See you Thursday.")

    assert (answer["recipient_count"], answer["reach"]["email"]) == (1, 1)
    assert [language["language"] for language in answer["languages"]] == ["es"]
    assert _row_counts(config) == before
    with pytest.raises(NotFound):
        notify_rpc.preview_conversation_message(sender=room.tess, conversation_id="no-such-conversation", text="x")

"""Conversations below the gateway: NotifyService and the real DirectoryService in containers, a notify worker
sending through the real SDKs to the provider sandbox, the sandbox's signed handset texts forwarded as the
gateway would, and email replies handed to notify as the gateway hands SendGrid's Inbound Parse posts.
Room 5 as in notify_service_district."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from nameko.standalone.events import event_dispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.directory.service import DirectoryService
from services.notify.adapters.webhooks import TWILIO_INBOUND_PATH
from services.notify.adapters.tables import conversation_messages
from services.notify.adapters.webhooks_repository import WebhooksRepository
from services.notify.domain import conversations as rules
from services.notify.handlers_webhooks import INBOUND_BATCH
from services.notify.service import NotifyService
from shared.contracts import directory, notify
from shared.contracts.errors import InvalidRequest, NotFound, PermissionDenied
from shared.db import make_engine
from tests.integration.notify.notify_service_district import (
    GINA_EMAIL,
    HAL_MOBILE,
    OUR_NUMBER,
    SHARED_PHONE,
    CredentialEventRecorder,
    wait_until,
)
from tests.integration.notify.test_notify_service_announcements import (  # noqa: F401 — fixtures
    config,
    gateway,
    provider_secrets,
    room,
    rpc,
    worker,
)
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    module_receiver,
    receiver,
    sandbox,
    sandbox_process,
)

pytestmark = pytest.mark.postgres

REPLY_SECRET = "conversation-reply-secret"
URL_SECRET = "inbound-url-secret"
QUOTE = "\n\nOn Mon, Dec 7, 2026 at 9:00 AM Tess Ito wrote:\n> Parent night is on Thursday.\n"


@pytest.fixture
def services(container_factory, config, provider_secrets, monkeypatch):  # noqa: F811 — this module's stack
    monkeypatch.setenv("CONVERSATION_REPLY_SECRET", REPLY_SECRET)
    monkeypatch.setenv("INBOUND_EMAIL_URL_SECRET", URL_SECRET)
    CredentialEventRecorder.received = []
    containers = {service: container_factory(service, config) for service in
                  (DirectoryService, NotifyService, CredentialEventRecorder)}
    for container in containers.values():
        container.start()
    return containers


def texts(sandbox, number: str) -> list[str]:
    return [m["body"] for m in sandbox.messages(channel="sms", to=number)]


def messages(rpc, room, conversation_id: str) -> list[dict]:  # noqa: F811
    return rpc(notify.contract).get_conversation(viewer=room.tess, conversation_id=conversation_id)["messages"]


def test_a_message_to_anas_guardians_goes_by_their_rows_and_hals_text_back_is_filed_stop_is_not(
        rpc, room, sandbox, worker, gateway, receiver):
    notify_rpc = rpc(notify.contract)
    started = notify_rpc.start_conversation(sender=room.tess, guardians_of=room.ids["ana"],
                                            text="Parent night is on Thursday.")

    participants = {room.person(p["person_id"]): p["role"] for p in started["participants"]}
    assert participants == {"tess": "staff", "gina": "family", "hal": "family"}
    assert room.person(started["participants"][0]["person_id"]) == "tess"  # the starter first
    wait_until(lambda: sandbox.messages(channel="email", to=GINA_EMAIL) and texts(sandbox, HAL_MOBILE),
               what="Gina's email (M1) and Hal's SMS (M2)")
    [email] = sandbox.messages(channel="email", to=GINA_EMAIL)
    assert email["subject"] == "New message from Tess Ito" and email["body"] == "Tess Ito: Parent night is on Thursday."
    assert email["reply_to"].startswith("reply-") and email["reply_to"].endswith("@replies.localhost")
    assert texts(sandbox, HAL_MOBILE) == ["Tess Ito: Parent night is on Thursday."]

    sandbox.send_inbound_sms(HAL_MOBILE, OUR_NUMBER, "Thursday is fine.")
    wait_until(lambda: gateway.forward() or len(messages(rpc, room, started["conversation_id"])) == 2,
               what="Hal's text filed")
    reply = messages(rpc, room, started["conversation_id"])[-1]
    assert (reply["via"], reply["author_id"], reply["text"]) == ("sms", room.ids["hal"], "Thursday is fine.")
    wait_until(lambda: sandbox.messages(channel="email", to="tess.ito@lincoln.example.org"),
               what="Hal's reply delivered to Tess")

    # The same signed webhook again (a replay), and a text from a phone no message went to: nothing filed.
    [hal_text] = [w for w in receiver.received(TWILIO_INBOUND_PATH) if w.form["Body"] == "Thursday is fine."]
    again = notify_rpc.receive_provider_webhook(kind="twilio_inbound", url=hal_text.url,
                                                headers=dict(hal_text.headers.items()), body=hal_text.body.decode())
    assert again == {"accepted": True, "applied": 0}
    sandbox.send_inbound_sms("+15555550999", OUR_NUMBER, "Who is this?")
    wait_until(lambda: any(w.form["Body"] == "Who is this?" for w in receiver.received(TWILIO_INBOUND_PATH)),
               what="the stranger's text")
    gateway.forward()
    assert len(messages(rpc, room, started["conversation_id"])) == 2

    sandbox.send_inbound_sms(HAL_MOBILE, OUR_NUMBER, "STOP")
    wait_until(lambda: gateway.forward() or CredentialEventRecorder.received, what="Hal's STOP applied")
    assert len(messages(rpc, room, started["conversation_id"])) == 2


def test_texts_stored_before_notify_stopped_are_filed_once_in_order_when_it_starts_again(
        rpc, room, sandbox, worker, receiver, services, container_factory, config):
    notify_rpc = rpc(notify.contract)
    started = notify_rpc.start_conversation(sender=room.tess, guardians_of=room.ids["ana"],
                                            text="Parent night is on Thursday.")
    wait_until(lambda: texts(sandbox, HAL_MOBILE), what="Hal's SMS")
    for n in range(3):  # one at a time: the sandbox posts from several threads, in no promised order
        sandbox.send_inbound_sms(HAL_MOBILE, OUR_NUMBER, f"Reply {n}")
        wait_until(lambda: len(receiver.received(TWILIO_INBOUND_PATH)) == n + 1, what=f"Hal's text {n}")

    # notify stored the receipts (committed before Twilio was answered), then stopped before filing them;
    # the first text's webhook came twice (Twilio repeats itself).
    services[NotifyService].stop()
    webhooks = receiver.received(TWILIO_INBOUND_PATH)
    engine = make_engine(config["DATABASES"]["notify"])
    with Session(engine) as session:
        for webhook in [*webhooks, webhooks[0]]:
            WebhooksRepository(session).store(
                provider="twilio", kind="twilio_inbound", now=datetime.now(timezone.utc),
                payload={"url": webhook.url, "headers": {k.lower(): v for k, v in webhook.headers.items()},
                         "body": webhook.body.decode()})
    engine.dispose()
    container_factory(NotifyService, config).start()

    wait_until(lambda: len(messages(rpc, room, started["conversation_id"])) == 4, what="the three texts filed")
    wait_until(lambda: len(sandbox.messages(channel="email", to="tess.ito@lincoln.example.org")) == 3,
               what="the three replies delivered to Tess")
    assert [m["text"] for m in messages(rpc, room, started["conversation_id"])[1:]] == [
        "Reply 0", "Reply 1", "Reply 2"]


def test_a_backlog_of_texts_larger_than_a_batch_is_all_filed_when_notify_starts(
        rpc, room, sandbox, worker, services, container_factory, config):
    notify_rpc = rpc(notify.contract)
    started = notify_rpc.start_conversation(sender=room.tess, guardians_of=room.ids["ana"], text="Any questions?")
    wait_until(lambda: texts(sandbox, HAL_MOBILE), what="Hal's SMS")
    services[NotifyService].stop()
    backlog = 2 * INBOUND_BATCH + 50
    engine = make_engine(config["DATABASES"]["notify"])
    with Session(engine) as session:
        for n in range(backlog):
            body = urlencode({"MessageSid": f"SM{n:032x}", "From": HAL_MOBILE, "To": OUR_NUMBER, "Body": f"Text {n}"})
            WebhooksRepository(session).store(provider="twilio", kind="twilio_inbound", now=datetime.now(timezone.utc),
                                              payload={"url": "https://gateway.example.org/webhooks/twilio/inbound",
                                                       "headers": {}, "body": body})
    engine.dispose()
    container_factory(NotifyService, config).start()

    # More than a conversation shows (its latest 200): count them in the store.
    engine = make_engine(config["DATABASES"]["notify"])
    filed = select(func.count()).select_from(conversation_messages).where(
        conversation_messages.c.conversation_id == started["conversation_id"])
    try:
        with engine.connect() as connection:
            wait_until(lambda: connection.execute(filed).scalar_one() == 1 + backlog, what="the backlog filed")
    finally:
        engine.dispose()


def test_a_text_from_the_phone_dana_and_dennis_share_may_be_from_either_and_goes_to_everyone_else(
        rpc, room, sandbox, worker, gateway):
    notify_rpc = rpc(notify.contract)
    started = notify_rpc.start_conversation(sender=room.tess, guardians_of=room.ids["ben"], text="Ben did well.")
    wait_until(lambda: len(texts(sandbox, SHARED_PHONE)) == 2, what="an SMS for each sharer (F2)")
    assert sorted(texts(sandbox, SHARED_PHONE)) == ["For Dana: Tess Ito: Ben did well.",
                                                    "For Dennis: Tess Ito: Ben did well."]

    sandbox.send_inbound_sms(SHARED_PHONE, OUR_NUMBER, "Thank you!")
    wait_until(lambda: gateway.forward() or len(messages(rpc, room, started["conversation_id"])) == 2,
               what="the shared phone's text filed")
    reply = messages(rpc, room, started["conversation_id"])[-1]
    assert reply["author_id"] is None
    assert sorted(reply["possible_author_ids"]) == sorted([room.ids["dana"], room.ids["dennis"]])
    report = notify_rpc.get_delivery_report(viewer=room.district_admin, communication_id=reply["communication_id"])
    assert {room.person(line["person_id"]) for line in report["lines"]} == {"tess", "ivy"}


def test_an_email_reply_is_filed_once_without_its_quote_and_forged_expired_or_misaddressed_ones_are_not(
        rpc, room, sandbox, worker):
    notify_rpc = rpc(notify.contract)
    started = notify_rpc.start_conversation(sender=room.tess, participant_ids=[room.ids["gina"]], text="Hello Gina.")
    wait_until(lambda: sandbox.messages(channel="email", to=GINA_EMAIL), what="Gina's email")
    reply_to = sandbox.messages(channel="email", to=GINA_EMAIL)[0]["reply_to"]

    def reply(to: str, secret: str = URL_SECRET, message_id: str = "<gina-1@example.org>") -> dict:
        return notify_rpc.receive_email_reply(url_secret=secret, to=f"Tess <{to}>", text="See you there." + QUOTE,
                                              headers=f"Message-ID: {message_id}\n", **{"from": GINA_EMAIL})

    assert reply(reply_to) == {"accepted": True, "outcome": "filed"}
    assert reply(reply_to) == {"accepted": True, "outcome": "ignored"}  # the provider's repeat
    expired = rules.reply_address(REPLY_SECRET.encode(), rules.ReplyRoute(
        started["conversation_id"], 1, date.today() - timedelta(days=1)), "replies.localhost")
    forged = rules.reply_address(b"not our secret", rules.ReplyRoute(
        started["conversation_id"], 1, date.today() + timedelta(days=9)), "replies.localhost")
    unknown = rules.reply_address(REPLY_SECRET.encode(), rules.ReplyRoute(
        "0" * 32, 1, date.today() + timedelta(days=9)), "replies.localhost")
    for n, address in enumerate((expired, forged, unknown)):
        assert reply(address, message_id=f"<other-{n}@example.org>")["outcome"] == "ignored"
    assert reply(reply_to, secret="wrong", message_id="<other@example.org>")["accepted"] is False

    filed = [m for m in messages(rpc, room, started["conversation_id"]) if m["via"] == "email"]
    assert [(m["author_id"], m["text"]) for m in filed] == [(room.ids["gina"], "See you there.")]


def test_who_may_start_a_conversation_with_whom(rpc, room, config):
    notify_rpc = rpc(notify.contract)
    gina = room.principal("gina", "guardian", schools=False)

    with pytest.raises(InvalidRequest) as not_enabled:
        notify_rpc.start_conversation(sender=room.tess, participant_ids=[room.ids["ana"]], text="Hi")
    assert "student whose account is not enabled" in not_enabled.value.fields["participant_ids"][0]
    with pytest.raises(NotFound):
        notify_rpc.start_conversation(sender=room.tess, participant_ids=["f" * 32], text="Hi")
    with pytest.raises(InvalidRequest):  # staff talk here with families
        notify_rpc.start_conversation(sender=room.district_admin, participant_ids=[room.ids["tess"]], text="Hi")
    with pytest.raises(PermissionDenied):  # a family names a teacher of theirs, nobody else
        notify_rpc.start_conversation(sender=gina, participant_ids=[room.ids["ivy"]], text="Hi")
    with pytest.raises(PermissionDenied):  # a student whose account is not enabled starts nothing
        notify_rpc.start_conversation(sender=room.principal("ana", "student", schools=False),
                                      participant_ids=[room.ids["tess"]], text="Hi")

    started = notify_rpc.start_conversation(sender=gina, participant_ids=[room.ids["tess"]], text="A question.")
    by_ben = notify_rpc.start_conversation(sender=room.principal("ben", "student", schools=False),
                                           participant_ids=[room.ids["tess"]], text="My homework.")
    listed = notify_rpc.list_conversations(viewer=room.tess)
    assert [item["conversation_id"] for item in listed["items"]] == [by_ben["conversation_id"],
                                                                     started["conversation_id"]]
    with pytest.raises(NotFound):  # only participants read a conversation
        notify_rpc.get_conversation(viewer=room.principal("hal", "guardian"), conversation_id=started["conversation_id"])

    # Hal archived, as directory tells notify: nobody starts a conversation with him any more.
    event_dispatcher(config)(directory.NAME, directory.PEOPLE_UPSERTED.name, directory.PEOPLE_UPSERTED.dump(
        {"people": [{"person_id": room.ids["hal"], "district_id": room.district_id, "given_name": "Hal",
                     "family_name": "Baker", "kinds": ["guardian"], "school_ids": [room.school_id],
                     "student_account_enabled": False, "archived": True}]}))
    wait_until(lambda: notify_rpc.get_recipients(person_ids=[room.ids["hal"]])["recipients"][0]["archived"],
               what="Hal archived in notify")
    with pytest.raises(InvalidRequest) as archived:
        notify_rpc.start_conversation(sender=room.tess, participant_ids=[room.ids["hal"]], text="Hi")
    assert archived.value.fields["participant_ids"] == [f"{room.ids['hal']} is archived"]

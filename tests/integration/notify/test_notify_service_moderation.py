"""Content moderation below the gateway: NotifyService and the real DirectoryService in containers on PostgreSQL.
Ivy flags Tess's message to Ben's guardians; a Content Moderator of the school lists it, hides it (everyone sees
the notice, in the conversation and in Ivy's inbox), restores it; the directory's audit log keeps each decision.
Room 5 as in notify_service_district."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.directory.service import DirectoryService
from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.tables import deliveries
from services.notify.domain.delivery import Channel, DeliveryStatus
from services.notify.queue.jobs import DeliveryJob
from services.notify.service import NotifyService
from services.notify.ports import PageDelivery
from shared.contracts import directory, identity, notify
from shared.contracts.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from shared.contracts.moderation import FLAGGED, HIDDEN, HIDDEN_NOTICE, RESTORED
from shared.db import make_engine
from tests.integration.notify.notify_service_district import wait_until
from tests.integration.notify.test_notify_service_announcements import (  # noqa: F401 — fixtures
    config,
    provider_secrets,
    room,
    rpc,
)
from tests.integration.sandbox.sandbox_harness import sandbox_process  # noqa: F401 — a fixture

pytestmark = pytest.mark.postgres

TEXT = "Ben's friend's mother is at 555-0100, call her."


@pytest.fixture
def services(container_factory, config, provider_secrets, monkeypatch):  # noqa: F811 — this module's stack
    monkeypatch.setenv("CONVERSATION_REPLY_SECRET", "moderation-reply-secret")
    monkeypatch.setenv("INBOUND_EMAIL_URL_SECRET", "moderation-url-secret")
    for service in (DirectoryService, NotifyService):
        container_factory(service, config).start()


def test_a_flagged_message_is_listed_hidden_for_everyone_restored_and_every_decision_is_audited(rpc, room):  # noqa: F811
    notify_rpc = rpc(notify.contract)
    ivy = room.principal("ivy", identity.GUARDIAN)
    moderator = room.principal("tess", identity.TEACHER, permissions=[identity.CONTENT_MODERATOR])
    elsewhere = {**room.principal(None, identity.SCHOOL_ADMIN), "roles": [
        {"role": identity.SCHOOL_ADMIN, "school_ids": ["another-school"]}]}
    started = notify_rpc.start_conversation(sender=room.tess, guardians_of=room.ids["ben"], text=TEXT)
    conversation_id = started["conversation_id"]
    [message] = started["messages"]

    flag = notify_rpc.flag_message(viewer=ivy, conversation_id=conversation_id, message_id=message["message_id"],
                                   reason="another family's phone number")
    assert (flag["flagged_by"], flag["reviewed_at"]) == (room.ids["ivy"], None)
    again = notify_rpc.flag_message(viewer=ivy, conversation_id=conversation_id, message_id=message["message_id"],
                                    reason="once more")
    assert again["flag_id"] == flag["flag_id"] and again["reason"] == "another family's phone number"
    with pytest.raises(InvalidRequest):  # the author
        notify_rpc.flag_message(viewer=room.tess, conversation_id=conversation_id,
                                message_id=message["message_id"], reason="mine")
    with pytest.raises(NotFound):  # Gina takes no part in it
        notify_rpc.flag_message(viewer=room.principal("gina", identity.GUARDIAN), conversation_id=conversation_id,
                                message_id=message["message_id"], reason="not mine to flag")

    with pytest.raises(PermissionDenied):
        notify_rpc.list_flagged_messages(viewer=room.tess)
    with pytest.raises(PermissionDenied):
        notify_rpc.hide_message(viewer=room.tess, message_id=message["message_id"], reason="no")
    assert notify_rpc.list_flagged_messages(viewer=elsewhere)["items"] == []
    with pytest.raises(NotFound):
        notify_rpc.hide_message(viewer=elsewhere, message_id=message["message_id"], reason="out of reach")
    [listed] = notify_rpc.list_flagged_messages(viewer=moderator)["items"]
    assert (listed["message_id"], listed["text"], listed["hidden"]) == (message["message_id"], TEXT, False)
    assert [f["flag_id"] for f in listed["flags"]] == [flag["flag_id"]]

    hidden = notify_rpc.hide_message(viewer=moderator, message_id=message["message_id"], reason="private number")
    assert (hidden["hidden"], hidden["hidden_by"], hidden["text"]) == (True, room.ids["tess"], TEXT)
    assert hidden["flags"][0]["reviewed_at"] is not None
    shown = notify_rpc.get_conversation(viewer=ivy, conversation_id=conversation_id)["messages"][0]
    assert (shown["text"], shown["attachments"], shown["hidden"]) == (HIDDEN_NOTICE, [], True)
    [summary] = notify_rpc.list_conversations(viewer=ivy)["items"]
    assert summary["last_message_text"] == HIDDEN_NOTICE
    [item] = notify_rpc.get_inbox(viewer=ivy)["items"]
    assert item["preview"] == HIDDEN_NOTICE
    assert notify_rpc.open_inbox_item(viewer=ivy, communication_id=item["communication_id"])["body"] == HIDDEN_NOTICE
    with pytest.raises(Conflict):
        notify_rpc.hide_message(viewer=moderator, message_id=message["message_id"], reason="twice")
    assert notify_rpc.list_flagged_messages(viewer=moderator)["total"] == 0  # nothing pending
    assert notify_rpc.list_flagged_messages(viewer=moderator, state="all")["items"][0]["hidden"] is True

    restored = notify_rpc.restore_message(viewer=room.district_admin, message_id=message["message_id"],
                                          reason="the number was the school's")
    assert (restored["hidden"], restored["hidden_by"]) == (False, None)
    assert notify_rpc.get_conversation(viewer=ivy, conversation_id=conversation_id)["messages"][0]["text"] == TEXT
    with pytest.raises(Conflict):
        notify_rpc.restore_message(viewer=room.district_admin, message_id=message["message_id"], reason="twice")

    directory_rpc = rpc(directory.contract)

    def audited() -> list[dict]:
        return directory_rpc.get_audit_log(viewer=room.district_admin, subject_id=message["message_id"])["items"]

    wait_until(lambda: len(audited()) == 3, what="the three decisions in the audit log")
    entries = sorted(audited(), key=lambda entry: entry["at"])
    assert [(e["action"], e["actor_id"], e["subject_type"]) for e in entries] == [
        (FLAGGED, room.ids["ivy"], "message"), (HIDDEN, room.ids["tess"], "message"),
        (RESTORED, "admin-person", "message")]
    assert [(e["before"]["hidden"], e["after"]["hidden"]) for e in entries] == [
        (False, False), (False, True), (True, False)]
    assert [e["after"]["reason"] for e in entries] == [
        "another family's phone number", "private number", "the number was the school's"]


def test_hiding_withdraws_the_deliveries_no_provider_had_and_counts_those_already_sent(rpc, room, config):  # noqa: F811
    """No worker runs here, so every provider delivery of Tess's message waits on its queue; one of them a worker
    has claimed (its ledger row is 'sending': handed to the provider). Hiding withdraws the others: the report shows
    them skipped, withdrawn_by_moderator, and no worker's claim on them succeeds afterwards; the claimed one, should
    it fail, falls back to nothing."""
    notify_rpc = rpc(notify.contract)
    moderator = room.principal("tess", identity.TEACHER, permissions=[identity.CONTENT_MODERATOR])
    started = notify_rpc.start_conversation(sender=room.tess, guardians_of=room.ids["ben"], text=TEXT)
    [message] = started["messages"]
    communication_id = message["communication_id"]
    engine = make_engine(config["DATABASES"]["notify"])
    try:
        with Session(engine) as session:
            repository = DeliveryRepository(session)
            queued = [line for line in _report_lines(notify_rpc, room, communication_id)
                      if line["channel"] in PROVIDER_LINES and line["status"] == "queued"]
            assert len(queued) >= 2, queued
            first, rest = queued[0], queued[1:]
            content = repository.load_page(DeliveryJob(communication_id, Channel(first["channel"]), ("x",))).communication
            assert first["person_id"] in repository.load_fallback_context(content, [first["person_id"]]).recipients
            claimed = repository.claim_sends(communication_id, Channel(first["channel"]),
                                             [_page_delivery(session, communication_id, first)], job_id="job-1",
                                             now=datetime.now(timezone.utc))
            assert len(claimed) == 1

            hidden = notify_rpc.hide_message(viewer=moderator, message_id=message["message_id"], reason="private")

            assert hidden["deliveries"]["withdrawn"] == len(rest)
            assert hidden["deliveries"]["already_sent"] == 1
            assert hidden["deliveries"]["already_sent_by_channel"] == {first["channel"]: 1}
            assert "cannot be recalled" in hidden["deliveries"]["note"]
            lines = {(line["person_id"], line["channel"]): line
                     for line in _report_lines(notify_rpc, room, communication_id)}
            assert lines[(first["person_id"], first["channel"])]["status"] == "queued"  # the provider has it
            for line in rest:
                withdrawn = lines[(line["person_id"], line["channel"])]
                assert (withdrawn["status"], withdrawn["reason"]) == ("skipped", "withdrawn_by_moderator")
            # Should what the provider has fail now, it falls back to nothing: the message is hidden.
            assert repository.load_fallback_context(content, [first["person_id"]]).recipients == {}
            # A worker that loaded the page before the hiding finds the key taken: nothing is sent.
            late = rest[0]
            assert repository.claim_sends(communication_id, Channel(late["channel"]),
                                          [_page_delivery(session, communication_id, late)], job_id="job-2",
                                          now=datetime.now(timezone.utc)) == set()
    finally:
        engine.dispose()

    restored = notify_rpc.restore_message(viewer=room.district_admin, message_id=message["message_id"],
                                          reason="reviewed")
    assert (restored["deliveries"]["withdrawn"], restored["deliveries"]["already_sent"]) == (0, 0)
    assert "not sent again" in restored["deliveries"]["note"]


PROVIDER_LINES = ("email", "sms", "voice")


def _report_lines(notify_rpc, room, communication_id: str) -> list[dict]:
    return notify_rpc.get_delivery_report(viewer=room.tess, communication_id=communication_id,
                                          per_page=200)["lines"]


def _page_delivery(session: Session, communication_id: str, line: dict) -> PageDelivery:
    delivery_id = session.execute(select(deliveries.c.id).where(
        deliveries.c.communication_id == communication_id, deliveries.c.person_id == line["person_id"],
        deliveries.c.channel == line["channel"])).scalar_one()
    session.rollback()
    return PageDelivery(delivery_id, line["person_id"], Channel(line["channel"]), line["address"], None,
                        DeliveryStatus.QUEUED, 0)

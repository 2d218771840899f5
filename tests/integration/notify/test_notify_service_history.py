"""A person's communication history in SQL, on PostgreSQL and SQLite: newest first, paged; everything for
the person themselves and for Engagement Visibility (within the district), only what a teacher sent or
takes part in otherwise; delivery status per credential only with an extended permission."""
from __future__ import annotations

from datetime import timedelta

import pytest
from services.notify.adapters.store import NotifyStore
from services.notify.domain.conversation_records import NewMessage, StoredConversation, StoredParticipant
from services.notify.domain.delivery import Channel, Communication, NewDelivery
from services.notify.handlers_history import get_communication_history
from shared.contracts.errors import PermissionDenied
from shared.contracts.identity import ENGAGEMENT_VISIBILITY, USERS_MANAGER
from tests.integration.notify.notify_service_world import NOW, add_people, make_person
from tests.integration.notify.test_notify_service_inbox import announce, store  # noqa: F401 — fixture


def teacher(person_id: str, *permissions: str) -> dict:
    return {"person_id": person_id, "district_id": "district-1", "display_name": person_id.title(),
            "status": "active", "roles": [{"role": "teacher", "school_ids": ["school-1"]}],
            "permissions": list(permissions)}


def guardian(person_id: str) -> dict:
    return {**teacher(person_id), "roles": [{"role": "guardian", "school_ids": []}]}


@pytest.fixture
def world(store, notify_engine):
    """Tess's announcement to Ivy and Gus, Omar's to Ivy, Omar's message to Ivy in a conversation Tess takes
    part in, and an announcement to Ivy from another district."""
    add_people(notify_engine, [make_person("ivy", "Ivy", "Adams", email="ivy@example.org", joined=True),
                               make_person("gus", "Gus", "Brown", email="gus@example.org", joined=True)])
    tess_notice = announce(store, ["ivy", "gus"], 1)
    omar_notice = _announce_as(store, "omar", 2, minutes=5)
    message = _message(store, minutes=10)
    elsewhere = store.deliveries.create_communication(
        district_id="district-2", kind=Communication.ANNOUNCEMENT, body="Another district.", sender_id="zed",
        now=NOW + timedelta(minutes=15), communication_id="comm-elsewhere")
    store.deliveries.create_deliveries(elsewhere, [NewDelivery("ivy", Channel.EMAIL, "ivy@example.org")],
                                       now=NOW + timedelta(minutes=15))
    return {"tess": tess_notice, "omar": omar_notice, "message": message, "elsewhere": elsewhere}


def _announce_as(store: NotifyStore, sender_id: str, number: int, *, minutes: int) -> str:
    communication_id = store.deliveries.create_communication(
        district_id="district-1", kind=Communication.ANNOUNCEMENT, subject=f"Notice {number}",
        body=f"Body of notice {number}.", sender_id=sender_id, now=NOW + timedelta(minutes=minutes),
        communication_id=f"comm-{number}")
    store.deliveries.create_deliveries(communication_id, [NewDelivery("ivy", Channel.EMAIL, "ivy@example.org")],
                                       now=NOW + timedelta(minutes=minutes))
    return communication_id


def _message(store: NotifyStore, *, minutes: int) -> str:
    at = NOW + timedelta(minutes=minutes)
    communication_id = store.deliveries.create_communication(
        district_id="district-1", kind=Communication.MESSAGE, body="Omar Diaz: Ivy's project is due Friday.",
        sender_id="omar", now=at, communication_id="comm-message")
    store.deliveries.create_deliveries(communication_id, [NewDelivery("ivy", Channel.EMAIL, "ivy@example.org"),
                                                          NewDelivery("ivy", Channel.APP, None)], now=at)
    participants = tuple(StoredParticipant(person_id, position, role) for position, (person_id, role) in
                         enumerate([("omar", "staff"), ("tess", "staff"), ("ivy", "family")]))
    store.conversations.create(
        StoredConversation("conv-1", "district-1", "omar", at, at, participants),
        NewMessage("message-1", "conv-1", "omar", ("omar",), "app", "Ivy's project is due Friday.", (),
                   communication_id, at))
    return communication_id


def history(store: NotifyStore, viewer: dict, person_id: str = "ivy", **paging) -> dict:
    return get_communication_history({"viewer": viewer, "person_id": person_id, "page": 1, "per_page": 20,
                                      **paging}, history=store.history)


def ids(answer: dict) -> list[str]:
    return [item["communication_id"] for item in answer["items"]]


def test_engagement_visibility_sees_every_communication_of_the_district_newest_first_with_delivery_status(
        store, world):
    answer = history(store, teacher("vera", ENGAGEMENT_VISIBILITY))

    assert ids(answer) == [world["message"], world["omar"], world["tess"]]
    assert (answer["total"], answer["scope"]) == (3, "everything")
    message = answer["items"][0]
    assert (message["kind"], message["conversation_id"], message["sender_id"]) == ("message", "conv-1", "omar")
    assert [(d["channel"], d["address"], d["status"]) for d in message["deliveries"]] == [
        ("app", None, "planned"), ("email", "ivy@example.org", "planned")]
    assert answer["items"][2]["subject"] == "Notice 1" and answer["items"][2]["preview"] == "Body of notice 1."


def test_a_teacher_without_it_sees_only_what_they_sent_or_take_part_in_and_no_delivery_status(store, world):
    answer = history(store, teacher("tess"))

    assert ids(answer) == [world["message"], world["tess"]]
    assert answer["scope"] == "took_part" and answer["total"] == 2
    assert all("deliveries" not in item for item in answer["items"])
    assert ids(history(store, teacher("omar"))) == [world["message"], world["omar"]]
    assert history(store, teacher("nobody"))["items"] == []


def test_users_manager_sees_delivery_status_of_what_they_took_part_in_only(store, world):
    answer = history(store, teacher("tess", USERS_MANAGER))

    assert ids(answer) == [world["message"], world["tess"]]
    assert ("email", "ivy@example.org") in [(d["channel"], d["address"]) for d in answer["items"][1]["deliveries"]]


def test_a_person_sees_all_their_own_communications_whatever_the_district(store, world):
    answer = history(store, guardian("ivy"))

    assert ids(answer) == [world["elsewhere"], world["message"], world["omar"], world["tess"]]
    assert all("deliveries" in item for item in answer["items"])


def test_the_history_is_paged(store, world):
    second = history(store, teacher("vera", ENGAGEMENT_VISIBILITY), page=2, per_page=2)

    assert ids(second) == [world["tess"]] and second["total"] == 3 and second["page"] == 2


def test_a_guardian_may_not_read_someone_elses_history(store, world):
    with pytest.raises(PermissionDenied):
        history(store, guardian("gus"))

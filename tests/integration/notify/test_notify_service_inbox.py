"""The app inbox and push devices in SQL, on PostgreSQL and SQLite: a person's items newest first with the
unread count, opening marks read, mark all read, the report's read state; devices registered, moved,
capped and removed; push deliveries planned only for people with a device."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from services.notify.adapters.store import NotifyStore
from services.notify.domain.communications import NewAnnouncement
from services.notify.domain.translation import (
    UNTRANSLATED_NOTE,
    CommunicationTranslation,
    TranslationOutcome,
)
from services.notify.handlers_announcements import plan_announcement
from services.notify.handlers_inbox import (
    get_inbox,
    list_devices,
    mark_inbox_read,
    open_inbox_item,
    register_device,
    remove_device,
)
from services.notify.handlers_reports import get_delivery_report
from shared.contracts.errors import Conflict, NotFound
from tests.integration.notify.notify_service_world import NOW, RecordedJobs, add_people, make_person

ADMIN = {"person_id": "admin", "district_id": "district-1", "display_name": "Admin", "status": "active",
         "roles": [{"role": "district_admin", "school_ids": []}], "permissions": []}


def viewer(person_id: str) -> dict:
    return {**ADMIN, "person_id": person_id, "roles": [{"role": "guardian", "school_ids": []}]}


@pytest.fixture
def store(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield NotifyStore(session)
    session.close()


@pytest.fixture
def families(notify_engine):
    add_people(notify_engine, [
        make_person("ivy", "Ivy", "Adams", email="ivy@example.org", joined=True),
        make_person("gus", "Gus", "Brown", email="gus@example.org", joined=True),
        make_person("nora", "Nora", "Cole", email="nora@example.org"),  # has not joined: no app channel
    ])
    return ["ivy", "gus", "nora"]


def announce(store: NotifyStore, people: list[str], number: int, *, minutes: int = 0) -> str:
    communication_id = f"comm-{number}"
    store.communications.create_announcement(NewAnnouncement(
        id=communication_id, district_id="district-1", sender_id="tess", subject=f"Notice {number}",
        body=f"Body of notice {number}.", priority=False, with_call=False, audience={"classroom_id": "room-5"},
        created_at=NOW), people)
    jobs = RecordedJobs()
    plan_announcement({"communication_id": communication_id}, communications=store.communications,
                      district_defaults=store.preferences, queue_marks=store.deliveries, jobs=jobs,
                      clock=lambda: NOW + timedelta(minutes=minutes))
    return communication_id


def inbox(store: NotifyStore, person_id: str, **query) -> dict:
    return get_inbox({"viewer": viewer(person_id), "page": 1, "per_page": 25, "unread": False, "kind": None,
                      **query}, inbox=store.inbox)


def test_a_joined_person_lists_their_items_newest_first_opens_one_and_marks_all_read(store, families):
    first, second = announce(store, families, 1), announce(store, families, 2, minutes=5)

    listed = inbox(store, "ivy")
    assert [item["communication_id"] for item in listed["items"]] == [second, first]
    assert listed["unread_count"] == 2 and listed["items"][0]["preview"] == "Body of notice 2."

    opened = open_inbox_item({"viewer": viewer("ivy"), "communication_id": first}, inbox=store.inbox,
                             clock=lambda: NOW + timedelta(hours=1))
    assert opened["body"] == "Body of notice 1." and opened["read"] is True
    assert [item["communication_id"] for item in inbox(store, "ivy", unread=True)["items"]] == [second]

    marked = mark_inbox_read({"viewer": viewer("ivy"), "kind": None}, inbox=store.inbox,
                             clock=lambda: NOW + timedelta(hours=2))
    assert marked == {"marked": 1, "unread_count": 0}
    # The first opening's time stays.
    again = open_inbox_item({"viewer": viewer("ivy"), "communication_id": first}, inbox=store.inbox,
                            clock=lambda: NOW + timedelta(hours=3))
    assert again["read_at"] == NOW + timedelta(hours=1)


def test_nobody_opens_another_persons_item_and_a_person_not_joined_has_none(store, families):
    communication_id = announce(store, ["ivy"], 1)

    with pytest.raises(NotFound):
        open_inbox_item({"viewer": viewer("gus"), "communication_id": communication_id}, inbox=store.inbox,
                        clock=lambda: NOW)
    announce(store, families, 2)
    assert inbox(store, "nora") == {"items": [], "total": 0, "unread_count": 0, "page": 1, "per_page": 25}
    assert inbox(store, "ivy", kind="message")["total"] == 0


def test_the_report_shows_who_read_the_app_item(store, families):
    communication_id = announce(store, families, 1)
    open_inbox_item({"viewer": viewer("ivy"), "communication_id": communication_id}, inbox=store.inbox,
                    clock=lambda: NOW + timedelta(hours=1))

    report = get_delivery_report({"viewer": ADMIN, "communication_id": communication_id, "page": 1,
                                  "per_page": 100, "status": None}, communications=store.communications,
                                 counts=store.deliveries, reports=store.reports, reads=store.inbox,
                                 translations=store.translations)

    assert report["app_read"] == {"read": 1, "unread": 1}
    app_lines = {line["person_id"]: line["read_at"] for line in report["lines"] if line["channel"] == "app"}
    assert app_lines == {"ivy": NOW + timedelta(hours=1), "gus": None}
    assert all(line["read_at"] is None for line in report["lines"] if line["channel"] != "app")


def test_push_is_planned_and_queued_only_for_joined_people_with_a_device(store, families):
    register_device({"viewer": viewer("ivy"), "token": "ivy-phone", "platform": "ios"}, devices=store.devices, push_configured=True,
                    clock=lambda: NOW)
    register_device({"viewer": viewer("nora"), "token": "nora-phone", "platform": "android"},
                    devices=store.devices, push_configured=True, clock=lambda: NOW)
    communication_id = announce(store, families, 1)

    counts = store.deliveries.delivery_report(communication_id)
    assert {channel.value: dict(statuses) for channel, statuses in counts.items()}["push"] == {"queued": 1}
    pushes = store.communications.unqueued_provider_deliveries(communication_id)
    assert pushes == []  # queued already, with the email jobs


def test_a_device_is_registered_once_moves_to_whoever_registers_it_and_is_removed_by_its_owner(store, families):
    first = register_device({"viewer": viewer("ivy"), "token": "shared-tablet", "platform": "android"},
                            devices=store.devices, push_configured=True, clock=lambda: NOW)
    again = register_device({"viewer": viewer("ivy"), "token": "shared-tablet", "platform": "android"},
                            devices=store.devices, push_configured=True, clock=lambda: NOW + timedelta(days=1))
    assert again["device_id"] == first["device_id"] and again["last_seen_at"] == NOW + timedelta(days=1)

    register_device({"viewer": viewer("gus"), "token": "shared-tablet", "platform": "android"},
                    devices=store.devices, push_configured=True, clock=lambda: NOW + timedelta(days=2))
    assert list_devices({"viewer": viewer("ivy")}, devices=store.devices) == {"devices": []}

    with pytest.raises(NotFound):
        remove_device({"viewer": viewer("ivy"), "device_id": first["device_id"]}, devices=store.devices)
    assert remove_device({"viewer": viewer("gus"), "device_id": first["device_id"]},
                         devices=store.devices) == {"devices": []}


def test_a_person_keeps_their_ten_most_recently_seen_devices(store, families):
    for number in range(12):
        register_device({"viewer": viewer("ivy"), "token": f"phone-{number}", "platform": "android"},
                        devices=store.devices, push_configured=True,
                        clock=lambda number=number: NOW + timedelta(minutes=number))

    kept = list_devices({"viewer": viewer("ivy")}, devices=store.devices)["devices"]
    assert len(kept) == 10 and kept[0]["last_seen_at"] == NOW + timedelta(minutes=11)


def test_no_device_is_registered_while_push_is_not_configured(store, families):
    with pytest.raises(Conflict) as refused:
        register_device({"viewer": viewer("ivy"), "token": "ivy-phone", "platform": "ios"}, devices=store.devices,
                        push_configured=False, clock=lambda: NOW)

    assert refused.value.fields == {"token": ["push (FCM) is not configured"]}
    assert list_devices({"viewer": viewer("ivy")}, devices=store.devices) == {"devices": []}


def test_items_are_shown_in_the_readers_language_from_the_stored_translation_and_as_written_on_request(
        store, notify_engine):
    add_people(notify_engine, [
        make_person("rosa", "Rosa", "Diaz", email="rosa@example.org", joined=True, language="es"),
        make_person("vu", "Vu", "Tran", email="vu@example.org", joined=True, language="vi"),
    ])
    communication_id = announce(store, ["rosa", "vu"], 1)
    store.translations.store_translations_of({communication_id: [
        CommunicationTranslation("es", TranslationOutcome.TRANSLATED, "Aviso 1", "Cuerpo del aviso 1."),
        CommunicationTranslation("vi", TranslationOutcome.UNAVAILABLE, reason="the translator timed out")]}, now=NOW)

    [rosas] = inbox(store, "rosa")["items"]
    assert (rosas["subject"], rosas["preview"], rosas["language"], rosas["original_language"],
            rosas["translation"]) == ("Aviso 1", "Cuerpo del aviso 1.", "es", "en", "translated")
    [as_written] = inbox(store, "rosa", original=True)["items"]
    assert (as_written["subject"], as_written["preview"], as_written["translation"]) == (
        "Notice 1", "Body of notice 1.", "original")
    opened = open_inbox_item({"viewer": viewer("rosa"), "communication_id": communication_id}, inbox=store.inbox,
                             clock=lambda: NOW)
    assert (opened["subject"], opened["body"]) == ("Aviso 1", "Cuerpo del aviso 1.")
    assert open_inbox_item({"viewer": viewer("rosa"), "communication_id": communication_id, "original": True},
                           inbox=store.inbox, clock=lambda: NOW)["body"] == "Body of notice 1."
    [vus] = inbox(store, "vu")["items"]  # the translation failed when it was sent: the original, with the note
    assert (vus["subject"], vus["translation"], vus["language"]) == ("Notice 1", "unavailable", "en")
    assert vus["preview"].startswith(UNTRANSLATED_NOTE)

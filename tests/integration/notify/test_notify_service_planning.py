"""Planning an announcement in SQL, on PostgreSQL and SQLite: deliveries by preference and health, skipped
rows with reasons, the inbox, jobs in pages, a safe rerun; then the report that shows it all."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import communications, deliveries, inbox_items
from services.notify.domain.communications import NewAnnouncement
from services.notify.domain.delivery import Preference
from services.notify.domain.planned_rows import planned_rows
from services.notify.handlers_announcements import plan_announcement
from services.notify.handlers_reports import get_delivery_report
from tests.integration.notify.notify_service_world import (
    NOW,
    RecordedJobs,
    add_people,
    choose,
    make_person,
    mark,
)

SHARED_PHONE = "+15555550150"
ADMIN = {"person_id": "admin", "district_id": "district-1", "display_name": "Admin", "status": "active",
         "roles": [{"role": "district_admin", "school_ids": []}], "permissions": []}


@pytest.fixture
def store(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield NotifyStore(session)
    session.close()


@pytest.fixture
def classroom(notify_engine):
    add_people(notify_engine, [
        make_person("gina", "Gina", "Lopez", email="gina@example.org", mobile_phone="+15555550101"),
        make_person("hal", "Hal", "Baker", email="hal@example.org", mobile_phone="+15555550102"),
        make_person("dana", "Dana", "Okafor", mobile_phone=SHARED_PHONE),
        make_person("dennis", "Dennis", "Okafor", mobile_phone=SHARED_PHONE),
        make_person("ivy", "Ivy", "Adams", email="ivy@example.org", joined=True),
        make_person("ben", "Ben", "Okafor", email="ben@students.example.org", mobile_phone="+15555550103",
                    kinds=["student"], student_account_enabled=True),
        make_person("ana", "Ana", "Lopez", kinds=["student"], email="ana@students.example.org"),
        make_person("nora", "Nora", "Cole"),
        make_person("old", "Olga", "Dee", email="olga@example.org", archived=True),
    ])
    choose(notify_engine, hal="sms_app", dana="sms_app", dennis="sms_app", ivy="app_only")
    mark(notify_engine, "email", "hal@example.org", "bad", "address bounced")
    return ["gina", "hal", "dana", "dennis", "ivy", "ben", "ana", "nora", "old", "stranger"]


def announce(store: NotifyStore, person_ids: list[str], **overrides) -> str:
    announcement = NewAnnouncement(**{
        "id": "comm-1", "district_id": "district-1", "sender_id": "tess", "subject": "Snow day",
        "body": "School is closed today.", "priority": False, "with_call": False,
        "audience": {"classroom_id": "room-5"}, "created_at": NOW, **overrides})
    store.communications.create_announcement(announcement, person_ids)
    return announcement.id


def plan(store: NotifyStore, jobs: RecordedJobs, communication_id: str = "comm-1") -> int:
    return plan_announcement({"communication_id": communication_id}, communications=store.communications,
                             district_defaults=store.preferences, queue_marks=store.deliveries, jobs=jobs,
                             clock=lambda: NOW)


def planner_of(store: NotifyStore, communication_id: str = "comm-1"):
    request = store.communications.communication(communication_id).plan_request(Preference.EMAIL_APP)
    return lambda page: planned_rows(page, request)


def rows(engine, communication_id: str = "comm-1") -> dict[tuple[str, str], tuple]:
    with engine.connect() as connection:
        return {(row.person_id, row.channel): (row.status, row.address, row.label, row.reason)
                for row in connection.execute(select(deliveries).where(
                    deliveries.c.communication_id == communication_id))}


def test_each_recipient_is_planned_by_preference_and_health_with_skipped_channels_and_the_inbox(
        notify_engine, store, classroom):
    jobs = RecordedJobs()
    announce(store, classroom)

    assert plan(store, jobs) == 5

    assert rows(notify_engine) == {
        ("gina", "email"): ("queued", "gina@example.org", None, None),
        # Hal prefers SMS; his email is bad, which the report shows even though SMS reached him.
        ("hal", "sms"): ("queued", "+15555550102", None, None),
        ("hal", "email"): ("skipped", "hal@example.org", None, "email_bad"),
        ("dana", "sms"): ("queued", SHARED_PHONE, "For Dana:", None),
        ("dana", "email"): ("skipped", None, None, "no_email"),
        ("dennis", "sms"): ("queued", SHARED_PHONE, "For Dennis:", None),
        ("dennis", "email"): ("skipped", None, None, "no_email"),
        ("ivy", "app"): ("delivered", None, None, None),
        ("ivy", "email"): ("skipped", "ivy@example.org", None, "app_only_preference"),
        ("ivy", "sms"): ("skipped", None, None, "app_only_preference"),
        ("ben", "email"): ("queued", "ben@students.example.org", None, None),
        ("ben", "sms"): ("skipped", "+15555550103", None, "student_sms_not_allowed"),
        ("nora", "email"): ("skipped", None, None, "no_email"),
        ("nora", "sms"): ("skipped", None, None, "no_mobile"),
    }
    assert sorted((job.channel.value, len(job.delivery_ids)) for job in jobs) == [("email", 2), ("sms", 3)]
    with notify_engine.connect() as connection:
        assert connection.execute(select(inbox_items.c.person_id)).scalars().all() == ["ivy"]
        assert connection.execute(select(communications.c.state, communications.c.planned_count)).one() == (
            "queued", 14)


def test_planning_again_plans_nothing_new_and_queues_nothing_twice(notify_engine, store, classroom):
    announce(store, classroom)
    plan(store, RecordedJobs())
    again = RecordedJobs()

    assert plan(store, again) == 0

    assert again == []
    with notify_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(deliveries)).scalar() == 14


def test_a_rerun_after_a_crash_between_planning_and_publishing_publishes_and_marks_the_rest(
        notify_engine, store, classroom):
    announce(store, classroom)
    store.communications.write_plan("comm-1", planner_of(store), now=NOW)  # then the process died
    jobs = RecordedJobs()

    assert plan(store, jobs) == 5

    assert sum(len(job.delivery_ids) for job in jobs) == 5
    assert {status for status, *_ in rows(notify_engine).values()} == {"queued", "skipped", "delivered"}


def test_the_district_default_applies_to_adults_who_never_chose_and_email_and_app_to_students(
        notify_engine, store, classroom):
    store.preferences.set_district_default("district-1", "sms_app", updated_by="admin", now=NOW)
    announce(store, classroom)

    plan(store, RecordedJobs())

    planned = rows(notify_engine)
    assert planned[("gina", "sms")][0] == "queued"
    assert ("gina", "email") not in planned
    # A student who never chose has Email+app, not the district default.
    assert planned[("ben", "email")][0] == "queued"
    assert planned[("ben", "sms")] == ("skipped", "+15555550103", None, "student_sms_not_allowed")


def test_a_priority_announcement_reaches_the_enabled_student_by_sms_and_email(notify_engine, store, classroom):
    announce(store, classroom, priority=True)

    plan(store, RecordedJobs())

    planned = rows(notify_engine)
    assert planned[("ben", "sms")][0] == planned[("ben", "email")][0] == "queued"
    assert planned[("ivy", "email")][0] == "queued"  # priority overrides App only


def test_planning_reads_recipients_in_pages_without_losing_anyone_between_them(notify_engine, store):
    people = [make_person(f"p-{n:03}", f"Given{n}", f"Family{n}", email=f"p{n}@example.org") for n in range(25)]
    add_people(notify_engine, people)
    announce(store, [person["person_id"] for person in people])

    written = store.communications.write_plan("comm-1", planner_of(store), now=NOW, page_size=7)

    planned = rows(notify_engine)
    assert {person for person, channel in planned if channel == "email"} == {p["person_id"] for p in people}
    assert written == len(planned) == 50  # an email each, and an SMS skipped for want of a mobile


def test_the_report_counts_each_channel_and_status_lists_lines_by_family_name_and_counts_the_unreachable(
        store, classroom):
    announce(store, classroom)
    plan(store, RecordedJobs())
    request = {"viewer": ADMIN, "communication_id": "comm-1", "page": 1, "per_page": 5, "status": None}

    report = get_delivery_report(request, communications=store.communications, counts=store.deliveries,
                                 reports=store.reports, reads=store.inbox,
                                 translations=store.translations)

    assert report["counts"] == {"email": {"queued": 2, "skipped": 5}, "sms": {"queued": 3, "skipped": 3},
                                "app": {"delivered": 1}}
    # Ivy chose App only and Nora has no credential: nothing reaches them outside the app.
    assert report["unreachable"] == 2 and report["total"] == 14
    assert report["app_read"] == {"read": 0, "unread": 1}
    assert [(line["family_name"], line["person_id"], line["channel"]) for line in report["lines"]] == [
        ("Adams", "ivy", "app"), ("Adams", "ivy", "email"), ("Adams", "ivy", "sms"),
        ("Baker", "hal", "email"), ("Baker", "hal", "sms")]

    skipped = get_delivery_report({**request, "status": "skipped", "per_page": 100},
                                  communications=store.communications, counts=store.deliveries, reports=store.reports,
                                  reads=store.inbox, translations=store.translations)
    assert skipped["total"] == 8 and {line["status"] for line in skipped["lines"]} == {"skipped"}

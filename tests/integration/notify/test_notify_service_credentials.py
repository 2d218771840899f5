"""Credential health, Reset Status, preferences and unreachable contacts in SQL, on PostgreSQL and SQLite."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import communications, deliveries, status_resets
from services.notify.handlers_credentials import get_credential_health, reset_credential_status
from services.notify.handlers_preferences import get_preferences
from services.notify.handlers_reports import list_unreachable_contacts
from shared.contracts import notify
from shared.contracts.errors import InvalidRequest
from shared.testing.transaction_faults import outbox_events, staging_publish
from tests.integration.notify.notify_service_world import NOW, add_people, choose, make_person, mark

GINA_EMAIL, GINA_MOBILE = "gina@example.org", "+15555550101"
PRINCIPAL_OF_SCHOOL_1 = {"person_id": "pat", "district_id": "district-1", "display_name": "Pat", "status": "active",
                         "roles": [{"role": "school_admin", "school_ids": ["school-1"]}], "permissions": []}


@pytest.fixture
def store(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield NotifyStore(session)
    session.close()


@pytest.fixture
def gina(notify_engine):
    add_people(notify_engine, [make_person("gina", "Gina", "Lopez", email=GINA_EMAIL, mobile_phone=GINA_MOBILE)])


def deliver(engine, *rows: tuple[str, str, str, int]) -> None:
    """(channel, address, status, minutes after NOW) deliveries to Gina, each of its own communication."""
    with engine.begin() as connection:
        connection.execute(insert(communications), [
            {"id": f"comm-{n}", "district_id": "district-1", "kind": "announcement", "body": "Closed.",
             "created_at": NOW} for n in range(len(rows))])
        connection.execute(insert(deliveries), [
            {"id": f"d-{n}", "communication_id": f"comm-{n}", "person_id": "gina", "channel": channel,
             "address": address, "status": status, "created_at": NOW,
             "updated_at": NOW + timedelta(minutes=minutes)}
            for n, (channel, address, status, minutes) in enumerate(rows)])


def test_a_profile_shows_each_credential_with_its_state_reason_and_latest_delivery_status(notify_engine, store, gina):
    mark(notify_engine, "email", GINA_EMAIL, "bad", "address bounced")
    deliver(notify_engine, ("email", GINA_EMAIL, "sent", 1), ("email", GINA_EMAIL, "fell_back", 2),
            ("sms", GINA_MOBILE, "delivered", 3), ("sms", GINA_MOBILE, "skipped", 4))

    answer = get_credential_health({"person_ids": ["gina", "unknown"]}, credentials=store.credentials)

    assert [{key: row[key] for key in ("kind", "address", "state", "reason", "last_status")}
            for row in answer["credentials"]] == [
        {"kind": "email", "address": GINA_EMAIL, "state": "bad", "reason": "address bounced",
         "last_status": "fell_back"},
        {"kind": "mobile_phone", "address": GINA_MOBILE, "state": "good", "reason": None,
         "last_status": "delivered"},
    ]


def test_reset_status_clears_bad_and_records_who_when_why_and_what_it_cleared(notify_engine, store, gina):
    mark(notify_engine, "email", GINA_EMAIL, "bad", "address bounced")

    answer = reset_credential_status({"person_id": "gina", "kind": "email", "reset_by": "pat",
                                      "reason": "Gina fixed her mailbox"},
                                     credentials=store.credentials, suppressions=None,
                                     publish=staging_publish(store.credentials.session, notify.contract),
                                     clock=lambda: NOW)

    assert answer["state"] == "good" and answer["previous_state"] == "bad"
    [health] = get_credential_health({"person_ids": ["gina"]}, credentials=store.credentials)["credentials"][:1]
    assert (health["state"], health["reason"]) == ("good", None)
    with notify_engine.connect() as connection:
        assert connection.execute(select(status_resets.c.kind, status_resets.c.address, status_resets.c.previous_state,
                                         status_resets.c.previous_reason, status_resets.c.reset_by,
                                         status_resets.c.reason)).all() == [
            ("email", GINA_EMAIL, "bad", "address bounced", "pat", "Gina fixed her mailbox")]
    # In the outbox with the reset: no later commit was needed.
    assert outbox_events(notify_engine) == [(notify.CREDENTIAL_STATUS_CHANGED.name, {
        "kind": "email", "address": GINA_EMAIL, "state": "good", "reason": None})]


def test_reset_status_refuses_an_opted_out_mobile_and_records_nothing(notify_engine, store, gina):
    mark(notify_engine, "mobile_phone", GINA_MOBILE, "opted_out", "recipient texted STOP")

    with pytest.raises(InvalidRequest) as refused:
        reset_credential_status({"person_id": "gina", "kind": "mobile_phone", "reset_by": "pat", "reason": None},
                                credentials=store.credentials, suppressions=None,
                                publish=staging_publish(store.credentials.session, notify.contract),
                                clock=lambda: NOW)

    assert list(refused.value.fields) == ["kind"]
    with notify_engine.connect() as connection:
        assert connection.execute(select(status_resets)).all() == []
    health = get_credential_health({"person_ids": ["gina"]}, credentials=store.credentials)["credentials"]
    assert health[1]["state"] == "opted_out"
    assert outbox_events(notify_engine) == []  # not even carried by the session's next commit


def test_preferences_fall_back_to_each_persons_district_default(notify_engine, store, gina):
    add_people(notify_engine, [make_person("hal", "Hal", "Baker")])
    choose(notify_engine, hal="app_only")
    store.preferences.set_district_default("district-1", "sms_app", updated_by="admin", now=NOW)

    answer = get_preferences({"person_ids": ["gina", "hal", "stranger"]}, preferences=store.preferences)

    assert [(row["person_id"], row["preference"], row["chosen"]) for row in answer["preferences"]] == [
        ("gina", "sms_app", False), ("hal", "app_only", True), ("stranger", "email_app", False)]


def test_students_who_never_chose_have_email_and_app_whatever_the_district_default(notify_engine, store):
    add_people(notify_engine, [
        make_person("sam", "Sam", "Ito", kinds=["student"], student_account_enabled=True),
        make_person("pia", "Pia", "Ito", kinds=["guardian", "student"]),
        make_person("kim", "Kim", "Ito", kinds=["student"]),
        make_person("gus", "Gus", "Ito"),
    ])
    choose(notify_engine, kim="sms_app")
    store.preferences.set_district_default("district-1", "sms_app", updated_by="admin", now=NOW)

    answer = get_preferences({"person_ids": ["sam", "pia", "kim", "gus"]}, preferences=store.preferences)

    assert [(row["person_id"], row["preference"], row["chosen"]) for row in answer["preferences"]] == [
        ("sam", "email_app", False), ("pia", "email_app", False), ("kim", "sms_app", True),
        ("gus", "sms_app", False)]


@pytest.mark.parametrize("district_default", ["email_app", "sms_app"])
def test_unreachable_contacts_of_a_school_come_from_the_planner_with_their_reasons(notify_engine, store,
                                                                                   district_default):
    add_people(notify_engine, [
        make_person("gina", "Gina", "Lopez", email=GINA_EMAIL),
        make_person("hal", "Hal", "Baker", email="hal@example.org"),
        make_person("nora", "Nora", "Cole"),
        make_person("sam", "Sam", "Ito", kinds=["student"], student_account_enabled=True,
                    mobile_phone="+15555550109"),
        make_person("ana", "Ana", "Lopez", kinds=["student"]),  # not enabled: not a contact
        make_person("ivy", "Ivy", "Adams", joined=True, email="ivy@example.org"),
        make_person("olga", "Olga", "Dee", archived=True),
        make_person("zed", "Zed", "Far", school_ids=["school-2"]),
        make_person("yan", "Yan", "Other", district_id="district-2"),
    ])
    mark(notify_engine, "email", "hal@example.org", "bad", "address bounced")
    choose(notify_engine, ivy="app_only")
    store.preferences.set_district_default("district-1", district_default, updated_by="admin", now=NOW)

    # Sam, a student with only a mobile who never chose, has Email+app wherever the district defaults to SMS.
    answer = list_unreachable_contacts({"viewer": PRINCIPAL_OF_SCHOOL_1, "school_id": "school-1", "page": 1,
                                        "per_page": 10}, reports=store.reports, district_defaults=store.preferences)

    assert [(contact["family_name"], contact["reason"]) for contact in answer["contacts"]] == [
        ("Adams", "app_only_preference"), ("Baker", "no_good_credential"), ("Cole", "no_credential"),
        ("Ito", "student_sms_not_allowed")]
    assert answer["total"] == 4

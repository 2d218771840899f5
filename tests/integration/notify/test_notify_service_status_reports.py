"""Status reports applied in SQL, on PostgreSQL and SQLite: forward only, once, with the workers' F1 path."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import credential_health, deliveries
from services.notify.domain.delivery import Channel, CredentialKind, DeliveryStatus, NewDelivery, Outcome
from services.notify.domain.outcomes import DeliveryReport
from services.notify.handlers_credentials import get_credential_health
from services.notify.handlers_webhooks import WebhookPorts, apply_status_reports
from shared.contracts import notify
from tests.integration.notify.notify_service_world import (
    GINA_EMAIL,
    GINA_MOBILE,
    NOW,
    Published,
    RecordedJobs,
    add_people,
    email_sent_to_gina,
    make_person,
)


@pytest.fixture
def store(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield NotifyStore(session)
    session.close()


@pytest.fixture
def world(notify_engine, store):
    email_id = email_sent_to_gina(notify_engine, store)
    jobs, published = RecordedJobs(), Published()
    ports = WebhookPorts(webhooks=store.webhooks, deliveries=store.deliveries, credentials=store.credentials,
                         jobs=jobs, publish=published, clock=lambda: NOW)
    return email_id, ports, jobs, published


def report(outcome: Outcome, code: str | None, delivery_id: str | None, *, reason: str = "address bounced",
           seconds: int = 0, message_id: str = "batch-1.recvd-1") -> DeliveryReport:
    return DeliveryReport(message_id, delivery_id, outcome, code, reason, NOW + timedelta(seconds=seconds))


def statuses(engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        return {row.channel: (row.status, row.fallback_of, row.address)
                for row in connection.execute(select(deliveries))}


def health(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(select(credential_health.c.kind, credential_health.c.address,
                                         credential_health.c.state, credential_health.c.reason)).all()


def test_a_hard_bounce_marks_the_email_bad_falls_back_to_sms_and_queues_it(notify_engine, world):
    email_id, ports, jobs, published = world

    assert apply_status_reports([report(Outcome.HARD_BOUNCE, "bounce/bounce", email_id)], ports=ports) == 1

    assert statuses(notify_engine) == {"email": ("fell_back", None, GINA_EMAIL),
                                       "sms": ("queued", email_id, GINA_MOBILE)}
    assert health(notify_engine) == [("email", GINA_EMAIL, "bad", "address bounced")]
    assert [(job.channel, len(job.delivery_ids)) for job in jobs] == [(Channel.SMS, 1)]
    assert published == [(notify.CREDENTIAL_STATUS_CHANGED, {"kind": "email", "address": GINA_EMAIL,
                                                             "state": "bad", "reason": "address bounced"})]


def test_the_same_bounce_reported_again_changes_nothing_even_after_a_reset(notify_engine, world, store):
    email_id, ports, jobs, published = world
    bounce = report(Outcome.HARD_BOUNCE, "bounce/bounce", email_id)
    apply_status_reports([bounce], ports=ports)
    store.credentials.reset(CredentialKind.EMAIL, GINA_EMAIL, check=lambda state: None, reset_by="admin", reason=None,
                            now=NOW)

    assert apply_status_reports([bounce], ports=ports) == 0

    assert health(notify_engine) == [("email", GINA_EMAIL, "good", None)]
    assert len(jobs) == 1 and len(published) == 1


def test_a_late_processed_event_never_moves_a_delivered_email_back(notify_engine, world):
    email_id, ports, _, _ = world

    applied = apply_status_reports([report(Outcome.DELIVERED, "delivered", email_id, seconds=1),
                                    report(Outcome.ACCEPTED, "processed", email_id, seconds=0)], ports=ports)

    assert applied == 2 and statuses(notify_engine)["email"][0] == "delivered"
    assert apply_status_reports([report(Outcome.ACCEPTED, "processed", email_id, seconds=5)], ports=ports) == 0
    assert statuses(notify_engine)["email"][0] == "delivered"


def test_a_spam_report_after_delivery_marks_the_email_bad_but_sends_no_fallback(notify_engine, world):
    email_id, ports, jobs, _ = world

    apply_status_reports([report(Outcome.DELIVERED, "delivered", email_id),
                          report(Outcome.COMPLAINT, "spamreport", email_id, seconds=1, reason="spam")], ports=ports)

    assert statuses(notify_engine) == {"email": ("delivered", None, GINA_EMAIL)}
    assert health(notify_engine)[0][2] == "bad" and jobs == []


def test_a_report_is_found_by_its_provider_message_id_when_it_carries_no_delivery_id(notify_engine, world):
    _, ports, _, _ = world
    with notify_engine.begin() as connection:
        connection.execute(update(deliveries).values(provider_message_id="SM123"))

    assert apply_status_reports([report(Outcome.DELIVERED, None, None, message_id="SM123")], ports=ports) == 1

    assert statuses(notify_engine)["email"][0] == DeliveryStatus.DELIVERED.value


def test_reports_about_deliveries_notify_does_not_have_are_ignored(world):
    _, ports, _, _ = world

    assert apply_status_reports([report(Outcome.HARD_BOUNCE, "bounce/bounce", "no-such-delivery")], ports=ports) == 0


def test_a_landline_reported_by_a_callback_is_bad_for_every_guardian_sharing_the_number(notify_engine, store, world):
    _, ports, _, published = world
    shared = "+15555550150"
    add_people(notify_engine, [make_person("dana", "Dana", "Okafor", mobile_phone=shared),
                               make_person("dennis", "Dennis", "Okafor", mobile_phone=shared)])
    communication_id = store.deliveries.create_communication(district_id="district-1", kind="announcement",
                                                             subject="Snow day", body="Closed.", now=NOW)
    [sms_id] = store.deliveries.create_deliveries(
        communication_id, [NewDelivery("dana", Channel.SMS, shared, "For Dana:")], now=NOW)

    landline = DeliveryReport("SM1", sms_id, Outcome.HARD_BOUNCE, "30006", "landline or unreachable carrier", NOW)
    assert apply_status_reports([landline], ports=ports) == 1

    states = {(row["person_id"], row["kind"]): row["state"] for row in get_credential_health(
        {"person_ids": ["dana", "dennis"]}, credentials=store.credentials)["credentials"]}
    assert states == {("dana", "mobile_phone"): "bad", ("dennis", "mobile_phone"): "bad"}
    assert published[-1][1] == {"kind": "mobile_phone", "address": shared, "state": "bad",
                                "reason": "landline or unreachable carrier"}


# --- report_order.py: a failure arriving after `delivered`, one rule per provider -----------------------------

def reasons(engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        return {row.channel: (row.status, row.reason, row.provider_code) for row in connection.execute(select(deliveries))}


def test_a_sendgrid_bounce_after_delivered_fails_the_email_marks_it_bad_and_falls_back_to_sms(notify_engine, world):
    email_id, ports, jobs, _ = world
    apply_status_reports([report(Outcome.DELIVERED, "delivered", email_id)], ports=ports)

    assert apply_status_reports([report(Outcome.HARD_BOUNCE, "bounce/bounce", email_id, seconds=60)],
                                ports=ports) == 1

    assert statuses(notify_engine) == {"email": ("fell_back", None, GINA_EMAIL),
                                       "sms": ("queued", email_id, GINA_MOBILE)}
    assert health(notify_engine) == [("email", GINA_EMAIL, "bad", "address bounced")]
    assert [job.channel for job in jobs] == [Channel.SMS]


def test_a_late_sendgrid_bounce_with_no_alternative_leaves_the_email_failed_with_the_bounce_reason(
        notify_engine, world):
    email_id, ports, jobs, _ = world
    with notify_engine.begin() as connection:  # nothing to fall back to
        connection.execute(credential_health.insert().values(kind="mobile_phone", address=GINA_MOBILE, state="bad",
                                                             reason="landline", updated_at=NOW))

    apply_status_reports([report(Outcome.DELIVERED, "delivered", email_id),
                          report(Outcome.HARD_BOUNCE, "bounce/bounce", email_id, seconds=60)], ports=ports)

    assert reasons(notify_engine) == {"email": ("failed", "address bounced", "bounce/bounce")}
    assert jobs == []


def test_delivered_arriving_after_a_bounce_changes_neither_the_delivery_nor_its_reason(notify_engine, world):
    email_id, ports, _, _ = world
    apply_status_reports([report(Outcome.HARD_BOUNCE, "bounce/bounce", email_id, seconds=60)], ports=ports)

    assert apply_status_reports([report(Outcome.DELIVERED, "delivered", email_id)], ports=ports) == 0

    assert reasons(notify_engine)["email"] == ("fell_back", "address bounced", "bounce/bounce")


def test_a_twilio_failure_after_delivered_keeps_delivered_its_reason_and_the_number_good(notify_engine, store, world):
    _, ports, jobs, published = world
    communication_id = store.deliveries.create_communication(district_id="district-1", kind="announcement",
                                                             subject="Snow day", body="Closed.", now=NOW)
    [sms_id] = store.deliveries.create_deliveries(communication_id, [NewDelivery("gina", Channel.SMS, GINA_MOBILE)],
                                                  now=NOW)
    delivered = DeliveryReport("SM1", sms_id, Outcome.DELIVERED, None, "delivered to the handset", NOW)
    undelivered = DeliveryReport("SM1", sms_id, Outcome.HARD_BOUNCE, "30006", "landline or unreachable carrier",
                                 NOW + timedelta(seconds=5))
    apply_status_reports([delivered], ports=ports)

    assert apply_status_reports([undelivered], ports=ports) == 0

    with notify_engine.connect() as connection:
        row = connection.execute(select(deliveries).where(deliveries.c.id == sms_id)).one()
    assert (row.status, row.reason, row.provider_code) == ("delivered", "delivered to the handset", None)
    assert health(notify_engine) == [] and jobs == [] and published == []

"""Verified webhooks off the gateway's queue, applied a batch at a time in SQL (PostgreSQL and SQLite): one
transaction for the batch, the same rules as one post at a time (repeats once, SendGrid's bounce outranks
delivered whatever the order, the credential change staged with the change), inbound texts stored once."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import credential_health, deliveries, webhook_receipts
from services.notify.domain.delivery import Channel
from services.notify.handlers_webhook_batches import apply_webhook_batch
from services.notify.handlers_webhooks import WebhookPorts
from shared.contracts import notify
from tests.integration.notify.notify_service_world import (
    GINA_EMAIL,
    GINA_MOBILE,
    NOW,
    Published,
    RecordedJobs,
    email_sent_to_gina,
)
BASE = "https://school.example.org"


@pytest.fixture
def store(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield NotifyStore(session)
    session.close()


class Wakes(list):
    def __call__(self):
        self.append(True)


@pytest.fixture
def world(notify_engine, store):
    email_id = email_sent_to_gina(notify_engine, store)
    jobs, published, wakes = RecordedJobs(), Published(), Wakes()
    ports = WebhookPorts(webhooks=store.webhooks, deliveries=store.deliveries, credentials=store.credentials,
                         jobs=jobs, publish=published, clock=lambda: NOW, wake_inbound=wakes)
    return email_id, ports, jobs, published, wakes


def sendgrid_post(*events: dict) -> dict:
    return {"kind": "sendgrid_events", "url": f"{BASE}/webhooks/sendgrid/events", "body": json.dumps(list(events)),
            "received_at": NOW}


def event(delivery_id: str, name: str, seconds: int, **more) -> dict:
    return {"email": GINA_EMAIL, "event": name, "timestamp": int((NOW + timedelta(seconds=seconds)).timestamp()),
            "sg_message_id": "batch-1.recvd-1", "delivery_id": delivery_id, **more}


def inbound_post(body: str, sid: str, seconds: int = 0) -> dict:
    params = {"MessageSid": sid, "From": GINA_MOBILE, "To": "+15005550006", "Body": body}
    return {"kind": "twilio_inbound", "url": f"{BASE}/webhooks/twilio/inbound", "body": urlencode(params),
            "received_at": NOW + timedelta(seconds=seconds)}


def statuses(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {row.channel: row.status for row in connection.execute(select(deliveries))}


def test_a_bounce_posted_three_times_in_one_batch_falls_back_once_and_marks_the_address_once(notify_engine, world):
    email_id, ports, jobs, published, _ = world
    bounce = sendgrid_post(event(email_id, "bounce", 5, type="bounce", reason="550 no such user"))

    assert apply_webhook_batch([bounce, bounce, bounce], ports=ports) == 1

    assert statuses(notify_engine) == {"email": "fell_back", "sms": "queued"}
    assert [(job.channel, len(job.delivery_ids)) for job in jobs] == [(Channel.SMS, 1)]
    assert [(name, payload["state"]) for name, payload in published] == [(notify.CREDENTIAL_STATUS_CHANGED, "bad")]
    with notify_engine.connect() as connection:
        assert connection.execute(select(credential_health.c.state)).scalars().all() == ["bad"]


def test_a_bounce_outranks_delivered_whichever_arrives_first_in_the_batch(notify_engine, world):
    email_id, ports, _, _, _ = world
    bounce = sendgrid_post(event(email_id, "bounce", 5, type="bounce", reason="550 no such user"))
    delivered = sendgrid_post(event(email_id, "delivered", 1))

    apply_webhook_batch([bounce, delivered], ports=ports)

    assert statuses(notify_engine)["email"] == "fell_back"


def test_a_repeat_in_a_later_batch_changes_nothing(notify_engine, world):
    email_id, ports, jobs, published, _ = world
    bounce = sendgrid_post(event(email_id, "bounce", 5, type="bounce", reason="550 no such user"))
    apply_webhook_batch([bounce], ports=ports)

    assert apply_webhook_batch([bounce], ports=ports) == 0
    assert len(jobs) == 1 and len(published) == 1


def test_inbound_texts_are_stored_once_per_message_sid_in_order_and_filing_is_woken(notify_engine, world):
    _, ports, _, _, wakes = world

    apply_webhook_batch([inbound_post("START", "SM2", seconds=2), inbound_post("STOP", "SM1", seconds=1),
                         inbound_post("STOP", "SM1", seconds=1)], ports=ports)
    apply_webhook_batch([inbound_post("STOP", "SM1", seconds=1)], ports=ports)  # a replay, a batch later

    with notify_engine.connect() as connection:
        stored = connection.execute(select(webhook_receipts.c.provider_message_id, webhook_receipts.c.applied_at)
                                    .order_by(webhook_receipts.c.received_at)).all()
    assert stored == [("SM1", None), ("SM2", None)]
    assert wakes == [True, True]


def test_a_verified_but_malformed_post_is_left_out_and_the_rest_of_the_batch_applies(notify_engine, world):
    email_id, ports, _, _, _ = world
    malformed = {**sendgrid_post(), "body": "not json"}
    bounce = sendgrid_post(event(email_id, "bounce", 5, type="bounce", reason="550 no such user"))

    assert apply_webhook_batch([malformed, bounce], ports=ports) == 1
    assert statuses(notify_engine)["email"] == "fell_back"

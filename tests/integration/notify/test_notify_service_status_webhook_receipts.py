"""A status webhook is stored and applied in ONE transaction; if applying fails, the receipt is kept for the timer."""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.notify.adapters.service_dependencies import WebhookSecrets
from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import communications, deliveries, delivery_events, webhook_receipts
from services.notify.domain.delivery import Channel, NewDelivery
from services.notify.handlers_webhooks import WebhookPorts, apply_unapplied_webhooks, receive_provider_webhook
from tests.integration.notify.notify_service_world import NOW, Published, RecordedJobs, add_people, make_person

TOKEN = "twilio-auth-token-for-tests"
SECRETS = WebhookSecrets(twilio_auth_token=TOKEN, sendgrid_public_key=None)
MOBILE = "+15555550101"


def signed(url: str, params: dict[str, str]) -> str:
    payload = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(TOKEN.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def callback(delivery_id: str, status: str, *, sid: str = "SM" + "a" * 32) -> dict:
    url = f"https://gateway.example.org/webhooks/twilio/status?delivery_id={delivery_id}"
    params = {"MessageSid": sid, "MessageStatus": status, "SmsStatus": status, "To": MOBILE, "From": "+15005550006"}
    return {"kind": "twilio_status", "url": url, "body": urlencode(params),
            "headers": {"X-Twilio-Signature": signed(url, params)}}


@pytest.fixture
def store(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield NotifyStore(session)
    session.close()


@pytest.fixture
def world(notify_engine, store):
    add_people(notify_engine, [make_person("gina", "Gina", "Lopez", mobile_phone=MOBILE)])
    repository = store.deliveries
    communication_id = repository.create_communication(district_id="district-1", kind="announcement",
                                                       body="Closed.", now=NOW)
    [sms_id] = repository.create_deliveries(communication_id, [NewDelivery("gina", Channel.SMS, MOBILE)], now=NOW)
    repository.mark_queued([sms_id], now=NOW)
    repository.mark_communication_queued(communication_id, now=NOW)
    ports = WebhookPorts(webhooks=store.webhooks, deliveries=store.deliveries, credentials=store.credentials,
                         jobs=RecordedJobs(), publish=Published(), clock=lambda: NOW)
    return communication_id, sms_id, ports


def rows(engine, table) -> list:
    with engine.connect() as connection:
        return connection.execute(select(table)).all()


def test_a_status_callback_is_stored_applied_with_its_change(notify_engine, world):
    communication_id, sms_id, ports = world

    answer = receive_provider_webhook(callback(sms_id, "delivered"), secrets=SECRETS, ports=ports)

    assert answer == {"accepted": True, "applied": 1}
    [receipt] = rows(notify_engine, webhook_receipts)
    assert receipt.kind == "twilio_status" and receipt.applied_at is not None
    [delivery] = rows(notify_engine, deliveries)
    assert delivery.status == "delivered"
    # The last outstanding delivery was decided by the callback: the communication completes.
    [communication] = rows(notify_engine, communications)
    assert communication.state == "completed"


def test_a_repeated_callback_is_stored_again_but_changes_nothing(notify_engine, world):
    _, sms_id, ports = world
    receive_provider_webhook(callback(sms_id, "sent"), secrets=SECRETS, ports=ports)

    answer = receive_provider_webhook(callback(sms_id, "sent"), secrets=SECRETS, ports=ports)

    assert answer == {"accepted": True, "applied": 0}
    assert len(rows(notify_engine, webhook_receipts)) == 2
    assert [event.outcome for event in rows(notify_engine, delivery_events) if event.source == "webhook"] \
        == ["accepted"]


def test_a_forged_callback_stores_nothing(notify_engine, world):
    _, sms_id, ports = world
    request = callback(sms_id, "delivered")
    request["headers"] = {"X-Twilio-Signature": "forged"}

    assert receive_provider_webhook(request, secrets=SECRETS, ports=ports) == {"accepted": False, "applied": 0}
    assert rows(notify_engine, webhook_receipts) == []
    assert rows(notify_engine, deliveries)[0].status == "queued"


def test_when_applying_fails_the_receipt_is_kept_unapplied_and_the_timer_applies_it(notify_engine, world, store,
                                                                                      monkeypatch):
    _, sms_id, ports = world

    def broken(record, *, now):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store.deliveries, "write_record", broken)
    with pytest.raises(RuntimeError):
        receive_provider_webhook(callback(sms_id, "delivered"), secrets=SECRETS, ports=ports)
    [receipt] = rows(notify_engine, webhook_receipts)
    assert receipt.applied_at is None
    assert rows(notify_engine, deliveries)[0].status == "queued"

    monkeypatch.undo()
    with notify_engine.begin() as connection:
        connection.execute(update(webhook_receipts).values(received_at=NOW - timedelta(minutes=5)))
    assert apply_unapplied_webhooks(ports=ports) == 1
    [receipt] = rows(notify_engine, webhook_receipts)
    assert receipt.applied_at is not None
    assert rows(notify_engine, deliveries)[0].status == "delivered"

"""A status webhook is stored and applied in ONE transaction; if applying fails, the receipt is kept for the timer."""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.notify.adapters.service_dependencies import WebhookSecrets
from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import (
    communications,
    credential_health,
    deliveries,
    delivery_events,
    webhook_receipts,
)
from services.notify.domain.delivery import Channel, CredentialKind, NewDelivery
from services.notify.handlers_webhooks import WebhookPorts, apply_unapplied_webhooks, receive_provider_webhook
from tests.integration.notify.notify_service_world import NOW, Published, RecordedJobs, add_people, make_person
from tests.integration.notify.signed_webhooks import Signer, sendgrid_event

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

    assert receive_provider_webhook(request, secrets=SECRETS, ports=ports) == {"accepted": False, "applied": 0,
                                                                              "refused": "signature"}
    assert rows(notify_engine, webhook_receipts) == []
    assert rows(notify_engine, deliveries)[0].status == "queued"


def test_when_applying_fails_the_receipt_is_kept_unapplied_and_the_timer_applies_it(notify_engine, world, store,
                                                                                      monkeypatch):
    _, sms_id, ports = world

    def broken(records, *, now):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store.deliveries, "write_records", broken)
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


# --- replays: SendGrid's signed time against a window; Twilio's callbacks against their own idempotency ---

def sendgrid_delivered(signer: Signer, email_id: str, *, signed_at) -> dict:
    return signer.sendgrid_events([sendgrid_event(email_id, "msg-1.recvd-1", "delivered", signed_at)],
                                  signed_at=signed_at)


@pytest.fixture
def email_delivery(notify_engine, store):
    add_people(notify_engine, [make_person("hal", "Hal", "Ng", email="hal@example.org")])
    communication_id = store.deliveries.create_communication(district_id="district-1", kind="announcement",
                                                             subject="Snow day", body="Closed.", now=NOW)
    [email_id] = store.deliveries.create_deliveries(
        communication_id, [NewDelivery("hal", Channel.EMAIL, "hal@example.org")], now=NOW)
    store.deliveries.mark_queued([email_id], now=NOW)
    return email_id


@pytest.mark.parametrize("age", [timedelta(minutes=11), timedelta(hours=6), -timedelta(minutes=11)],
                         ids=["11 min old", "6 h old", "11 min ahead"])
def test_a_signed_sendgrid_batch_outside_the_replay_window_is_refused_and_changes_nothing(
        notify_engine, world, email_delivery, age):
    _, _, ports = world
    signer = Signer()

    answer = receive_provider_webhook(sendgrid_delivered(signer, email_delivery, signed_at=NOW - age),
                                      secrets=signer.secrets, ports=ports)

    assert answer == {"accepted": False, "applied": 0, "refused": "replayed"}
    assert rows(notify_engine, webhook_receipts) == []
    assert {row.id: row.status for row in rows(notify_engine, deliveries)}[email_delivery] == "queued"


def test_a_signed_sendgrid_batch_inside_the_window_is_applied_and_the_window_is_configurable(
        notify_engine, world, email_delivery):
    _, _, ports = world
    signer = Signer()
    nine_minutes_old = sendgrid_delivered(signer, email_delivery, signed_at=NOW - timedelta(minutes=9))

    assert receive_provider_webhook(nine_minutes_old, secrets=signer.secrets, ports=ports)["accepted"]
    narrow = Signer(replay_window=timedelta(minutes=5))
    assert receive_provider_webhook(sendgrid_delivered(narrow, email_delivery, signed_at=NOW - timedelta(minutes=6)),
                                    secrets=narrow.secrets, ports=ports)["refused"] == "replayed"
    assert {row.id: row.status for row in rows(notify_engine, deliveries)}[email_delivery] == "delivered"


def test_a_replayed_twilio_failure_a_day_later_changes_nothing_after_a_reset(notify_engine, world, store):
    _, sms_id, ports = world
    signer = Signer()
    undelivered = signer.twilio_status(sms_id, "SM" + "c" * 32, "undelivered", error_code="30006", to=MOBILE)
    receive_provider_webhook(undelivered, secrets=signer.secrets, ports=ports)
    store.credentials.reset(CredentialKind.MOBILE_PHONE, MOBILE, check=lambda state: None, reset_by="admin",
                            reason=None, now=NOW)
    later = replace(ports, clock=lambda: NOW + timedelta(days=1))

    assert receive_provider_webhook(undelivered, secrets=signer.secrets, ports=later) == {"accepted": True,
                                                                                          "applied": 0}
    with notify_engine.connect() as connection:
        assert connection.execute(select(credential_health.c.state)).scalars().all() == ["good"]


@pytest.mark.parametrize("keyword, then, state", [("STOP", "START", "good"), ("START", "STOP", "opted_out")])
def test_a_replayed_inbound_keyword_is_taken_once_so_it_never_undoes_a_later_one(notify_engine, world, keyword,
                                                                                  then, state):
    _, _, ports = world
    signer = Signer()
    replayed = signer.twilio_inbound(keyword, "SM" + "f" * 32, from_=MOBILE)
    receive_provider_webhook(replayed, secrets=signer.secrets, ports=ports)
    receive_provider_webhook(signer.twilio_inbound(then, "SM" + "0" * 32, from_=MOBILE), secrets=signer.secrets,
                             ports=ports)

    assert receive_provider_webhook(replayed, secrets=signer.secrets, ports=ports) == {"accepted": True,
                                                                                       "applied": 0}
    with notify_engine.connect() as connection:
        assert connection.execute(select(credential_health.c.state)).scalar() == state
    assert len(rows(notify_engine, webhook_receipts)) == 2

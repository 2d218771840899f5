"""NotifyService's RPCs in a real container beside the real DirectoryService (no worker, no sandbox):
forged webhooks, preferences, who may read reports and unreachable contacts, and the recovery timer."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from prometheus_client import REGISTRY
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from sqlalchemy import select, update

from services.directory.service import DirectoryService
from services.notify.adapters.tables import (
    communications,
    credential_health,
    deliveries,
    inbox_items,
    webhook_receipts,
)
from services.notify.service import NotifyService
from shared.contracts import notify
from shared.contracts.errors import InvalidRequest, PermissionDenied
from shared.db import make_engine
from shared.messaging import cluster_rpc
from tests.integration.notify.notify_harness import handler_for
from tests.integration.notify.notify_service_district import (
    GINA_EMAIL,
    HAL_MOBILE,
    OUR_NUMBER,
    build_classroom,
    wait_until,
)

pytestmark = pytest.mark.postgres

TWILIO_TOKEN = "notify-test-twilio-token"
STATUS_URL = "https://gateway.lincoln.example.org/webhooks/sendgrid/events"
INBOUND_URL = "https://gateway.lincoln.example.org/webhooks/twilio/inbound"


@pytest.fixture(scope="module")
def sendgrid_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def config(rabbit_config, migrated_pg_url):
    return {**rabbit_config, "DATABASES": {"directory": migrated_pg_url("directory"),
                                           "notify": migrated_pg_url("notify")}, "max_workers": 10}


@pytest.fixture
def notify_container(container_factory, config, monkeypatch, sendgrid_key):
    public = sendgrid_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for name, value in {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                        "TWILIO_FROM_NUMBER": OUR_NUMBER, "SENDGRID_API_KEY": "SG.test",
                        "SENDGRID_FROM_EMAIL": "school@example.org", "SENDGRID_WEBHOOK_PUBLIC_KEY": public}.items():
        monkeypatch.setenv(name, value)
    container_factory(DirectoryService, config).start()
    container = container_factory(NotifyService, config)
    container.start()
    return container


@pytest.fixture
def rpc(config, notify_container):
    with cluster_rpc(config["AMQP_URI"], timeout=60) as rpc:
        yield rpc


@pytest.fixture
def room(rpc, config):
    return build_classroom(rpc, config)


@pytest.fixture
def engine(config):
    engine = make_engine(config["DATABASES"]["notify"])
    yield engine
    engine.dispose()


def announce(rpc, room) -> str:
    return rpc(notify.contract).send_announcement(sender=room.tess, audience={"classroom_id": room.classroom_id},
                                                  subject="Snow day", body="Closed.")["communication_id"]


def queued(engine, communication_id: str) -> bool:
    with engine.connect() as connection:
        return connection.execute(select(communications.c.state).where(
            communications.c.id == communication_id)).scalar() == "queued"


def sendgrid_webhook(key: ec.EllipticCurvePrivateKey, events: list[dict]) -> dict:
    body, timestamp = json.dumps(events), str(int(time.time()))
    signature = base64.b64encode(key.sign(timestamp.encode() + body.encode(), ec.ECDSA(hashes.SHA256()))).decode()
    return {"kind": "sendgrid_events", "url": STATUS_URL, "body": body,
            "headers": {"X-Twilio-Email-Event-Webhook-Signature": signature,
                        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp}}


def twilio_inbound(body: str, token: str) -> dict:
    params = {"MessageSid": "SM" + "c" * 32, "From": HAL_MOBILE, "To": OUR_NUMBER, "Body": body}
    payload = INBOUND_URL + "".join(name + params[name] for name in sorted(params))
    signature = base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()
    return {"kind": "twilio_inbound", "url": INBOUND_URL, "body": urlencode(params),
            "headers": {"X-Twilio-Signature": signature}}


def test_a_forged_webhook_changes_nothing_while_the_same_one_properly_signed_is_applied(rpc, room, engine,
                                                                                        sendgrid_key):
    communication_id = announce(rpc, room)
    wait_until(lambda: queued(engine, communication_id), what="the announcement to be queued")
    with engine.connect() as connection:
        gina_email = connection.execute(select(deliveries.c.id).where(
            deliveries.c.person_id == room.ids["gina"], deliveries.c.channel == "email")).scalar()
    bounce = [{"event": "bounce", "type": "bounce", "email": GINA_EMAIL, "timestamp": int(time.time()),
               "sg_message_id": "x.recvd-1", "delivery_id": gina_email, "reason": "550 5.1.1 no such user"}]
    notify_rpc = rpc(notify.contract)
    stranger = ec.generate_private_key(ec.SECP256R1())

    forged = [notify_rpc.receive_provider_webhook(sendgrid_webhook(stranger, bounce)),
              notify_rpc.receive_provider_webhook({**sendgrid_webhook(sendgrid_key, bounce), "headers": {}}),
              notify_rpc.receive_provider_webhook(twilio_inbound("STOP", "not-our-token"))]

    assert forged == [{"accepted": False, "applied": 0, "refused": "signature"}] * 3
    with engine.connect() as connection:
        assert connection.execute(select(webhook_receipts)).all() == []
        assert connection.execute(select(credential_health)).all() == []
        assert connection.execute(select(deliveries.c.status).where(deliveries.c.id == gina_email)).scalar() == \
            "queued"

    lags = REGISTRY.get_sample_value("school_webhook_lag_seconds_count", {"provider": "sendgrid"}) or 0.0
    assert notify_rpc.receive_provider_webhook(sendgrid_webhook(sendgrid_key, bounce)) == {
        "accepted": True, "applied": 1}
    # The event's own timestamp to its applying, measured for the metrics.
    assert REGISTRY.get_sample_value("school_webhook_lag_seconds_count", {"provider": "sendgrid"}) == lags + 1
    # An inbound text is stored on Twilio's request and applied by the batch right after it (applied: 0 here).
    assert notify_rpc.receive_provider_webhook(twilio_inbound("STOP", TWILIO_TOKEN)) == {"accepted": True, "applied": 0}

    def health() -> dict:
        return {(row["person_id"], row["kind"]): row["state"] for row in notify_rpc.get_credential_health(
            person_ids=[room.ids["gina"], room.ids["hal"]])["credentials"]}

    wait_until(lambda: health()[(room.ids["hal"], "mobile_phone")] == "opted_out", what="the STOP applied")
    assert health()[(room.ids["gina"], "email")] == "bad"


def test_preferences_and_the_district_default_round_trip_over_rpc(rpc, room):
    notify_rpc, gina, hal, ben = rpc(notify.contract), room.ids["gina"], room.ids["hal"], room.ids["ben"]

    assert notify_rpc.get_district_settings(district_id=room.district_id)["default_preference"] == "email_app"
    notify_rpc.set_district_default(district_id=room.district_id, default_preference="sms_app",
                                    changed_by="admin-person")
    answer = notify_rpc.get_preferences(person_ids=[gina, hal, ben])["preferences"]

    # Ben is a student who never chose: Email+app, not the district's SMS+app.
    assert [(row["preference"], row["chosen"]) for row in answer] == [
        ("sms_app", False), ("sms_app", True), ("email_app", False)]
    with pytest.raises(InvalidRequest) as refused:
        notify_rpc.set_district_default(district_id=room.district_id, default_preference="app_only",
                                        changed_by="admin-person")
    assert "default_preference" in refused.value.fields


def test_only_the_sender_admins_and_staff_with_engagement_visibility_read_a_delivery_report(rpc, room):
    communication_id = announce(rpc, room)
    notify_rpc = rpc(notify.contract)

    def read(viewer: dict) -> dict:
        return notify_rpc.get_delivery_report(viewer=viewer, communication_id=communication_id)

    assert read(room.tess)["communication_id"] == communication_id
    assert read(room.district_admin)["sender_id"] == room.ids["tess"]
    assert read(room.principal(None, "school_admin"))["subject"] == "Snow day"
    assert read(room.principal("gina", "teacher", permissions=["engagement_visibility"]))["priority"] is False
    for viewer in (room.principal("gina", "guardian", schools=False), room.principal("hal", "teacher")):
        with pytest.raises(PermissionDenied):
            read(viewer)


def test_a_school_admin_lists_the_unreachable_and_a_plain_teacher_may_not(rpc, room):
    notify_rpc = rpc(notify.contract)

    listed = notify_rpc.list_unreachable_contacts(viewer=room.principal(None, "school_admin"),
                                                  school_id=room.school_id)

    # Ivy chose App only; Tess (staff) has an email; Ben is a student with an email; Ana is not enabled.
    assert [(room.person(c["person_id"]), c["reason"]) for c in listed["contacts"]] == [
        ("ivy", "app_only_preference")]
    with pytest.raises(PermissionDenied):
        notify_rpc.list_unreachable_contacts(viewer=room.tess, school_id=room.school_id)


def test_the_recovery_timer_plans_an_announcement_whose_request_was_lost(rpc, room, engine, notify_container):
    communication_id = announce(rpc, room)
    wait_until(lambda: queued(engine, communication_id), what="the first announcement to be queued")
    with engine.begin() as connection:
        # As if the process died after storing it and before its event went out: nothing planned yet.
        connection.execute(inbox_items.delete())
        connection.execute(deliveries.delete())
        connection.execute(update(communications).values(
            state="planning", created_at=communications.c.created_at - timedelta(hours=1)))

    with entrypoint_waiter(notify_container, handler_for(notify.ANNOUNCEMENT_REQUESTED)):
        with entrypoint_hook(notify_container, "resume_unfinished_work") as resume:
            resume()

    # The timer may have fired on its own meanwhile: the handler that ended first can be the one that found the
    # announcement already being planned by the other, so the outcome is waited for, not read at once.
    wait_until(lambda: queued(engine, communication_id), what="the resumed announcement to be queued")

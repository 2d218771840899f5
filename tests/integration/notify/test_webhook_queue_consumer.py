"""The whole webhook path on a real broker and PostgreSQL: the gateway verifies and queues, notify consumes the
queue in batches and acknowledges only what it committed; what it cannot read is dead-lettered with the reason,
and what meets an unreachable database stays on the queue until a notify with a database takes it."""
from __future__ import annotations

import time

import pika
import pytest
import requests
from sqlalchemy import select

from services.gateway.service import GatewayService
from services.notify.adapters.tables import credential_health
from services.notify.service import NotifyService
from shared.contracts.provider_webhooks import (
    DEAD_REASON_HEADER,
    UNREADABLE_WEBHOOK,
    WEBHOOK_DEAD_QUEUE,
    WEBHOOK_EXCHANGE,
    WEBHOOK_QUEUE,
)
from shared.db import make_engine
from shared.webhook_queue import declare_with_pika
from tests.integration.gateway.gateway_http_support import free_port
from tests.integration.notify.signed_webhooks import TWILIO_TOKEN, Signer

pytestmark = pytest.mark.postgres

WAIT_SECONDS = 20
PHONE = "+15555550177"


@pytest.fixture
def signer(monkeypatch) -> Signer:
    signer = Signer()
    for name, value in {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                        "TWILIO_FROM_NUMBER": "+15005550006",
                        "SENDGRID_WEBHOOK_PUBLIC_KEY": signer.secrets.sendgrid_public_key}.items():
        monkeypatch.setenv(name, value)
    return signer


@pytest.fixture
def start(container_factory, rabbit_config):
    """start(service class, notify's database URL or None) -> the gateway's base URL for GatewayService."""

    def start(service, database_url=None):
        if service is GatewayService:
            address = f"127.0.0.1:{free_port()}"
            container_factory(GatewayService, {**rabbit_config, "WEB_SERVER_ADDRESS": address}).start()
            return f"http://{address}"
        container = container_factory(NotifyService, {**rabbit_config, "DATABASES": {"notify": database_url}})
        container.start()
        return container

    return start


@pytest.fixture
def broker(rabbit_config):
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    channel = connection.channel()
    declare_with_pika(channel)
    yield channel
    connection.close()


def post_inbound(signer: Signer, base: str, body: str, sid: str) -> requests.Response:
    request = signer.twilio_inbound(body, sid, from_=PHONE, base=base)
    return requests.post(request["url"], data=request["body"].encode(), headers=request["headers"], timeout=30)


def phone_state(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(credential_health.c.state)
                                      .where(credential_health.c.address == PHONE)).scalar()
    finally:
        engine.dispose()


def eventually(check, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (found := check()):
            return found
        time.sleep(0.2)
    return check()


def test_a_stop_posted_to_the_gateway_opts_the_number_out_through_the_queue(start, signer, migrated_pg_url, broker):
    url = migrated_pg_url("notify")
    start(NotifyService, url)
    base = start(GatewayService)

    assert post_inbound(signer, base, "STOP", "SM" + "5" * 32).status_code == 200

    assert eventually(lambda: phone_state(url) == "opted_out")
    assert eventually(lambda: broker.queue_declare(WEBHOOK_QUEUE, passive=True).method.message_count == 0)


def test_a_message_notify_cannot_read_is_dead_lettered_with_its_reason(start, migrated_pg_url, broker):
    start(NotifyService, migrated_pg_url("notify"))

    broker.basic_publish(WEBHOOK_EXCHANGE, WEBHOOK_QUEUE, b"not a verified webhook",
                         pika.BasicProperties(delivery_mode=2))

    def dead():
        method, properties, body = broker.basic_get(WEBHOOK_DEAD_QUEUE, auto_ack=True)
        return None if method is None else (properties.headers[DEAD_REASON_HEADER], body)

    assert eventually(dead) == (UNREADABLE_WEBHOOK, b"not a verified webhook")


def test_a_post_meeting_an_unreachable_database_is_held_and_applied_by_the_next_notify(
        start, signer, migrated_pg_url):
    lost = start(NotifyService, f"postgresql+psycopg2://school@127.0.0.1:{free_port()}/notify")
    base = start(GatewayService)

    response = post_inbound(signer, base, "STOP", "SM" + "6" * 32)

    assert response.status_code == 200  # held durably: the provider need not post it again
    time.sleep(1)  # notify has it and waits for its database
    lost.stop()
    url = migrated_pg_url("notify")
    start(NotifyService, url)
    assert eventually(lambda: phone_state(url) == "opted_out")

"""A worker process sending through the real SDKs to the sandbox: bad credentials and fallbacks, retries
after a backoff, poison jobs dead-lettered, the app inbox, and the embedded SQLite default."""
from __future__ import annotations

import pika
import pytest
from sqlalchemy import insert, select

from services.notify.adapters.tables import credential_health, deliveries, delivery_events, inbox_items, recipients
from services.notify.domain.delivery import Channel, NewDelivery
from services.notify.queue.jobs import DeliveryJob
from services.notify.queue.publisher import DeliveryPublisher
from services.notify.domain.stuck_jobs import DeadReason, dead_letter_reason
from services.notify.queue.topology import DEAD_QUEUE, WORK_EXCHANGE, work_queue
from services.sandbox.process import running_sandbox
from shared.db import make_engine
from shared.migrations import upgrade
from tests.integration.notify.worker_processes import (
    outstanding,
    queue_communication,
    queue_depth,
    seed_communication,
    wait_until,
    worker_pool,
)

SHARED_PHONE = "+15555550101"



@pytest.fixture
def sandbox():
    with running_sandbox() as running:
        yield running


@pytest.fixture
def worker(rabbit_config, notify_database_url, sandbox, tmp_path):
    """One worker process, stopped with SIGTERM at the end of the test."""
    with worker_pool(rabbit_config["AMQP_URI"], notify_database_url, sandbox.base_url, tmp_path) as start:
        running = start("worker")
        yield running
        assert running.terminate() == 0, running.log()


def send(notify_database_url: str, amqp_uri: str, rows: list[NewDelivery]) -> tuple[str, list[str]]:
    communication_id, ids = seed_communication(notify_database_url, rows)
    queue_communication(notify_database_url, amqp_uri, communication_id, ids, rows)
    return communication_id, ids


def guardian(person_id: str, given_name: str, **overrides) -> dict:
    row = {"person_id": person_id, "district_id": "district-1", "given_name": given_name, "email": None,
           "mobile_phone": None, "kinds": ["guardian"], "joined": False, "student_account_enabled": False,
           "archived": False}
    return {**row, **overrides}


def test_a_landline_is_marked_bad_for_everyone_sharing_it_and_each_of_them_gets_the_email_instead(
        rabbit_config, notify_database_url, engine, sandbox, worker):
    with engine.begin() as connection:
        connection.execute(insert(recipients), [
            guardian("dana", "Dana", email="dana@example.org", mobile_phone=SHARED_PHONE),
            guardian("dennis", "Dennis", email="dennis@example.org", mobile_phone=SHARED_PHONE)])
    sandbox.client.add_rule(SHARED_PHONE, "landline", code=21614)  # refused at once, as Twilio does

    communication_id, ids = send(notify_database_url, rabbit_config["AMQP_URI"], [
        NewDelivery("dana", Channel.SMS, SHARED_PHONE, "For Dana:"),
        NewDelivery("dennis", Channel.SMS, SHARED_PHONE, "For Dennis:")])
    wait_until(lambda: outstanding(engine, communication_id) == 0, what="the SMS and their fallbacks")

    with engine.connect() as connection:
        statuses = dict(connection.execute(select(deliveries.c.address, deliveries.c.status)).all())
        fallbacks = connection.execute(select(deliveries.c.fallback_of).where(
            deliveries.c.channel == "email")).scalars().all()
        health = connection.execute(select(credential_health.c.kind, credential_health.c.address,
                                           credential_health.c.state)).all()
    assert statuses == {SHARED_PHONE: "fell_back", "dana@example.org": "sent", "dennis@example.org": "sent"}
    assert sorted(fallbacks) == sorted(ids)
    assert health == [("mobile_phone", SHARED_PHONE, "bad")]
    assert sorted(message["to"] for message in sandbox.client.messages(channel="email")) == [
        "dana@example.org", "dennis@example.org"]


def test_a_temporary_refusal_is_sent_again_after_a_backoff(rabbit_config, notify_database_url, engine, sandbox, worker):
    phone = "+15555550199"
    # 21606 is a refusal about our own sending number: temporary, and not the recipient's fault.
    sandbox.client.add_rule(phone, "transient", times=1, code=21606)

    communication_id, [delivery_id] = send(notify_database_url, rabbit_config["AMQP_URI"],
                                           [NewDelivery("dana", Channel.SMS, phone)])
    wait_until(lambda: outstanding(engine, communication_id) == 0, what="the retried SMS")

    with engine.connect() as connection:
        status, attempts = connection.execute(select(deliveries.c.status, deliveries.c.attempts)).one()
        history = connection.execute(select(delivery_events.c.status, delivery_events.c.outcome).where(
            delivery_events.c.delivery_id == delivery_id).order_by(delivery_events.c.occurred_at)).all()
    assert (status, attempts) == ("sent", 2)
    assert history == [("queued", "transient"), ("sent", "accepted")]
    # The provider saw the refused attempt and then exactly one message it took.
    assert [message["status"] == "refused" for message in sandbox.client.messages(channel="sms", to=phone)] == [
        True, False]


def test_poison_jobs_are_dead_lettered_and_the_worker_carries_on(rabbit_config, notify_database_url, engine, worker):
    amqp_uri = rabbit_config["AMQP_URI"]
    publisher = DeliveryPublisher(amqp_uri)
    publisher.declare_topology()
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    connection.channel().basic_publish(WORK_EXCHANGE, work_queue(Channel.EMAIL), b"{not json",
                                       pika.BasicProperties(delivery_mode=2, message_id="garbage"))
    connection.close()
    publisher.publish_jobs([DeliveryJob("no-such-communication", Channel.EMAIL, ("d-1",))])

    communication_id, _ = send(notify_database_url, amqp_uri, [NewDelivery("dana", Channel.EMAIL, "dana@example.org")])
    wait_until(lambda: outstanding(engine, communication_id) == 0, what="the good job")
    wait_until(lambda: queue_depth(amqp_uri, DEAD_QUEUE) == 2, what="two dead letters")

    dead = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        reasons = {}
        for _ in range(2):
            method, properties, _body = dead.channel().basic_get(DEAD_QUEUE, auto_ack=True)
            reasons[properties.message_id] = dead_letter_reason(properties.headers)
    finally:
        dead.close()
    assert reasons["garbage"][0] is DeadReason.INVALID_JOB and reasons["garbage"][1].startswith("not JSON")
    [(poison_reason, poison_detail)] = [reason for key, reason in reasons.items() if key != "garbage"]
    assert poison_reason is DeadReason.POISON_JOB and "no-such-communication does not exist" in poison_detail
    log = worker.log()
    assert "dead-lettering message garbage: not JSON" in log
    assert "communication no-such-communication does not exist" in log


def test_app_deliveries_land_in_the_inbox_without_a_provider(rabbit_config, notify_database_url, engine, sandbox, worker):
    communication_id, _ = send(notify_database_url, rabbit_config["AMQP_URI"],
                               [NewDelivery(f"p-{n}", Channel.APP, None) for n in range(3)])
    wait_until(lambda: outstanding(engine, communication_id) == 0, what="the inbox items")

    with engine.connect() as connection:
        inbox = connection.execute(select(inbox_items.c.person_id)).scalars().all()
        statuses = set(connection.execute(select(deliveries.c.status)).scalars())
    assert sorted(inbox) == ["p-0", "p-1", "p-2"] and statuses == {"delivered"}
    assert sandbox.client.count() == 0


def test_a_worker_on_the_embedded_sqlite_default_sends_and_records(rabbit_config, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'notify.db'}"
    upgrade("notify", url)
    rows = [NewDelivery(f"p-{n}", Channel.EMAIL, f"p{n}@example.org") for n in range(150)] + [
        NewDelivery(f"p-{n}", Channel.SMS, f"+1555000{n:04d}") for n in range(150)]
    engine = make_engine(url)
    try:
        with worker_pool(rabbit_config["AMQP_URI"], url, sandbox.base_url, tmp_path) as start:
            workers = [start("worker-a"), start("worker-b")]
            communication_id, _ = send(url, rabbit_config["AMQP_URI"], rows)
            wait_until(lambda: outstanding(engine, communication_id) == 0, what="every delivery on SQLite")
            assert [w.terminate() for w in workers] == [0, 0]
        with engine.connect() as connection:
            statuses = set(connection.execute(select(deliveries.c.status)).scalars())
    finally:
        engine.dispose()
    assert statuses == {"sent"}
    assert sandbox.client.count() == len(rows)


def test_a_worker_without_a_broker_keeps_trying_and_still_stops_cleanly(notify_database_url, tmp_path):
    with worker_pool("amqp://guest:guest@127.0.0.1:1/", notify_database_url, "http://127.0.0.1:1", tmp_path) as start:
        waiting = start("worker")
        wait_until(lambda: "reconnecting in" in waiting.log(), what="a failed connection attempt")

        assert waiting.terminate() == 0
    assert "notify worker stopped" in waiting.log()

"""A worker process pushing through FCM's HTTP v1 API (google-auth's signed token, then the send), both
the sandbox's: each registered device gets the push, a stale token is forgotten, a busy FCM is retried."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from services.notify.adapters.tables import deliveries, devices
from services.notify.domain.delivery import Channel, NewDelivery
from services.sandbox.fcm_api import SANDBOX_PROJECT_ID, TOKEN_PATH, sandbox_service_account
from services.sandbox.process import running_sandbox
from tests.integration.notify.worker_processes import (
    outstanding,
    queue_communication,
    seed_communication,
    wait_until,
    worker_pool,
)

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)



@pytest.fixture
def service_account():
    return json.loads(sandbox_service_account("set once the sandbox listens"))


@pytest.fixture
def sandbox(service_account):
    # The sandbox checks each token request's signature with the account's key.
    with running_sandbox({"FCM_CREDENTIALS_JSON": json.dumps(service_account)}) as running:
        yield running


@pytest.fixture
def worker(rabbit_config, notify_database_url, sandbox, service_account, tmp_path):
    account = {**service_account, "token_uri": f"{sandbox.base_url}{TOKEN_PATH}"}
    with worker_pool(rabbit_config["AMQP_URI"], notify_database_url, sandbox.base_url, tmp_path,
                     FCM_PROJECT_ID=SANDBOX_PROJECT_ID, FCM_API_BASE=sandbox.base_url,
                     FCM_CREDENTIALS_JSON=json.dumps(account)) as start:
        running = start("worker")
        yield running
        assert running.terminate() == 0, running.log()


def register(engine, person_id: str, *tokens: str) -> None:
    with engine.begin() as connection:
        connection.execute(insert(devices), [
            {"id": f"{person_id}-{token}", "person_id": person_id, "token": token, "platform": "android",
             "created_at": NOW, "last_seen_at": NOW} for token in tokens])


def statuses(engine, communication_id: str) -> dict[str, tuple[str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(select(deliveries.c.person_id, deliveries.c.status, deliveries.c.reason)
                                  .where(deliveries.c.communication_id == communication_id)).all()
    return {person_id: (status, reason) for person_id, status, reason in rows}


def pushed(rabbit_config, notify_database_url, engine, *people: str) -> str:
    rows = [NewDelivery(person_id, Channel.PUSH, None) for person_id in people]
    communication_id, ids = seed_communication(notify_database_url, rows)
    queue_communication(notify_database_url, rabbit_config["AMQP_URI"], communication_id, ids, rows)
    wait_until(lambda: outstanding(engine, communication_id) == 0, what="the pushes")
    return communication_id


def test_every_registered_device_gets_the_push_and_a_stale_token_is_forgotten(
        rabbit_config, notify_database_url, engine, sandbox, worker):
    register(engine, "dana", "dana-phone", "dana-old-tablet")
    register(engine, "omar", "omar-uninstalled")
    sandbox.client.set_push_token_fate("dana-old-tablet", "invalid_argument")
    sandbox.client.set_push_token_fate("omar-uninstalled", "unregistered")

    communication_id = pushed(rabbit_config, notify_database_url, engine, "dana", "omar")

    assert statuses(engine, communication_id) == {
        "dana": ("sent", "pushed to 1 of 2 devices"), "omar": ("failed", "every registered device is stale")}
    phone = sandbox.client.pushes(to="dana-phone")
    assert [(push["subject"], push["body"], push["data"]["communication_id"]) for push in phone] == [
        ("Snow day", "School is closed today.", communication_id)]
    with engine.connect() as connection:
        assert connection.execute(select(devices.c.token)).scalars().all() == ["dana-phone"]


def test_a_busy_fcm_is_tried_again_after_a_backoff(rabbit_config, notify_database_url, engine, sandbox, worker):
    register(engine, "dana", "dana-phone")
    sandbox.client.set_push_token_fate("dana-phone", "unavailable", times=1)

    communication_id = pushed(rabbit_config, notify_database_url, engine, "dana")

    assert statuses(engine, communication_id)["dana"][0] == "sent"
    assert [push["status"] for push in sandbox.client.pushes(to="dana-phone")] == ["unavailable", "accepted"]

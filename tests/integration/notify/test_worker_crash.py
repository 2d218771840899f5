"""A worker SIGKILLed in the middle of a bulk send loses no delivery and repeats only the provider request
it had in flight; the workers started after it finish the job between them.

Real parts only: PostgreSQL, a broker vhost of its own, worker processes, the real Twilio and SendGrid
SDKs talking HTTP to the provider sandbox, which records every message it is asked to send.
"""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from services.notify.adapters.tables import communications, deliveries, send_ledger
from services.notify.domain.delivery import Channel, NewDelivery
from services.notify.queue.jobs import PAGE_SIZES
from services.sandbox.process import running_sandbox
from shared.db import make_engine
from shared.testing.faults import repeats
from tests.integration.notify.worker_processes import (
    outstanding,
    queue_communication,
    queue_depth,
    seed_communication,
    wait_until,
    worker_pool,
)

SMS_RECIPIENTS = 1500
EMAIL_RECIPIENTS = 1500
# Killed a sixth of the way into the SMS, which go out one HTTP request each: mid-page.
KILL_AFTER_SENDS = 275


def recipients() -> list[NewDelivery]:
    # SMS first, so the kill lands while the first worker is between two Twilio requests of a page.
    return ([NewDelivery(f"guardian-{n:05d}", Channel.SMS, f"+1555{n:07d}") for n in range(SMS_RECIPIENTS)]
            + [NewDelivery(f"guardian-{n:05d}", Channel.EMAIL, f"guardian{n}@example.org")
               for n in range(EMAIL_RECIPIENTS)])


@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_a_worker_killed_mid_send_loses_nothing_and_repeats_only_its_request_in_flight(
        rabbit_config, migrated_pg_url, tmp_path):
    database_url = migrated_pg_url("notify")
    amqp_uri = rabbit_config["AMQP_URI"]
    rows = recipients()
    communication_id, ids = seed_communication(database_url, rows)
    engine = make_engine(database_url)
    try:
        with running_sandbox() as sandbox, worker_pool(amqp_uri, database_url, sandbox.base_url, tmp_path,
                                                       NOTIFY_WORKER_PREFETCH="2") as start_worker:
            queue_communication(database_url, amqp_uri, communication_id, ids, rows)

            doomed = start_worker("worker-1")
            wait_until(lambda: sandbox.client.count() >= KILL_AFTER_SENDS, every=0.005, what="the first sends")
            doomed.kill()
            sent_before_the_kill = sandbox.client.count()
            assert sent_before_the_kill < len(rows), "the first worker finished before it could be killed"

            survivors = [start_worker("worker-2"), start_worker("worker-3")]
            wait_until(lambda: outstanding(engine, communication_id) == 0, what="every delivery to be sent")
            exit_codes = [worker.terminate() for worker in survivors]
            messages = sandbox.client.messages()
        left_on_the_queue = queue_depth(amqp_uri)

        with engine.connect() as connection:
            statuses = Counter(connection.execute(select(deliveries.c.status)).scalars())
            ledger = Counter(connection.execute(select(send_ledger.c.state)).scalars())
            state = connection.execute(select(communications.c.state)).scalar()
    finally:
        engine.dispose()

    # Exactly once in our records: every delivery sent, each once, every ledger key settled.
    assert statuses == {"sent": len(rows)}
    assert left_on_the_queue == 0
    assert ledger == {"sent": len(rows)}
    assert state == "completed"

    # At the provider: nothing lost, and nothing twice but the one request the killed worker had in flight
    # (each answer is kept in the ledger as it comes): one SMS, or one SendGrid batch.
    seen = Counter((message["channel"], message["to"]) for message in messages)
    assert set(seen) == {(row.channel.value, row.address) for row in rows}, "a delivery was lost"
    repeated = repeats(messages)
    assert repeated.most_copies <= 2
    assert repeated.total_requests <= 1, f"{repeated.requests} repeated requests: more than the one in flight"
    assert repeated.messages.get("sms", 0) <= 1 and repeated.messages.get("email", 0) <= PAGE_SIZES[Channel.EMAIL]
    print(f"\nkilled after {sent_before_the_kill} provider sends; repeated after the restart: "
          f"{dict(repeated.messages)} in {repeated.total_requests} request (bound: the one in flight)")

    # The two workers started after the crash shared the rest and stopped cleanly on SIGTERM.
    assert exit_codes == [0, 0]
    assert all(worker.jobs_done() > 0 for worker in survivors), [worker.log() for worker in survivors]

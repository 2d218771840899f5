"""Nothing stuck, on a real broker vhost, PostgreSQL, worker processes and the provider sandbox: the sweeper
queues again what lost its job without a second provider call for what was sent; dead letters are listed
with their reason, replayed under their own id (what was sent is not sent again) and purged; and a worker
takes only the channels it has a provider for."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.sweep_repository import SweepRepository
from services.notify.adapters.tables import deliveries, send_ledger
from services.notify.domain.delivery import Channel, NewDelivery
from services.notify.domain.stuck_jobs import DeadLetter, DeadReason, dead_letter_headers
from services.notify.handlers_sweeper import measure_queue_age, sweep_stuck_deliveries
from services.notify.queue.dead_letters import DeadLetterQueue
from services.notify.queue.jobs import DeliveryJob
from services.notify.queue.publisher import DeliveryPublisher, RawMessage
from services.notify.queue.topology import work_queue
from services.sandbox.process import running_sandbox
from tests.integration.notify.worker_processes import (
    queue_communication,
    queue_depth,
    seed_communication,
    wait_until,
    worker_pool,
)

SWEEP_AFTER = timedelta(minutes=10)
EMAILS = [NewDelivery("ana", Channel.EMAIL, "ana@example.org"), NewDelivery("ben", Channel.EMAIL, "ben@example.org")]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)



@pytest.fixture
def sandbox():
    with running_sandbox() as running:
        yield running


@pytest.fixture
def workers(rabbit_config, notify_database_url, sandbox, tmp_path):
    with worker_pool(rabbit_config["AMQP_URI"], notify_database_url, sandbox.base_url, tmp_path) as start:
        yield start


def status_of(engine, delivery_id: str) -> str:
    with engine.connect() as connection:
        return connection.execute(select(deliveries.c.status).where(deliveries.c.id == delivery_id)).scalar_one()


def queued_without_a_job(engine, rows: list[NewDelivery], database_url: str, *, minutes_ago: float = 11):
    """Deliveries marked queued whose job never reached the queue (or was lost from it), long ago."""
    communication_id, ids = seed_communication(database_url, rows)
    with Session(engine) as session:
        repository = DeliveryRepository(session)
        repository.mark_queued(ids, now=utc_now())
        repository.mark_communication_queued(communication_id, now=utc_now())
    with engine.begin() as connection:
        connection.execute(update(deliveries).where(deliveries.c.id.in_(ids))
                           .values(updated_at=utc_now() - timedelta(minutes=minutes_ago)))
    return communication_id, ids


def claimed_by_a_lost_job(engine, communication_id: str, delivery_id: str, person_id: str) -> None:
    """A worker claimed this send, the provider took it, and the worker died before recording it."""
    with engine.begin() as connection:
        connection.execute(insert(send_ledger).values(
            communication_id=communication_id, person_id=person_id, channel=Channel.EMAIL.value,
            delivery_id=delivery_id, state="sending", job_id="lost-job", written_at=utc_now()))


def sweep(engine, amqp_uri: str) -> int:
    with Session(engine) as session:
        return sweep_stuck_deliveries(deliveries=SweepRepository(session), queue=DeliveryPublisher(amqp_uri),
                                      clock=utc_now, sweep_after=SWEEP_AFTER)


def test_the_sweeper_queues_a_lost_job_again_without_sending_twice_what_was_sent(
        rabbit_config, notify_database_url, engine, sandbox, workers):
    amqp_uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(amqp_uri).declare_topology()
    communication_id, (ana, ben) = queued_without_a_job(engine, EMAILS, notify_database_url)
    claimed_by_a_lost_job(engine, communication_id, ana, "ana")
    worker = workers("worker")

    assert sweep(engine, amqp_uri) == 2

    wait_until(lambda: status_of(engine, ben) == "sent", what="the swept delivery to be sent")
    assert sweep(engine, amqp_uri) == 0, "a delivery just swept waits another bound"
    assert sandbox.client.count(to="ben@example.org") == 1
    # Ana's send was in flight when its job was lost: the ledger keeps it that job's, never sent again.
    wait_until(lambda: worker.jobs_done() >= 1, what="the swept job")
    assert sandbox.client.count(to="ana@example.org") == 0
    assert status_of(engine, ana) == "queued"


def test_the_sweeper_leaves_a_channel_alone_while_jobs_wait_on_its_queue(
        rabbit_config, notify_database_url, engine):
    amqp_uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(amqp_uri).publish_jobs([DeliveryJob("other", Channel.EMAIL, ("d-waiting",))])
    queued_without_a_job(engine, EMAILS, notify_database_url)
    queued_without_a_job(engine, [NewDelivery("cy", Channel.SMS, "+15555550123")], notify_database_url)

    assert sweep(engine, amqp_uri) == 1  # the SMS only: the email queue is merely behind
    assert queue_depth(amqp_uri, work_queue(Channel.SMS)) == 1


def test_a_delivery_queued_recently_is_not_swept(rabbit_config, notify_database_url, engine):
    amqp_uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(amqp_uri).declare_topology()
    queued_without_a_job(engine, EMAILS, notify_database_url, minutes_ago=9)

    assert sweep(engine, amqp_uri) == 0


def dead_job(amqp_uri: str, job: DeliveryJob, message_id: str, reason: DeadReason = DeadReason.RETRIES_EXHAUSTED):
    headers = dead_letter_headers(DeadLetter(reason, "database unavailable"), now=utc_now(), failures=5)
    DeliveryPublisher(amqp_uri).publish_dead_letter(RawMessage(job.to_json(), message_id, headers))


def test_a_replayed_dead_letter_sends_what_was_not_sent_and_nothing_twice(
        rabbit_config, notify_database_url, engine, sandbox, workers):
    amqp_uri = rabbit_config["AMQP_URI"]
    communication_id, (ana, ben) = seed_communication(notify_database_url, EMAILS)
    workers("worker")
    # Ana's page went out; the job that held both of them died for good and was dead-lettered.
    queue_communication(notify_database_url, amqp_uri, communication_id, [ana], EMAILS[:1])
    wait_until(lambda: status_of(engine, ana) == "sent", what="Ana's email")
    with Session(engine) as session:
        DeliveryRepository(session).mark_queued([ben], now=utc_now())
    dead_job(amqp_uri, DeliveryJob(communication_id, Channel.EMAIL, (ana, ben)), "job-dead")
    dead_letters = DeadLetterQueue(amqp_uri)

    [entry] = dead_letters.read()
    assert (entry.message_id, entry.reason, entry.detail) == ("job-dead", DeadReason.RETRIES_EXHAUSTED,
                                                              "database unavailable")
    assert entry.job == DeliveryJob(communication_id, Channel.EMAIL, (ana, ben))
    assert dead_letters.count() == 1, "listing leaves every dead letter in place"

    result = dead_letters.replay()

    assert (result.replayed, result.skipped) == (["job-dead"], {})
    wait_until(lambda: status_of(engine, ben) == "sent", what="Ben's email from the replayed job")
    assert dead_letters.count() == 0
    assert sandbox.client.count(to="ana@example.org") == 1
    assert sandbox.client.count(to="ben@example.org") == 1


def test_a_dead_letter_that_is_not_a_job_is_not_replayed_and_purging_chosen_ones_keeps_the_rest(rabbit_config):
    amqp_uri = rabbit_config["AMQP_URI"]
    publisher = DeliveryPublisher(amqp_uri)
    publisher.publish_dead_letter(RawMessage(b"{not json", "garbage", dead_letter_headers(
        DeadLetter(DeadReason.INVALID_JOB, "not JSON"), now=utc_now())))
    dead_job(amqp_uri, DeliveryJob("comm-1", Channel.SMS, ("d-1",)), "job-1", DeadReason.POISON_JOB)
    dead_job(amqp_uri, DeliveryJob("comm-2", Channel.SMS, ("d-2",)), "job-2", DeadReason.POISON_JOB)
    dead_letters = DeadLetterQueue(amqp_uri)

    result = dead_letters.replay({"garbage", "job-1"})

    assert result.replayed == ["job-1"] and set(result.skipped) == {"garbage"}
    assert queue_depth(amqp_uri, work_queue(Channel.SMS)) == 1
    assert dead_letters.purge({"garbage"}) == 1
    assert [entry.message_id for entry in dead_letters.read()] == ["job-2"]
    assert dead_letters.purge() == 1
    assert dead_letters.count() == 0


def test_a_worker_without_a_provider_leaves_that_channel_to_workers_that_have_one(
        rabbit_config, notify_database_url, engine, sandbox, tmp_path):
    amqp_uri = rabbit_config["AMQP_URI"]
    rows = [NewDelivery("ana", Channel.EMAIL, "ana@example.org"), NewDelivery("ana", Channel.SMS, "+15555550199")]
    communication_id, (email, sms) = seed_communication(notify_database_url, rows)
    no_twilio = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_FROM_NUMBER": ""}
    with worker_pool(amqp_uri, notify_database_url, sandbox.base_url, tmp_path, **no_twilio) as start:
        email_only = start("email-only")
        queue_communication(notify_database_url, amqp_uri, communication_id, [email, sms], rows)
        wait_until(lambda: status_of(engine, email) == "sent", what="the email")
        assert queue_depth(amqp_uri, work_queue(Channel.SMS)) == 1, "the SMS job waits for an SMS worker"
        assert status_of(engine, sms) == "queued"
        log = email_only.log()
        assert "leaving sms, voice, push to workers configured for them" in log
        assert "this worker takes no sms jobs: it needs TWILIO_ACCOUNT_SID" in log
        assert email_only.terminate() == 0
    with worker_pool(amqp_uri, notify_database_url, sandbox.base_url, tmp_path) as start:
        start("full")
        wait_until(lambda: status_of(engine, sms) == "sent", what="the SMS, once a worker with Twilio runs")
        # The management API's counts lag the broker by its statistics interval (5 s by default).
        wait_until(lambda: queue_depth(amqp_uri, work_queue(Channel.SMS)) == 0, what="the SMS queue drained")


def test_the_age_of_the_longest_waiting_delivery_is_measured_per_channel(notify_database_url, engine):
    queued_without_a_job(engine, EMAILS, notify_database_url, minutes_ago=11)

    with Session(engine) as session:
        ages = measure_queue_age(deliveries=SweepRepository(session), clock=utc_now)

    assert 11 * 60 <= ages[Channel.EMAIL] < 12 * 60 and ages[Channel.SMS] == 0.0
    assert REGISTRY.get_sample_value("school_oldest_queued_delivery_seconds", {"channel": "email"}) == \
        ages[Channel.EMAIL]

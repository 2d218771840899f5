"""The windowed publisher on a real broker: thousands of jobs confirmed, and every way a job could be lost
raised to the caller instead — under eventlet (this test process) and in a plain process."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import eventlet
import pika
import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook

from services.notify.domain.delivery import Channel
from services.notify.queue.jobs import DeliveryJob, parse_job
from services.notify.adapters.service_dependencies import DeliveryQueue
from services.notify.queue.publisher import DeliveryPublisher, PublishFailed
from services.notify.queue.topology import WORK_EXCHANGE, WORK_QUEUES, work_queue
from shared.config import PROJECT_ROOT

# Waiting for each confirm caps a publisher at ~760 msg/s on this kind of machine (PLATFORM-NOTES);
# a window must beat that comfortably even on a busy CI box.
PER_CONFIRM_CEILING = 760


def sms_jobs(count: int, *, ids_per_job: int = 10) -> list[DeliveryJob]:
    return [DeliveryJob("comm-1", Channel.SMS, tuple(f"d-{n}-{i}" for i in range(ids_per_job))) for n in range(count)]


def queue_depth(amqp_uri: str, *queues: str) -> int:
    """Jobs waiting on the queues named, by default every channel's work queue together."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        return sum(channel.queue_declare(queue, passive=True).method.message_count for queue in queues or WORK_QUEUES)
    finally:
        connection.close()


def test_ten_thousand_jobs_are_all_confirmed_on_the_queue_faster_than_one_confirm_at_a_time(rabbit_config):
    publisher = DeliveryPublisher(rabbit_config["AMQP_URI"])
    publisher.declare_topology()
    jobs = sms_jobs(10_000)

    started = time.perf_counter()
    publisher.publish_jobs(jobs)
    rate = len(jobs) / (time.perf_counter() - started)

    print(f"\n10,000 persistent jobs confirmed in a window of 1,000: {rate:,.0f} msg/s")
    assert queue_depth(rabbit_config["AMQP_URI"]) == 10_000
    assert rate > PER_CONFIRM_CEILING


def test_a_job_no_queue_takes_is_returned_and_raised(rabbit_config):
    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    connection.channel().exchange_declare(WORK_EXCHANGE, "direct", durable=True)  # an exchange, but no queue
    connection.close()

    with pytest.raises(PublishFailed) as failed:
        DeliveryPublisher(rabbit_config["AMQP_URI"], declare=False).publish_jobs(sms_jobs(3))

    assert len(failed.value.returned) == 3
    assert failed.value.reason == "returned as unroutable"


def test_a_job_for_an_exchange_that_does_not_exist_is_raised(rabbit_config):
    with pytest.raises(PublishFailed, match="NOT_FOUND"):
        DeliveryPublisher(rabbit_config["AMQP_URI"], declare=False).publish_jobs(sms_jobs(3))


def test_a_broker_that_cannot_be_reached_is_raised(rabbit_config):
    unreachable = "amqp://guest:guest@127.0.0.1:1/"

    with pytest.raises(PublishFailed, match="cannot connect"):
        DeliveryPublisher(unreachable, declare=False).publish_jobs(sms_jobs(1))


def test_publishing_nothing_opens_no_connection():
    DeliveryPublisher("amqp://guest:guest@127.0.0.1:1/").publish_jobs([])


def test_the_publisher_confirms_jobs_in_a_plain_process_without_eventlet(rabbit_config):
    script = textwrap.dedent(f"""
        import sys
        from services.notify.domain.delivery import Channel
        from services.notify.queue.jobs import DeliveryJob
        from services.notify.queue.publisher import DeliveryPublisher
        assert "eventlet" not in sys.modules
        jobs = [DeliveryJob("comm-1", Channel.EMAIL, (f"d-{{n}}",)) for n in range(2500)]
        DeliveryPublisher({rabbit_config["AMQP_URI"]!r}, window=100).publish_jobs(jobs)
    """)

    subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, check=True, timeout=60)

    assert queue_depth(rabbit_config["AMQP_URI"]) == 2500


def test_a_job_survives_the_trip_unchanged(rabbit_config):
    job = DeliveryJob("comm-1", Channel.EMAIL, tuple(f"d-{n}" for n in range(1000)))
    DeliveryPublisher(rabbit_config["AMQP_URI"]).publish_jobs([job])

    connection = pika.BlockingConnection(pika.URLParameters(rabbit_config["AMQP_URI"]))
    try:
        method, properties, body = connection.channel().basic_get(work_queue(Channel.EMAIL), auto_ack=True)
    finally:
        connection.close()
    assert parse_job(body) == job
    assert properties.delivery_mode == pika.DeliveryMode.Persistent.value and properties.message_id


class PublishingService:
    """A nameko service that publishes delivery jobs, as notify does when a communication is sent."""

    name = "publishing_service"
    deliveries_queue = DeliveryQueue()

    @rpc
    def publish(self, count: int) -> int:
        self.deliveries_queue.publish_jobs(sms_jobs(count))
        return count

    @rpc
    def ping(self) -> str:
        return "pong"


def test_a_nameko_worker_publishing_thousands_of_jobs_leaves_the_service_answering(
        container_factory, rabbit_config):
    container = container_factory(PublishingService, rabbit_config)
    container.start()

    with entrypoint_hook(container, "publish") as publish, entrypoint_hook(container, "ping") as ping:
        publishing = eventlet.spawn(publish, 5000)
        eventlet.sleep(0.05)  # the publish is under way
        asked = time.perf_counter()
        assert ping() == "pong"
        answered_in = time.perf_counter() - asked
        assert not publishing.dead, "the publish finished before the service was asked anything"
        assert publishing.wait() == 5000

    assert answered_in < 0.5
    assert queue_depth(rabbit_config["AMQP_URI"]) == 5000

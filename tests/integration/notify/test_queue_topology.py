"""The delivery queue's topology on a real broker: idempotent declaration, quorum queues with an explicit
delivery limit, dead-lettering, and the retry path back to the work queue."""
from __future__ import annotations

import time
from contextlib import contextmanager

import pika
import pytest

from services.notify.domain.delivery import Channel
from services.notify.queue.jobs import DeliveryJob, parse_job
from services.notify.queue.publisher import FAILURES_HEADER, DelayedJob, DeliveryPublisher
from services.notify.queue.topology import (
    DEAD_QUEUE,
    DELIVERY_LIMIT,
    RETRY_BUCKETS_SECONDS,
    TOPOLOGY,
    declare_topology,
    retry_queue_name,
    work_queue,
)

JOB = DeliveryJob("comm-1", Channel.EMAIL, ("d-1", "d-2"))
WORK_QUEUE = work_queue(Channel.EMAIL)


@contextmanager
def broker_channel(amqp_uri: str):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        yield connection.channel()
    finally:
        connection.close()


def get_when_ready(channel, queue: str, *, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue)
        if method is not None:
            return method, properties, body
        time.sleep(0.02)
    raise AssertionError(f"nothing arrived on {queue} within {timeout} s")


def test_declaring_the_topology_twice_changes_nothing(rabbit_config, rabbit_manager):
    with broker_channel(rabbit_config["AMQP_URI"]) as channel:
        declare_topology(channel)
        declare_topology(channel)

    queues = {queue["name"]: queue for queue in rabbit_manager.get_queues(rabbit_config["vhost"])}
    assert set(queues) == {spec.name for spec in TOPOLOGY.queues}
    for channel in Channel:  # a queue per channel, each with its delivery limit
        work = queues[work_queue(channel)]
        assert work["durable"] and work["arguments"]["x-queue-type"] == "quorum"
        assert work["arguments"]["x-delivery-limit"] == DELIVERY_LIMIT
        assert work["arguments"]["x-dead-letter-exchange"] == "notify.deliveries.dead"
        # At-least-once dead-lettering crashed RabbitMQ 3.10's dead-letter supervisor under vhost churn.
        assert "x-dead-letter-strategy" not in work["arguments"]
    retries = [queues[retry_queue_name(bucket)] for bucket in RETRY_BUCKETS_SECONDS]
    assert all(queue["arguments"]["x-dead-letter-exchange"] == "notify.deliveries" for queue in retries)
    # No fixed routing key: a delayed job comes back under the one it was published with (its channel's, in CC).
    assert not any("x-dead-letter-routing-key" in queue["arguments"] for queue in retries)
    assert all(queue["arguments"]["x-queue-type"] == "classic" and queue["durable"] for queue in retries)


def test_a_job_handed_out_more_often_than_the_delivery_limit_is_dead_lettered(rabbit_config):
    DeliveryPublisher(rabbit_config["AMQP_URI"]).publish_jobs([JOB])

    with broker_channel(rabbit_config["AMQP_URI"]) as channel:
        handed_out = 0
        while True:
            method, _, _ = channel.basic_get(WORK_QUEUE)
            if method is None:
                break
            handed_out += 1
            channel.basic_nack(method.delivery_tag, requeue=True)
        _, properties, body = get_when_ready(channel, DEAD_QUEUE)

    assert handed_out == DELIVERY_LIMIT + 1
    assert parse_job(body) == JOB
    assert properties.headers["x-first-death-reason"] == "delivery_limit"


def test_a_rejected_job_goes_straight_to_the_dead_letters(rabbit_config):
    DeliveryPublisher(rabbit_config["AMQP_URI"]).publish_jobs([JOB])

    with broker_channel(rabbit_config["AMQP_URI"]) as channel:
        method, _, _ = get_when_ready(channel, WORK_QUEUE)
        channel.basic_reject(method.delivery_tag, requeue=False)
        _, properties, _ = get_when_ready(channel, DEAD_QUEUE)

    assert properties.headers["x-first-death-reason"] == "rejected"


def test_a_delayed_job_returns_to_its_own_channel_s_queue(rabbit_config):
    sms_job = DeliveryJob("comm-1", Channel.SMS, ("d-3",))

    DeliveryPublisher(rabbit_config["AMQP_URI"]).publish_later([DelayedJob(sms_job, 0.2), DelayedJob(JOB, 0.2)])

    with broker_channel(rabbit_config["AMQP_URI"]) as channel:
        _, _, sms_body = get_when_ready(channel, work_queue(Channel.SMS))
        _, _, email_body = get_when_ready(channel, WORK_QUEUE)
    assert (parse_job(sms_body), parse_job(email_body)) == (sms_job, JOB)


@pytest.mark.parametrize("delay", [0.3, 1.5])
def test_a_delayed_job_returns_to_the_work_queue_once_its_delay_is_over(rabbit_config, delay):
    publisher = DeliveryPublisher(rabbit_config["AMQP_URI"])
    sent_at = time.monotonic()

    publisher.publish_later([DelayedJob(JOB, delay, message_id="job-1", failures=2)])

    with broker_channel(rabbit_config["AMQP_URI"]) as channel:
        method, properties, body = get_when_ready(channel, WORK_QUEUE)
        waited = time.monotonic() - sent_at
        channel.basic_ack(method.delivery_tag)
    assert delay <= waited < 2 * delay + 1.0
    assert parse_job(body) == JOB
    assert (properties.message_id, properties.headers[FAILURES_HEADER]) == ("job-1", 2)
    assert properties.delivery_mode == pika.DeliveryMode.Persistent.value

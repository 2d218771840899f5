"""The job consumer on a real broker: manual acks, dead letters, graceful stop, and heartbeats that
survive a job longer than the heartbeat timeout."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pika
import pytest

from services.notify.domain.delivery import Channel
from services.notify.queue.consumer import ConsumerCrashed, Disposition, JobConsumer, ReceivedJob
from services.notify.queue.jobs import DeliveryJob, parse_job
from services.notify.queue.publisher import DeliveryPublisher
from services.notify.queue.topology import DEAD_QUEUE, work_queue
from shared.config import PROJECT_ROOT
from shared.testing.faults import close_vhost_connections

WAIT_SECONDS = 20
# Every job of these tests is an email job.
WORK_QUEUE = work_queue(Channel.EMAIL)


def jobs(count: int) -> list[DeliveryJob]:
    return [DeliveryJob("comm-1", Channel.EMAIL, (f"d-{n}",)) for n in range(count)]


def depth(amqp_uri: str, queue: str = WORK_QUEUE) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


class Consuming:
    """A consumer running in a thread for the length of a test."""

    def __init__(self, amqp_uri: str, handle, *, prefetch: int = 2):
        self.consumer = JobConsumer(amqp_uri, handle, prefetch=prefetch)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.consumer.run()
        except BaseException as error:  # handed to the test thread, which asserts on it
            self.error = error

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.consumer.stop()
        self.thread.join(WAIT_SECONDS)
        assert not self.thread.is_alive(), "the consumer did not stop"


def wait_until(condition, timeout: float = WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def wait_until_returned_to_queue(amqp_uri: str, expected: int) -> None:
    """Fails unless the queue holds `expected` jobs within WAIT_SECONDS.

    The broker requeues a closed channel's unacknowledged deliveries on its own time: a new connection asking
    right after the close can still find them missing (CI, three test groups on two cores, found 1 of 4)."""
    wait_until(lambda: depth(amqp_uri) == expected)


def test_each_job_the_handler_finished_is_acked(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(uri).publish_jobs(jobs(5))
    seen: list[DeliveryJob] = []

    def handle(message: ReceivedJob) -> Disposition:
        seen.append(parse_job(message.body))
        return Disposition.ACK

    with Consuming(uri, handle):
        wait_until(lambda: len(seen) == 5)

    assert sorted(job.delivery_ids[0] for job in seen) == [f"d-{n}" for n in range(5)]
    assert depth(uri) == 0


def test_a_dead_letter_disposition_moves_the_job_to_the_dead_letter_queue(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(uri).publish_jobs(jobs(1))
    handled = threading.Event()

    def handle(message: ReceivedJob) -> Disposition:
        handled.set()
        return Disposition.DEAD_LETTER

    with Consuming(uri, handle):
        assert handled.wait(WAIT_SECONDS)
        wait_until(lambda: depth(uri, DEAD_QUEUE) == 1)

    assert depth(uri) == 0


def test_stop_finishes_the_job_in_hand_and_returns_the_prefetched_ones_to_the_queue(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(uri).publish_jobs(jobs(5))
    started, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def handle(message: ReceivedJob) -> Disposition:
        started.set()
        release.wait(WAIT_SECONDS)
        finished.append(message.message_id)
        return Disposition.ACK

    with Consuming(uri, handle, prefetch=3) as consuming:
        assert started.wait(WAIT_SECONDS)
        consuming.consumer.stop()
        release.set()

    assert len(finished) == 1 and consuming.error is None
    wait_until_returned_to_queue(uri, 4)


def delivery_counts(amqp_uri: str, queue: str = WORK_QUEUE) -> list[int]:
    """How many times the broker handed out each job the queue holds (taken with basic_get, then put back)."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        counts = []
        while (got := channel.basic_get(queue, auto_ack=False))[0] is not None:
            counts.append(int((got[1].headers or {}).get("x-delivery-count", 0)))
        return counts
    finally:
        connection.close()


def test_a_stop_hands_each_job_it_returns_back_once(rabbit_config):
    """A job requeued while its consumer is still registered comes straight back to it, and every round counts
    towards the work queue's delivery limit: stops alone could dead-letter a job that never failed."""
    uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(uri).publish_jobs(jobs(5))
    started, release = threading.Event(), threading.Event()

    def handle(message: ReceivedJob) -> Disposition:
        started.set()
        release.wait(WAIT_SECONDS)
        return Disposition.ACK

    with Consuming(uri, handle, prefetch=3) as consuming:
        assert started.wait(WAIT_SECONDS)
        consuming.consumer.stop()
        release.set()

    wait_until_returned_to_queue(uri, 4)
    counts = delivery_counts(uri)
    assert len(counts) == 4 and max(counts) <= 1, counts
    assert depth(uri, DEAD_QUEUE) == 0


def test_the_job_in_hand_learns_its_connection_is_gone_and_the_broker_hands_it_out_again(
        rabbit_config, rabbit_manager):
    uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(uri).publish_jobs(jobs(1))
    started, release = threading.Event(), threading.Event()
    in_hand: list[ReceivedJob] = []

    def handle(message: ReceivedJob) -> Disposition:
        in_hand.append(message)
        started.set()
        release.wait(WAIT_SECONDS)
        return Disposition.REQUEUE

    with Consuming(uri, handle) as consuming:
        assert started.wait(WAIT_SECONDS)
        assert in_hand[0].still_held()
        assert close_vhost_connections(rabbit_manager, rabbit_config["vhost"])
        wait_until(lambda: not in_hand[0].still_held(), timeout=5)
        release.set()
        consuming.thread.join(WAIT_SECONDS)

    assert isinstance(consuming.error, pika.exceptions.AMQPConnectionError)
    wait_until_returned_to_queue(uri, 1)  # back on the queue for another worker


def test_a_handler_that_crashes_ends_the_consumer_and_its_job_goes_back(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(uri).publish_jobs(jobs(1))

    def handle(message: ReceivedJob) -> Disposition:
        raise RuntimeError("a bug")

    with Consuming(uri, handle) as consuming:
        consuming.thread.join(WAIT_SECONDS)

    assert isinstance(consuming.error, ConsumerCrashed)
    wait_until_returned_to_queue(uri, 1)


@pytest.mark.timeout(60)
def test_a_job_longer_than_the_heartbeat_timeout_keeps_its_connection_and_is_acked_once(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    DeliveryPublisher(uri).publish_jobs(jobs(1))
    # A plain process, as the worker runs: a real thread blocks for 5 s with a 1 s heartbeat, long
    # enough for the broker to drop a connection whose heartbeats had stopped.
    script = textwrap.dedent(f"""
        import threading, time
        from services.notify.queue.consumer import Disposition, JobConsumer
        handled = []
        def handle(message):
            handled.append(message.redelivered)
            time.sleep(5)
            consumer.stop()
            return Disposition.ACK
        consumer = JobConsumer({uri!r}, handle, prefetch=1, heartbeat_seconds=1)
        consumer.run()
        print(handled)
    """)

    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=45)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[False]"
    assert depth(uri) == 0

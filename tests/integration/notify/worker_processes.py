"""Helpers for worker tests: notify workers as real processes, the provider sandbox they send to, and
communications seeded through the delivery repository."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pika
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.tables import deliveries
from services.notify.domain.delivery import SENDABLE_STATUSES, Communication, NewDelivery
from services.notify.queue.jobs import DeliveryJob, pages_of
from services.notify.queue.publisher import DeliveryPublisher
from services.notify.queue.topology import WORK_QUEUES
from services.sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_SENDGRID_API_KEY
from shared.config import PROJECT_ROOT
from shared.db import make_engine

WAIT_SECONDS = 60
STOP_SECONDS = 20


def provider_env(sandbox_url: str) -> dict[str, str]:
    """The real Twilio and SendGrid channels, pointed at the sandbox."""
    return {
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15550100000", "TWILIO_API_BASE": sandbox_url,
        "SENDGRID_API_KEY": DEFAULT_SENDGRID_API_KEY, "SENDGRID_FROM_EMAIL": "school@example.org",
        "SENDGRID_API_BASE": sandbox_url,
    }


class WorkerProcess:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "services.notify.worker"], cwd=PROJECT_ROOT,
                                        env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_SECONDS)

    def terminate(self) -> int:
        """SIGTERM, as an orchestrator stops a running worker; its exit code. A worker still importing has no
        handler yet and would die of the signal, so this waits for it to have started (on a loaded machine a
        worker can start after its peers finished every job)."""
        deadline = time.monotonic() + STOP_SECONDS
        while self.process.poll() is None and "notify worker starting" not in self.log() \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(STOP_SECONDS)

    def log(self) -> str:
        return self.log_path.read_text()

    def jobs_done(self) -> int:
        return self.log().count(" done (")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_SECONDS)
        self._log.close()


@contextmanager
def worker_pool(amqp_uri: str, database_url: str, sandbox_url: str, log_dir: Path,
                **extra_env: str) -> Iterator[Callable[[str], WorkerProcess]]:
    """start(name) starts one more worker; every worker started is gone when the block ends."""
    env = {**os.environ, "AMQP_URI": amqp_uri, "NOTIFY_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1",
           "LOG_LEVEL": "INFO", **provider_env(sandbox_url), **extra_env}
    started: list[WorkerProcess] = []

    def start(name: str) -> WorkerProcess:
        worker = WorkerProcess(name, env, log_dir)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.close()


def seed_communication(database_url: str, rows: Sequence[NewDelivery], *,
                       kind: Communication = Communication.ANNOUNCEMENT, priority: bool = False,
                       ) -> tuple[str, list[str]]:
    """A communication with these deliveries, planned as the notify service plans them."""
    now = datetime.now(timezone.utc)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            repository = DeliveryRepository(session)
            communication_id = repository.create_communication(
                district_id="district-1", kind=kind, subject="Snow day", body="School is closed today.", now=now,
                priority=priority)
            ids = repository.create_deliveries(communication_id, rows, now=now)
    finally:
        engine.dispose()
    return communication_id, ids


def queue_communication(database_url: str, amqp_uri: str, communication_id: str, ids: Sequence[str],
                        rows: Sequence[NewDelivery]) -> list[DeliveryJob]:
    """Publish the communication's jobs, confirmed, then mark it and its deliveries queued."""
    jobs = pages_of(communication_id, [(delivery_id, row.channel) for delivery_id, row in zip(ids, rows)])
    publisher = DeliveryPublisher(amqp_uri)
    try:
        publisher.publish_jobs(jobs)
    finally:
        publisher.close()  # the vhost's connections are then the workers' alone (the chaos tests close them)
    now = datetime.now(timezone.utc)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            repository = DeliveryRepository(session)
            repository.mark_queued(list(ids), now=now)
            repository.mark_communication_queued(communication_id, now=now)
    finally:
        engine.dispose()
    return jobs


def queue_depth(amqp_uri: str, *queues: str) -> int:
    """Jobs waiting on the queues named, by default every channel's work queue together."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        return sum(channel.queue_declare(queue, passive=True).method.message_count for queue in queues or WORK_QUEUES)
    finally:
        connection.close()


def outstanding(engine, communication_id: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).where(
            deliveries.c.communication_id == communication_id,
            deliveries.c.status.in_([status.value for status in SENDABLE_STATUSES]))).scalar()


def wait_until(condition: Callable[[], bool], *, timeout: float = WAIT_SECONDS, every: float = 0.1,
               what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)

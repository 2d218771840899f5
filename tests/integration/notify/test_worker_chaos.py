"""Faults survived mid-fan-out, with figures: a 5,000-recipient priority announcement (an SMS, an email and
an app delivery each: 15,000 deliveries) sent by notify workers as real processes, through the real Twilio
and SendGrid SDKs, to the provider sandbox on loopback, while

(a) a worker is killed -9, five times: nothing lost, at most one repeated provider request per kill;
(b) the broker closes every connection of the test's vhost: every worker consumes again within 30 s,
    nothing lost;
(c) PostgreSQL terminates every connection the workers hold: the run resumes, nothing lost, and every
    delivery is recorded whole (status, ledger, history) or not at all.

Figures go to the run's summary under "chaos figures" (shared/testing/chaos_report.py).
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from services.notify.adapters.tables import communications, deliveries, delivery_events, send_ledger
from services.notify.domain.delivery import Channel, NewDelivery
from services.notify.queue.jobs import PAGE_SIZES
from services.notify.queue.topology import WORK_QUEUES, work_queue
from services.sandbox.process import running_sandbox
from shared.db import make_engine
from shared.testing.faults import (
    close_vhost_connections,
    consumers_by_queue,
    repeats,
    terminate_backends,
    with_application_name,
)
from tests.integration.notify import worker_processes as workers_of
from tests.integration.notify.worker_processes import WorkerProcess, wait_until

pytestmark = [pytest.mark.chaos, pytest.mark.postgres]

RECIPIENTS = 5000
KILLS = 5
RESUME_BOUND_SECONDS = 30.0
# Each provider request answered this late, as over the internet: on a quiet machine the whole fan-out
# otherwise ends in under ten seconds, before the broker's management API has even listed the connections
# to close, and there is nothing left to resume.
PROVIDER_LATENCY_SECONDS = 0.01
FAN_OUT_SECONDS = 240  # the whole fan-out on a loaded two-core CI machine; it takes well under a minute


def priority_fan_out() -> list[NewDelivery]:
    """A priority announcement's rows: SMS to every good mobile, email to every good address, and the app."""
    rows = []
    for n in range(RECIPIENTS):
        person = f"guardian-{n:05d}"
        rows += [NewDelivery(person, Channel.SMS, f"+1555{n:07d}"),
                 NewDelivery(person, Channel.EMAIL, f"guardian{n}@example.org"),
                 NewDelivery(person, Channel.APP, None)]
    return rows


@dataclass
class FanOut:
    communication_id: str
    rows: list[NewDelivery]
    engine: object
    sandbox: object
    start_worker: Callable[[str], WorkerProcess]
    amqp_uri: str
    started: float

    def sent(self, channel: str = "sms") -> int:
        return self.sandbox.client.count(channel=channel)

    def wait_for_sends(self, count: int) -> None:
        wait_until(lambda: self.sent() >= count, timeout=FAN_OUT_SECONDS, every=0.01, what=f"{count} SMS sent")

    def wait_until_done(self) -> float:
        wait_until(lambda: workers_of.outstanding(self.engine, self.communication_id) == 0, timeout=FAN_OUT_SECONDS,
                   what="every delivery to be sent")
        return time.monotonic() - self.started


@contextmanager
def running_fan_out(amqp_uri: str, database_url: str, log_dir, *,
                    workers_database_url: str | None = None) -> Iterator[FanOut]:
    """The communication seeded and queued; workers started by the caller (on `workers_database_url`)."""
    rows = priority_fan_out()
    communication_id, ids = workers_of.seed_communication(database_url, rows, priority=True)
    engine = make_engine(database_url)
    try:
        with running_sandbox() as sandbox, workers_of.worker_pool(amqp_uri, workers_database_url or database_url,
                                                       sandbox.base_url, log_dir) as start_worker:
            workers_of.queue_communication(database_url, amqp_uri, communication_id, ids, rows)
            yield FanOut(communication_id, rows, engine, sandbox, start_worker, amqp_uri, time.monotonic())
    finally:
        engine.dispose()


def consuming_after(log: str, moment: datetime) -> datetime | None:
    """When the worker whose log this is (services.notify.queue.consumer) started consuming after `moment`."""
    for line in log.splitlines():
        if "consuming notify.deliveries" in line:
            logged = datetime.strptime(" ".join(line.split()[1:3]), "%Y-%m-%d %H:%M:%S,%f")
            if logged > moment:
                return logged
    return None


def assert_nothing_lost(fan_out: FanOut, messages: list[dict]) -> None:
    """Every delivery recorded whole, once: its status, its settled ledger key, its history; and the sandbox
    asked for every SMS and email at least once."""
    with fan_out.engine.connect() as connection:
        statuses = Counter(connection.execute(select(deliveries.c.channel, deliveries.c.status)).all())
        ledger = Counter(connection.execute(select(send_ledger.c.channel, send_ledger.c.state)).all())
        recorded = Counter(connection.execute(
            select(delivery_events.c.status).select_from(delivery_events).join(
                deliveries, deliveries.c.id == delivery_events.c.delivery_id)).scalars())
        state = connection.execute(select(communications.c.state)).scalar()
    assert statuses == {("sms", "sent"): RECIPIENTS, ("email", "sent"): RECIPIENTS, ("app", "delivered"): RECIPIENTS}
    assert ledger == {("sms", "sent"): RECIPIENTS, ("email", "sent"): RECIPIENTS}, "a ledger key left unsettled"
    assert partial_records(fan_out) == 0 and recorded["sent"] >= 2 * RECIPIENTS, "a delivery without its history"
    assert state == "completed"
    assert workers_of.queue_depth(fan_out.amqp_uri, *WORK_QUEUES) == 0
    assert never_asked(fan_out, messages) == 0, "deliveries never reached the provider"


def partial_records(fan_out: FanOut) -> int:
    """Deliveries whose status was written without its history (no event of that status), and ledger keys
    never settled."""
    with fan_out.engine.connect() as connection:
        without_history = connection.execute(select(func.count()).select_from(deliveries).where(
            ~select(delivery_events.c.id).where(delivery_events.c.delivery_id == deliveries.c.id,
                                                delivery_events.c.status == deliveries.c.status).exists())).scalar()
        unsettled = connection.execute(select(func.count()).select_from(send_ledger).where(
            send_ledger.c.state != "sent")).scalar()
    return without_history + unsettled


def never_asked(fan_out: FanOut, messages: list[dict]) -> int:
    """SMS and emails of the fan-out the sandbox was never asked to send: lost."""
    asked = {(message["channel"], message["to"].lower()) for message in messages}
    expected = {(row.channel.value, row.address.lower()) for row in fan_out.rows if row.channel is not Channel.APP}
    return len(expected - asked)


def test_a_worker_killed_five_times_mid_fan_out_loses_nothing_and_repeats_one_request_per_kill(
        rabbit_config, migrated_pg_url, tmp_path, chaos_figures):
    database_url = migrated_pg_url("notify")
    kills = []
    with running_fan_out(rabbit_config["AMQP_URI"], database_url, tmp_path) as fan_out:
        workers = [fan_out.start_worker("worker-1"), fan_out.start_worker("worker-2")]
        for kill in range(1, KILLS + 1):
            # Spread over the SMS, which go one provider request each: every kill lands mid-page.
            fan_out.wait_for_sends(kill * RECIPIENTS // (KILLS + 2))
            doomed = workers.pop(0)
            doomed.kill()
            kills.append(fan_out.sent())
            workers.append(fan_out.start_worker(f"worker-{kill + 2}"))
        elapsed = fan_out.wait_until_done()
        messages = fan_out.sandbox.client.messages()
        exit_codes = [worker.terminate() for worker in workers]

    repeated = repeats(messages)
    chaos_figures(f"{len(kills)} kill -9 at {kills} SMS sent; fan-out of {len(fan_out.rows)} deliveries done in "
                  f"{elapsed:.1f} s; lost {never_asked(fan_out, messages)}; repeated provider requests "
                  f"{repeated.total_requests} "
                  f"(by channel {dict(repeated.requests)}; messages {dict(repeated.messages)})")
    assert_nothing_lost(fan_out, messages)
    assert repeated.total_requests <= len(kills), "more than one repeated provider request per kill"
    assert repeated.most_copies <= 2
    assert exit_codes == [0, 0]


def test_broker_connections_closed_mid_fan_out_every_worker_consumes_again_within_30_s(
        rabbit_config, rabbit_manager, migrated_pg_url, tmp_path, chaos_figures):
    database_url = migrated_pg_url("notify")
    vhost = rabbit_config["vhost"]
    with running_fan_out(rabbit_config["AMQP_URI"], database_url, tmp_path) as fan_out:
        fan_out.sandbox.client.set_provider_latency(PROVIDER_LATENCY_SECONDS)
        workers = [fan_out.start_worker("worker-1"), fan_out.start_worker("worker-2")]
        fan_out_queues = [work_queue(channel) for channel in (Channel.SMS, Channel.EMAIL, Channel.APP)]
        both_consuming = lambda: all(count == len(workers)  # noqa: E731
                                     for count in consumers_by_queue(rabbit_manager, vhost, fan_out_queues).values())
        wait_until(both_consuming, timeout=FAN_OUT_SECONDS, what="both workers consuming")
        # One worker alone loses the broker first: its jobs go to the other while it may still be sending.
        fan_out.wait_for_sends(RECIPIENTS // 6)
        alone_at = datetime.now()
        [alone] = close_vhost_connections(rabbit_manager, vhost, only=1)
        wait_until(lambda: any(consuming_after(worker.log(), alone_at) for worker in workers),
                   timeout=RESUME_BOUND_SECONDS, what="the worker that lost the broker to consume again")
        fan_out.wait_for_sends(RECIPIENTS // 3)

        # Both workers' connections listed (the one that reconnected too) before they all go.
        closed = close_vhost_connections(rabbit_manager, vhost, at_least=len(workers), closed_before=[alone])
        faulted_at, faulted, sent_at_fault = datetime.now(), time.monotonic(), fan_out.sent()
        # Sending resumes: SMS beyond the pages the two jobs in hand at the fault could finish.
        wait_until(lambda: fan_out.sent() > sent_at_fault + 2 * PAGE_SIZES[Channel.SMS], every=0.05,
                   timeout=RESUME_BOUND_SECONDS, what="sending to resume")
        sending_again = time.monotonic() - faulted
        # Each worker says when it consumes again; the broker's own count of consumers lags by its
        # statistics interval (5 s), so it only confirms.
        wait_until(lambda: all(consuming_after(worker.log(), faulted_at) for worker in workers),
                   timeout=RESUME_BOUND_SECONDS, what="every worker to consume again")
        consuming_again = max((consuming_after(worker.log(), faulted_at) - faulted_at).total_seconds()
                              for worker in workers)
        wait_until(both_consuming, timeout=RESUME_BOUND_SECONDS, what="the broker to count every consumer again")
        elapsed = fan_out.wait_until_done()
        messages = fan_out.sandbox.client.messages()
        exit_codes = [worker.terminate() for worker in workers]
        reconnects = [worker.log().count("reconnecting in") for worker in workers]

    repeated = repeats(messages)
    chaos_figures(f"closed one worker's connection, then all {len(closed)} of the vhost at {sent_at_fault} SMS "
                  f"sent; every worker "
                  f"consuming again within {consuming_again:.1f} s, sending again after {sending_again:.1f} s "
                  f"(bound {RESUME_BOUND_SECONDS:.0f} s); reconnects logged {reconnects}; fan-out done in "
                  f"{elapsed:.1f} s; lost {never_asked(fan_out, messages)}; repeated provider requests "
                  f"{repeated.total_requests} "
                  f"(messages {dict(repeated.messages)})")
    assert_nothing_lost(fan_out, messages)
    assert consuming_again <= RESUME_BOUND_SECONDS and sending_again <= RESUME_BOUND_SECONDS
    assert all(count >= 1 for count in reconnects), "a worker did not say it reconnected"
    assert repeated.total_requests <= 2, "more than one repeated provider request per fault"
    assert repeated.most_copies <= 2
    assert exit_codes == [0, 0]


def test_database_backends_terminated_mid_fan_out_the_run_resumes_with_no_partial_record(
        rabbit_config, migrated_pg_url, tmp_path, chaos_figures):
    application_name = f"chaos-{uuid.uuid4().hex[:12]}"
    database_url = migrated_pg_url("notify")
    workers_url = with_application_name(database_url, application_name)
    terminated = []
    with running_fan_out(rabbit_config["AMQP_URI"], database_url, tmp_path,
                         workers_database_url=workers_url) as fan_out:
        workers = [fan_out.start_worker("worker-1"), fan_out.start_worker("worker-2")]
        for fault in range(1, 4):
            fan_out.wait_for_sends(fault * RECIPIENTS // 4)
            terminated.append(terminate_backends(database_url, application_name))
        elapsed = fan_out.wait_until_done()
        messages = fan_out.sandbox.client.messages()
        exit_codes = [worker.terminate() for worker in workers]
        retried = sum(worker.log().count("again in") for worker in workers)

    repeated = repeats(messages)
    chaos_figures(f"terminated {terminated} worker backends at 1/4, 2/4, 3/4 of the SMS; writes tried again "
                  f"{retried} times; fan-out done in {elapsed:.1f} s; lost {never_asked(fan_out, messages)}; "
                  f"partial records {partial_records(fan_out)}; repeated provider requests "
                  f"{repeated.total_requests} (messages {dict(repeated.messages)})")
    assert_nothing_lost(fan_out, messages)
    assert sum(terminated) > 0, "no backend of the workers was there to terminate"
    assert repeated.most_copies <= 2
    assert exit_codes == [0, 0]

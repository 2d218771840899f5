"""Chaos: 1,000 deliveries' status webhooks, shuffled and each sent 10 times, by several callers at once, while
PostgreSQL terminates the callers' backends every 2 s.

Twilio status callbacks (one report a request) and SendGrid event batches (any mix of deliveries, any
batch size) arrive in one shuffled stream, applied on PostgreSQL by concurrent callers in two ways: one post
at a time through notify's receive_provider_webhook, and as the webhook queue hands them over, verified as
the gateway verifies them and applied hundreds at a time (apply_webhook_batch; a batch meeting a database
fault is applied again whole, as the queue's consumer does). Each delivery's true history is
drawn first (delivered, a failure, a SendGrid bounce after delivered, a complaint after delivered, a
Twilio undelivered after delivered, no ending yet); then every final state must be what
domain/report_order.py says that history ends in, each failure fell back exactly once, a soft failure is
counted once however often it was reported, and a watcher reading every status while the stream runs
never sees one step back. A webhook that meets a terminated backend is answered 503 (never anything else) and
posted again, as the providers do; what was stored but not applied is applied by the recovery timer. The
figures are printed (they show in CI's output).
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from services.notify.adapters.store import NotifyStore
from services.notify.adapters.tables import credential_health, deliveries, webhook_receipts
from services.notify.domain.delivery import STATUS_RANK, Channel, DeliveryStatus, NewDelivery
from services.notify.handlers_webhook_batches import apply_webhook_batch
from services.notify.handlers_webhooks import WebhookPorts, apply_unapplied_webhooks, receive_provider_webhook
from shared.contracts.errors import StorageUnavailable
from shared.database_faults import DATABASE_BUSY, DATABASE_UNREACHABLE, database_answers
from shared.db import make_engine
from shared.provider_signatures import refusal
from tests.integration.notify.notify_service_world import NOW, Published, RecordedJobs, add_people, make_person
from tests.integration.notify.signed_webhooks import Signer, sendgrid_event

pytestmark = [pytest.mark.chaos, pytest.mark.postgres]

DELIVERIES = 1_000
REPEATS = 10
CALLERS = 8
# Three deliveries in ten are SMS: a Twilio callback carries one report, a SendGrid batch up to 100, and the
# test stays within a minute or so on a small box.
SMS_IN_TEN = 3
SEED = 15
COMMUNICATIONS = 10
# The callers' PostgreSQL backends are terminated this often while the stream runs: a webhook meeting it is
# answered 503 and posted again, as a provider does.
TERMINATE_EVERY = 2.0
# The most posts the queue's consumer applies in one transaction (adapters/webhook_batches.MAX_BATCH); each batch
# here takes a random number of them up to this.
MAX_BATCH = 500
ONE_AT_A_TIME, IN_BATCHES = "one post per call", "batches off the queue"

# A history's name: what the provider says, in true order, and the ending it means (status, credential state).
TWILIO_HISTORIES = {
    "delivered": ([("sent", None), ("delivered", None)], "delivered", None),
    "handset unreachable": ([("sent", None), ("undelivered", "30003")], "fell_back", "good"),
    "landline": ([("sent", None), ("failed", "30006")], "fell_back", "bad"),
    # Its undelivered arrives after delivered was applied: in the second wave (LATE).
    "undelivered after delivered": ([("sent", None), ("delivered", None), ("undelivered", "30003")], "delivered",
                                    None),
    "no ending yet": ([("queued", None), ("sent", None)], "sent", None),
}
SENDGRID_HISTORIES = {
    "delivered": (["processed", "delivered"], "delivered", None),
    "deferred, then delivered": (["processed", "deferred", "delivered"], "delivered", None),
    "bounced": (["processed", "bounce"], "fell_back", "bad"),
    "bounce after delivered": (["processed", "delivered", "bounce"], "fell_back", "bad"),
    "complaint after delivered": (["processed", "delivered", "spamreport"], "delivered", "bad"),
    "no ending yet": (["processed", "deferred"], "sent", None),
}
TWILIO_WEIGHTS = [60, 12, 10, 10, 8]
# Twilio's callbacks carry no time: its rule is about arrival (the first ending stands), so a failure *after*
# delivered is sent once the first wave is applied; SendGrid's rule holds in any order, so its late bounce is
# shuffled in with the rest.
LATE = {"undelivered after delivered": 2}
SENDGRID_WEIGHTS = [50, 10, 12, 10, 10, 8]


@dataclass(frozen=True)
class Truth:
    delivery_id: str
    channel: Channel
    address: str
    history: str
    status: str
    credential: str | None  # None: no mark on it (no row, or good)


def report_figures(capsys, title: str, figures: dict) -> None:
    with capsys.disabled():
        print(f"\n--- {title} ---")
        for name, value in figures.items():
            print(f"  {name}: {value}")


@pytest.fixture
def engine(notify_database_url):
    engine = make_engine(notify_database_url, pool_size=CALLERS + 2)
    yield engine
    engine.dispose()


@pytest.fixture
def callers_engine(notify_database_url):
    """The callers' connections, named so the terminator ends only theirs (the server is shared)."""
    name = f"webhook-chaos-{uuid.uuid4().hex[:12]}"
    engine = make_engine(f"{notify_database_url}&application_name={name}", pool_size=CALLERS + 2)
    yield engine, name
    engine.dispose()


class Terminator:
    """Has PostgreSQL terminate the callers' backends every TERMINATE_EVERY seconds while the stream runs."""

    def __init__(self, engine, application_name: str):
        self.engine, self.name = engine, application_name
        self.rounds = self.backends = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(TERMINATE_EVERY):
            with self.engine.connect() as connection:
                self.backends += connection.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": self.name}).scalar()
                connection.commit()
            self.rounds += 1


def build_world(engine, rng: random.Random) -> list[Truth]:
    """1,000 people with an email and a mobile each; one delivery each (SMS or email), already sent."""
    people = [make_person(f"p{n:04d}", "Pat", f"Doe{n}", email=f"p{n:04d}@example.org",
                          mobile_phone=f"+1555{n:07d}") for n in range(DELIVERIES)]
    add_people(engine, people)
    session = Session(engine, expire_on_commit=False)
    store = NotifyStore(session)
    truths = []
    per_communication = DELIVERIES // COMMUNICATIONS
    for c in range(COMMUNICATIONS):
        communication_id = store.deliveries.create_communication(district_id="district-1", kind="announcement",
                                                                 subject="Snow day", body="Closed.", now=NOW)
        rows = []
        for person in people[c * per_communication:(c + 1) * per_communication]:
            channel = Channel.SMS if int(person["person_id"][1:]) % 10 < SMS_IN_TEN else Channel.EMAIL
            address = person["mobile_phone"] if channel is Channel.SMS else person["email"]
            rows.append(NewDelivery(person["person_id"], channel, address))
        ids = store.deliveries.create_deliveries(communication_id, rows, now=NOW)
        store.deliveries.mark_queued(ids, now=NOW)
        store.deliveries.mark_communication_queued(communication_id, now=NOW)
        for delivery_id, row in zip(ids, rows):
            histories, weights = ((TWILIO_HISTORIES, TWILIO_WEIGHTS) if row.channel is Channel.SMS
                                  else (SENDGRID_HISTORIES, SENDGRID_WEIGHTS))
            name = rng.choices(list(histories), weights)[0]
            _, status, credential = histories[name]
            truths.append(Truth(delivery_id, row.channel, row.address, name, status, credential))
    with engine.begin() as connection:
        connection.execute(update(deliveries).where(deliveries.c.id.in_([t.delivery_id for t in truths]))
                           .values(status="sent", provider_message_id=deliveries.c.id, attempts=1))
    session.close()
    return truths


def webhook_stream(truths: list[Truth], signer: Signer, rng: random.Random,
                   now: datetime) -> tuple[list, list, int]:
    """Every report REPEATS times, shuffled: Twilio one a request, SendGrid events in batches of 1-100; the
    second wave holds the Twilio failures that arrive after delivered."""
    requests, late, events = [], [], []
    for truth in truths:
        if truth.channel is Channel.SMS:
            steps = TWILIO_HISTORIES[truth.history][0]
            cut = LATE.get(truth.history, len(steps))
            callbacks = [signer.twilio_status(truth.delivery_id, f"SM{truth.delivery_id}", status, error_code=code,
                                              to=truth.address) for status, code in steps]
            requests += callbacks[:cut] * REPEATS
            late += callbacks[cut:] * REPEATS
        else:
            steps = SENDGRID_HISTORIES[truth.history][0]
            extra = {"bounce": {"type": "bounce", "reason": "550 5.1.1 no such user"}}
            events += [sendgrid_event(truth.delivery_id, truth.delivery_id, name, now - timedelta(minutes=30 - step),
                                      **extra.get(name, {})) for step, name in enumerate(steps)] * REPEATS
    rng.shuffle(events)
    while events:
        size = rng.randint(1, 100)
        batch, events = events[:size], events[size:]
        requests.append(signer.sendgrid_events(batch, signed_at=now))
    rng.shuffle(requests)
    rng.shuffle(late)
    return requests, late, sum(len(steps) for steps in (
        (TWILIO_HISTORIES if t.channel is Channel.SMS else SENDGRID_HISTORIES)[t.history][0] for t in truths))


class StatusWatcher:
    """Reads every delivery's status over and over while the stream runs; counts any step back."""

    def __init__(self, engine, ids: list[str]):
        self.engine, self.ids = engine, ids
        self.last: dict[str, str] = {}
        self.reads = 0
        self.steps_back: list[tuple[str, str, str]] = []
        self.overturned: set[str] = set()
        self.done = threading.Event()

    def watch(self) -> None:
        while not self.done.is_set():
            self.read()
            eventlet.sleep(0.05)
        self.read()

    def read(self) -> None:
        with self.engine.connect() as connection:
            now = dict(connection.execute(select(deliveries.c.id, deliveries.c.status)
                                          .where(deliveries.c.id.in_(self.ids))).all())
        self.reads += 1
        for delivery_id, status in now.items():
            before = self.last.get(delivery_id)
            if before is None or before == status:
                continue
            if before == "delivered" and status in ("failed", "fell_back"):
                self.overturned.add(delivery_id)  # report_order: SendGrid's bounce after delivered
            elif STATUS_RANK[DeliveryStatus(status)] <= STATUS_RANK[DeliveryStatus(before)]:
                self.steps_back.append((delivery_id, before, status))
        self.last = now


@pytest.mark.parametrize("intake", [ONE_AT_A_TIME, IN_BATCHES])
def test_a_thousand_deliveries_webhooks_shuffled_and_repeated_end_right_and_never_step_back(engine, callers_engine,
                                                                                             capsys, intake):
    rng = random.Random(SEED)
    truths = build_world(engine, rng)
    signer = Signer()
    now = datetime.now(timezone.utc)
    first_wave, second_wave, true_reports = webhook_stream(truths, signer, rng, now)
    requests = first_wave + second_wave
    jobs = RecordedJobs()
    answers: Counter[str] = Counter()
    failures: list[BaseException] = []

    def ports_on(bound_engine, clock) -> tuple[Session, WebhookPorts]:
        session = Session(bound_engine, expire_on_commit=False)
        store = NotifyStore(session)
        return session, WebhookPorts(webhooks=store.webhooks, deliveries=store.deliveries,
                                     credentials=store.credentials, jobs=jobs, publish=Published(), clock=clock)

    def caller(pending: list) -> None:
        session, ports = ports_on(callers_engine[0], lambda: datetime.now(timezone.utc))
        try:
            while pending:
                if intake == IN_BATCHES:
                    take_a_batch(pending, ports)
                    continue
                request = pending.pop()
                try:
                    # As notify's entrypoint does: a database fault is a 503, which the provider posts again.
                    with database_answers("notify", "a webhook"):
                        answer = receive_provider_webhook(request, secrets=signer.secrets, ports=ports)
                except StorageUnavailable as unavailable:
                    answers[f"503 {unavailable.fields['database'][0]}, posted again"] += 1
                    pending.insert(0, request)
                    continue
                answers["accepted" if answer["accepted"] else answer.get("refused", "refused")] += 1
        except BaseException as failure:  # noqa: BLE001 — reported by the test, never swallowed
            failures.append(failure)
        finally:
            session.close()

    def take_a_batch(pending: list, ports: WebhookPorts) -> None:
        """As the gateway verifies and the queue's consumer applies: unacknowledged after a fault, so again."""
        batch = [pending.pop() for _ in range(min(len(pending), rng.randint(1, MAX_BATCH)))]
        received_at = datetime.now(timezone.utc)
        verified = []
        for request in batch:
            headers = {name.lower(): value for name, value in request["headers"].items()}
            refused = refusal(request["kind"], request["url"], headers, request["body"], signer.secrets, received_at)
            answers["accepted" if refused is None else refused] += 1
            verified.append({"kind": request["kind"], "url": request["url"], "body": request["body"],
                             "received_at": received_at})
        try:
            with database_answers("notify", "a batch of webhooks"):
                apply_webhook_batch(verified, ports=ports)
        except StorageUnavailable as unavailable:
            answers[f"batch met {unavailable.fields['database'][0]}, applied again"] += 1
            pending[0:0] = batch
            answers["accepted"] -= len(batch)

    def wave(requests: list) -> None:
        pending = list(requests)
        for running in [pool.spawn(caller, pending) for _ in range(CALLERS)]:
            running.wait()

    watcher = StatusWatcher(engine, [truth.delivery_id for truth in truths])
    terminator = Terminator(engine, callers_engine[1])
    pool = eventlet.GreenPool(CALLERS + 2)
    started = time.monotonic()
    watching, terminating = pool.spawn(watcher.watch), pool.spawn(terminator.run)
    wave(first_wave)
    wave(second_wave)
    elapsed = time.monotonic() - started
    terminator.done.set()
    terminating.wait()
    # notify's recovery timer: receipts stored when applying them failed are applied again.
    session, timer_ports = ports_on(engine, lambda: datetime.now(timezone.utc) + timedelta(minutes=2))
    applied_by_timer = 0
    while applied := apply_unapplied_webhooks(ports=timer_ports):
        applied_by_timer += applied
    session.close()
    watcher.done.set()
    watching.wait()

    with engine.connect() as connection:
        final = {row.id: row for row in connection.execute(select(deliveries))}
        health = {(row.kind, row.address): row for row in connection.execute(select(credential_health))}
        fallbacks = Counter(row.fallback_of for row in final.values() if row.fallback_of is not None)
        receipts = connection.execute(select(func.count()).select_from(
            webhook_receipts)).scalar()
    wrong = []
    for truth in truths:
        row = final[truth.delivery_id]
        kind = "email" if truth.channel is Channel.EMAIL else "mobile_phone"
        mark = health.get((kind, truth.address))
        state = mark.state if mark is not None and mark.state != "good" else None
        expected_state = truth.credential if truth.credential != "good" else None
        falls_back = 1 if truth.status == "fell_back" else 0
        soft = mark.soft_failures if mark is not None else 0
        expected_soft = 1 if truth.history == "handset unreachable" else 0
        if (row.status, state, fallbacks[truth.delivery_id], soft) != (truth.status, expected_state, falls_back,
                                                                       expected_soft):
            wrong.append((truth.history, truth.channel.value, row.status, state, fallbacks[truth.delivery_id], soft))
    twilio_requests = sum(1 for request in requests if request["kind"] == "twilio_status")
    report_figures(capsys, f"webhook chaos: shuffled, repeated, concurrent ({intake})", {
        "deliveries": f"{DELIVERIES} ({sum(t.channel is Channel.SMS for t in truths)} SMS, "
                      f"{sum(t.channel is Channel.EMAIL for t in truths)} email)",
        "true reports": true_reports,
        "reports delivered": f"{true_reports * REPEATS} ({REPEATS}x each), shuffled",
        "requests": f"{len(requests)} ({twilio_requests} Twilio callbacks, "
                    f"{len(requests) - twilio_requests} SendGrid batches of 1-100 events); "
                    f"{len(second_wave)} of them Twilio failures after delivered, once it was applied",
        "callers at once": CALLERS,
        "backend terminations": f"{terminator.backends} backends in {terminator.rounds} rounds, one every "
                                f"{TERMINATE_EVERY:g} s",
        "receipts applied later by the recovery timer": applied_by_timer,
        "answers": dict(answers),
        "receipts stored": receipts,
        "elapsed": f"{elapsed:.1f} s ({len(requests) / elapsed:.0f} requests/s)",
        "histories": dict(Counter(f"{t.channel.value}: {t.history}" for t in truths)),
        "final statuses": dict(Counter(final[t.delivery_id].status for t in truths)),
        "fallbacks created": f"{sum(fallbacks.values())} (queued: {sum(len(job.delivery_ids) for job in jobs)})",
        "credentials marked bad": sum(1 for row in health.values() if row.state == "bad"),
        "status reads while running": f"{watcher.reads} of all {DELIVERIES}",
        "steps back seen": len(watcher.steps_back),
        "delivered overturned by a SendGrid bounce (seen while running)": len(watcher.overturned),
        "wrong final states": len(wrong),
    })
    assert failures == []
    assert answers["accepted"] == len(requests) and set(answers) <= {"accepted"} | {
        f"503 {fault}, posted again" for fault in (DATABASE_UNREACHABLE, DATABASE_BUSY)} | {
        f"batch met {fault}, applied again" for fault in (DATABASE_UNREACHABLE, DATABASE_BUSY)}
    assert wrong == []
    assert watcher.steps_back == []
    # The one move out of delivered: SendGrid's later bounce, and only where the true history had one.
    late_bounces = {t.delivery_id for t in truths if t.history == "bounce after delivered"}
    assert watcher.overturned <= late_bounces
    assert sum(fallbacks.values()) == sum(t.status == "fell_back" for t in truths)

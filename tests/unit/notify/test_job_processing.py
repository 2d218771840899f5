"""Processing one delivery job with in-memory fakes: the ledger, verdicts, retries, fallbacks."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from services.notify.domain.delivery import (
    CREDENTIAL_OF_CHANNEL,
    STATUS_RANK,
    Channel,
    Communication,
    CredentialKind,
    CredentialState,
    DeliveryStatus,
    OutboundMessage,
    Outcome,
    ProviderReceipt,
    advanced_status,
)
from services.notify.domain.planner import PlanRequest
from services.notify.domain.retry import RetryPolicy
from services.notify.queue.jobs import DeliveryJob
from services.notify.queue.publisher import DelayedJob
from services.notify.ports import (
    CommunicationContent,
    FallbackContext,
    HealthChange,
    JobPage,
    JobRecord,
    LedgerAction,
    PageDelivery,
)
from services.notify.worker.process_job import AnswersNotKept, JobAbandoned, PoisonJob, process_job
from tests.unit.notify.planner_builders import make_recipient

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
POLICY = RetryPolicy(max_attempts=3, base_seconds=4.0, cap_seconds=60.0)
COMMUNICATION = CommunicationContent("comm-1", "district-1", Communication.ANNOUNCEMENT, "Snow day",
                                     "School is closed today.", priority=False, with_call=False)


def make_delivery(**overrides) -> PageDelivery:
    delivery = {"id": "d-1", "person_id": "person-1", "channel": Channel.EMAIL, "address": "dennis@example.org",
                "label": None, "status": DeliveryStatus.QUEUED, "attempts": 0}
    return PageDelivery(**{**delivery, **overrides})


class FakeDeliveryStore:
    """The DeliveryStore contract in memory: one communication, its deliveries, ledger and credentials."""

    def __init__(self, deliveries: Iterable[PageDelivery], *, recipients=(), communication=COMMUNICATION):
        self.communication = communication
        self.deliveries = {delivery.id: delivery for delivery in deliveries}
        self.recipients = {recipient.person_id: recipient for recipient in recipients}
        self.ledger: dict[tuple[str, Channel], tuple[str, str]] = {}  # key -> (state, job id)
        self.answers: dict[tuple[str, Channel], ProviderReceipt] = {}  # the receipts of 'answered' keys
        self.credentials: dict[tuple[CredentialKind, str], tuple[CredentialState, str | None, int]] = {}
        self.inbox: set[str] = set()
        self.records: list[JobRecord] = []
        self.fallback_of: dict[str, str] = {}

    def load_page(self, job: DeliveryJob) -> JobPage:
        if self.communication is None or job.communication_id != self.communication.id:
            return JobPage(None, ())
        page = tuple(self._with_health(self.deliveries[i]) for i in job.delivery_ids
                     if i in self.deliveries and self.deliveries[i].channel is job.channel)
        unqueued = tuple((d.id, d.channel) for d in self.deliveries.values()
                         if d.status is DeliveryStatus.PLANNED and self.fallback_of.get(d.id) in job.delivery_ids)
        return JobPage(self.communication, page, unqueued)

    def claim_sends(self, communication_id, channel, deliveries, *, job_id, now) -> set[str]:
        claimed = set()
        for delivery in deliveries:
            key = (delivery.person_id, channel)
            held = self.ledger.get(key)
            if held is None or held == ("sending", job_id):
                self.ledger[key] = ("sending", job_id)
                claimed.add(delivery.id)
        return claimed

    def record_answers(self, communication_id, channel, answers, *, job_id, now) -> None:
        for person_id, receipt in answers.items():
            if self.ledger.get((person_id, channel)) == ("sending", job_id):
                self.ledger[(person_id, channel)] = ("answered", job_id)
                self.answers[(person_id, channel)] = receipt

    def answered_sends(self, communication_id, channel, deliveries, *, job_id) -> dict[str, ProviderReceipt]:
        return {delivery.id: self.answers[(delivery.person_id, channel)] for delivery in deliveries
                if self.ledger.get((delivery.person_id, channel)) == ("answered", job_id)}

    def deliver_to_inbox(self, communication_id, deliveries, *, now) -> int:
        new = {d.person_id for d in deliveries} - self.inbox
        self.inbox |= new
        for delivery in deliveries:
            self._advance(delivery.id, DeliveryStatus.DELIVERED)
        return len(new)

    def load_fallback_context(self, communication, person_ids) -> FallbackContext:
        used: dict[str, set[Channel]] = {}
        for delivery in self.deliveries.values():
            used.setdefault(delivery.person_id, set()).add(delivery.channel)
        recipients = {}
        for person_id in person_ids:
            if person_id in self.recipients:
                recipient = self.recipients[person_id]
                recipients[person_id] = replace(
                    recipient, email_state=self._state(CredentialKind.EMAIL, recipient.email),
                    mobile_state=self._state(CredentialKind.MOBILE_PHONE, recipient.mobile_phone))
        return FallbackContext(PlanRequest(communication.kind), recipients,
                               {person: frozenset(channels) for person, channels in used.items()})

    def record_job(self, record: JobRecord, *, now) -> list[tuple[str, Channel]]:
        self.records.append(record)
        created = []
        taken = {(d.person_id, d.channel) for d in self.deliveries.values()}
        for number, fallback in enumerate(record.fallbacks):
            if (fallback.person_id, fallback.channel) in taken:
                continue
            fallback_id = f"{fallback.failed_delivery_id}-fallback-{number}"
            self.deliveries[fallback_id] = make_delivery(
                id=fallback_id, person_id=fallback.person_id, channel=fallback.channel, address=fallback.address,
                label=fallback.label, status=DeliveryStatus.PLANNED)
            self.fallback_of[fallback_id] = fallback.failed_delivery_id
            created.append((fallback_id, fallback.channel))
        replaced = {self.fallback_of[fallback_id] for fallback_id, _ in created}
        for result in record.results:
            status = DeliveryStatus.FELL_BACK if result.delivery_id in replaced else result.status
            self._advance(result.delivery_id, status, attempted=result.attempted)
            key = (result.person_id, record.channel)
            if result.ledger is LedgerAction.MARK_SENT:
                self.ledger[key] = ("sent", self.ledger[key][1])
            elif result.ledger is LedgerAction.RELEASE:
                del self.ledger[key]
                self.answers.pop(key, None)
        for change in record.credentials:
            state, reason, soft = self.credentials.get((change.kind, change.address), (CredentialState.GOOD, None, 0))
            if change.change is HealthChange.SOFT_FAILURE:
                soft += 1
            elif change.change is not HealthChange.DELIVERED:
                state, reason = CredentialState(change.change.value), change.reason
            self.credentials[(change.kind, change.address)] = (state, reason, soft)
        return created

    def mark_queued(self, delivery_ids, *, now) -> None:
        for delivery_id in delivery_ids:
            self._advance(delivery_id, DeliveryStatus.QUEUED)

    def status(self, delivery_id: str) -> DeliveryStatus:
        return self.deliveries[delivery_id].status

    def _advance(self, delivery_id: str, status: DeliveryStatus, *, attempted: bool = False) -> None:
        delivery = self.deliveries[delivery_id]
        self.deliveries[delivery_id] = replace(delivery, status=advanced_status(delivery.status, status),
                                               attempts=delivery.attempts + int(attempted))

    def _with_health(self, delivery: PageDelivery) -> PageDelivery:
        kind = CREDENTIAL_OF_CHANNEL.get(delivery.channel)
        state, reason, _ = self.credentials.get((kind, delivery.address), (CredentialState.GOOD, None, 0))
        return replace(delivery, credential_state=state, credential_reason=reason)

    def _state(self, kind: CredentialKind, address: str | None) -> CredentialState:
        return self.credentials.get((kind, address), (CredentialState.GOOD, None, 0))[0]


class WorkerKilled(BaseException):
    """kill -9 in a unit test: nothing after it runs (no except Exception catches it)."""


class FakeChannel:
    """Answers by address (ACCEPTED unless told otherwise) and remembers what was in the ledger at the call.

    `per_request`: messages per provider request (Twilio: 1; the whole batch by default, as SendGrid);
    `dies_after_requests`: the worker dies once the provider took that many requests, before the last answer."""

    def __init__(self, channel: Channel, store: FakeDeliveryStore, *, max_batch: int = 1000,
                 outcomes: dict[str, Outcome] | None = None, fails_with: Exception | None = None,
                 per_request: int | None = None, dies_after_requests: int | None = None):
        self.channel = channel
        self.max_batch = max_batch
        self.store = store
        self.outcomes = outcomes or {}
        self.fails_with = fails_with
        self.per_request = per_request
        self.dies_after_requests = dies_after_requests
        self.sent: list[OutboundMessage] = []
        self.ledger_at_send: list[dict] = []
        self.ledger_at_request: list[dict] = []

    def send(self, messages: Sequence[OutboundMessage], answered=None) -> list[ProviderReceipt]:
        assert len(messages) <= self.max_batch
        self.ledger_at_send.append(dict(self.store.ledger))
        if self.fails_with is not None:
            raise self.fails_with
        receipts = []
        size = self.per_request or len(messages)
        for start in range(0, len(messages), size):
            request = messages[start:start + size]
            self.ledger_at_request.append(dict(self.store.ledger))
            self.sent.extend(request)
            if self.dies_after_requests is not None and len(self.ledger_at_request) >= self.dies_after_requests:
                raise WorkerKilled()
            answers = [ProviderReceipt(m.delivery_id, self.outcomes.get(m.to, Outcome.ACCEPTED), f"msg-{m.delivery_id}",
                                       reason="provider says so" if m.to in self.outcomes else None) for m in request]
            if answered is not None:
                answered(answers)
            receipts += answers
        return receipts


class FakeFollowUps:
    def __init__(self):
        self.jobs: list[DeliveryJob] = []
        self.delayed: list[DelayedJob] = []
        self.dead_letters: list = []

    def publish_jobs(self, jobs) -> None:
        self.jobs.extend(jobs)

    def publish_dead_letter(self, message) -> None:
        self.dead_letters.append(message)

    def publish_later(self, delayed) -> None:
        self.delayed.extend(delayed)


def run(store: FakeDeliveryStore, job: DeliveryJob, *channels: FakeChannel, follow_ups: FakeFollowUps | None = None,
        job_id: str = "job-1", draw: float = 0.5, policy: RetryPolicy = POLICY):
    return process_job(job, job_id=job_id, deliveries=store, channels={c.channel: c for c in channels},
                       follow_ups=follow_ups or FakeFollowUps(), clock=lambda: NOW, draw=lambda: draw,
                       policy=policy)


def email_job(*ids: str) -> DeliveryJob:
    return DeliveryJob("comm-1", Channel.EMAIL, ids or ("d-1",))


def test_every_delivery_is_in_the_ledger_before_the_provider_is_called():
    store = FakeDeliveryStore([make_delivery(id=f"d-{n}", person_id=f"p-{n}", address=f"p{n}@example.org")
                               for n in range(3)])
    email = FakeChannel(Channel.EMAIL, store)

    summary = run(store, email_job("d-0", "d-1", "d-2"), email)

    assert email.ledger_at_send == [{(f"p-{n}", Channel.EMAIL): ("sending", "job-1") for n in range(3)}]
    assert summary.sent == 3
    assert {store.status(f"d-{n}") for n in range(3)} == {DeliveryStatus.SENT}


def test_the_provider_gets_pages_no_larger_than_its_batch():
    store = FakeDeliveryStore([make_delivery(id=f"d-{n}", person_id=f"p-{n}", channel=Channel.SMS,
                                             address=f"+1555555{n:04d}") for n in range(5)])
    sms = FakeChannel(Channel.SMS, store, max_batch=2)

    run(store, DeliveryJob("comm-1", Channel.SMS, tuple(f"d-{n}" for n in range(5))), sms)

    assert len(sms.ledger_at_send) == 3 and len(sms.sent) == 5


def test_a_redelivered_job_sends_nothing_the_ledger_has_as_sent():
    store = FakeDeliveryStore([make_delivery()])
    email = FakeChannel(Channel.EMAIL, store)
    run(store, email_job(), email)

    summary = run(store, email_job(), email)

    assert len(email.sent) == 1
    assert summary.skipped == 1 and summary.sent == 0


def test_a_job_killed_mid_send_sends_again_only_what_it_had_claimed_itself():
    store = FakeDeliveryStore([make_delivery(id="d-1", person_id="p-1"), make_delivery(id="d-2", person_id="p-2")])
    store.ledger[("p-1", Channel.EMAIL)] = ("sending", "job-1")  # this job died after claiming p-1
    store.ledger[("p-2", Channel.EMAIL)] = ("sending", "job-other")  # another job, perhaps alive, holds p-2
    email = FakeChannel(Channel.EMAIL, store)

    run(store, email_job("d-1", "d-2"), email, job_id="job-1")

    assert [message.delivery_id for message in email.sent] == ["d-1"]
    assert store.status("d-2") is DeliveryStatus.QUEUED


def sms_page(count: int) -> tuple[FakeDeliveryStore, DeliveryJob]:
    store = FakeDeliveryStore([make_delivery(id=f"d-{n}", person_id=f"p-{n}", channel=Channel.SMS,
                                             address=f"+1555555{n:04d}") for n in range(count)],
                              recipients=[make_recipient(person_id=f"p-{n}") for n in range(count)])
    return store, DeliveryJob("comm-1", Channel.SMS, tuple(f"d-{n}" for n in range(count)))


def test_each_provider_request_is_answered_in_the_ledger_before_the_next_request():
    store, job = sms_page(4)
    sms = FakeChannel(Channel.SMS, store, per_request=1)

    run(store, job, sms)

    answered = [sorted(person for (person, _), (state, _) in ledger.items() if state == "answered")
                for ledger in sms.ledger_at_request]
    assert answered == [[], ["p-0"], ["p-0", "p-1"], ["p-0", "p-1", "p-2"]]
    assert set(store.ledger.values()) == {("sent", "job-1")} and store.answers["p-3", Channel.SMS].provider_message_id


def test_a_job_killed_mid_page_sends_again_only_its_request_in_flight():
    store, job = sms_page(50)
    with pytest.raises(WorkerKilled):
        run(store, job, FakeChannel(Channel.SMS, store, per_request=1, dies_after_requests=20))
    again = FakeChannel(Channel.SMS, store, per_request=1)

    summary = run(store, job, again)

    assert [message.delivery_id for message in again.sent] == [f"d-{n}" for n in range(19, 50)]
    assert summary.sent == 50 and summary.skipped == 0
    assert {store.status(f"d-{n}") for n in range(50)} == {DeliveryStatus.SENT}
    assert set(store.ledger.values()) == {("sent", "job-1")}
    [record] = store.records
    assert {result.provider_message_id for result in record.results} == {f"msg-d-{n}" for n in range(50)}


def test_an_answer_kept_by_a_dead_run_is_judged_as_if_just_given():
    store, job = sms_page(1)
    store.ledger[("p-0", Channel.SMS)] = ("answered", "job-1")
    store.answers[("p-0", Channel.SMS)] = ProviderReceipt("d-0", Outcome.HARD_BOUNCE, "msg-0", "30006", "landline")
    sms = FakeChannel(Channel.SMS, store)
    follow_ups = FakeFollowUps()

    summary = run(store, job, sms, follow_ups=follow_ups)

    assert sms.sent == []
    assert store.credentials[(CredentialKind.MOBILE_PHONE, "+15555550000")][:2] == (CredentialState.BAD, "landline")
    assert store.status("d-0") is DeliveryStatus.FELL_BACK
    assert [job.channel for job in follow_ups.jobs] == [Channel.EMAIL] and summary.failed == 1


def test_an_answer_another_job_kept_is_left_to_that_job():
    store, job = sms_page(1)
    store.ledger[("p-0", Channel.SMS)] = ("answered", "job-other")
    store.answers[("p-0", Channel.SMS)] = ProviderReceipt("d-0", Outcome.ACCEPTED, "msg-0")
    sms = FakeChannel(Channel.SMS, store)

    summary = run(store, job, sms)

    assert sms.sent == [] and summary.skipped == 1
    assert store.status("d-0") is DeliveryStatus.QUEUED


def test_a_worker_that_lost_the_job_to_another_stops_after_the_answer_in_hand():
    store, job = sms_page(5)
    sms = FakeChannel(Channel.SMS, store, per_request=1)
    held = iter([True, False])

    with pytest.raises(JobAbandoned, match="stopped sending after 1 more sms answers"):
        process_job(job, job_id="job-1", deliveries=store, channels={Channel.SMS: sms}, follow_ups=FakeFollowUps(),
                    clock=lambda: NOW, draw=lambda: 0.5, policy=POLICY, still_held=lambda: next(held))

    assert [message.delivery_id for message in sms.sent] == ["d-0", "d-1"]
    assert [store.ledger[(f"p-{n}", Channel.SMS)][0] for n in range(5)] == ["answered"] * 2 + ["sending"] * 3
    assert store.records == []


class LedgerAway(FakeDeliveryStore):
    def record_answers(self, communication_id, channel, answers, *, job_id, now) -> None:
        raise OperationalError("UPDATE send_ledger ...", {}, Exception("terminating connection"))


def test_answers_the_ledger_cannot_take_stop_the_page_and_are_not_taken_for_a_provider_failure():
    store = LedgerAway([make_delivery(id=f"d-{n}", person_id=f"p-{n}", channel=Channel.SMS,
                                      address=f"+1555555{n:04d}") for n in range(3)])
    sms = FakeChannel(Channel.SMS, store, per_request=1)

    with pytest.raises(AnswersNotKept, match="1 sms answers of job job-1 could not be kept"):
        run(store, DeliveryJob("comm-1", Channel.SMS, ("d-0", "d-1", "d-2")), sms)

    assert len(sms.sent) == 1 and store.records == []
    # Still this job's claim: its next run sends the one request that went unrecorded, and the rest.
    assert set(store.ledger.values()) == {("sending", "job-1")}


def test_the_label_of_a_shared_mobile_opens_the_sms():
    store = FakeDeliveryStore([make_delivery(channel=Channel.SMS, address="+15555550101", label="For Dennis:")])
    sms = FakeChannel(Channel.SMS, store)

    run(store, DeliveryJob("comm-1", Channel.SMS, ("d-1",)), sms)

    assert sms.sent[0].body == "For Dennis: School is closed today."


def test_a_hard_bounce_marks_the_email_bad_and_falls_back_to_sms():
    store = FakeDeliveryStore([make_delivery()], recipients=[make_recipient(person_id="person-1")])
    email = FakeChannel(Channel.EMAIL, store, outcomes={"dennis@example.org": Outcome.HARD_BOUNCE})
    follow_ups = FakeFollowUps()

    summary = run(store, email_job(), email, follow_ups=follow_ups)

    assert store.credentials[(CredentialKind.EMAIL, "dennis@example.org")][:2] == (
        CredentialState.BAD, "provider says so")
    assert store.status("d-1") is DeliveryStatus.FELL_BACK
    [fallback_job] = follow_ups.jobs
    [fallback_id] = fallback_job.delivery_ids
    assert fallback_job.channel is Channel.SMS
    assert store.deliveries[fallback_id].address == "+15555550101"
    assert store.status(fallback_id) is DeliveryStatus.QUEUED  # its job was confirmed on the queue
    assert (summary.failed, summary.fell_back) == (1, 1)


def test_a_stop_reply_marks_the_mobile_opted_out_and_falls_back_to_email():
    store = FakeDeliveryStore([make_delivery(channel=Channel.SMS, address="+15555550101")],
                              recipients=[make_recipient(person_id="person-1")])
    sms = FakeChannel(Channel.SMS, store, outcomes={"+15555550101": Outcome.OPT_OUT})
    follow_ups = FakeFollowUps()

    run(store, DeliveryJob("comm-1", Channel.SMS, ("d-1",)), sms, follow_ups=follow_ups)

    assert store.credentials[(CredentialKind.MOBILE_PHONE, "+15555550101")][0] is CredentialState.OPTED_OUT
    assert [job.channel for job in follow_ups.jobs] == [Channel.EMAIL]


def test_a_permanent_failure_with_no_alternative_leaves_the_delivery_failed():
    store = FakeDeliveryStore([make_delivery()], recipients=[make_recipient(person_id="person-1", mobile_phone=None)])
    email = FakeChannel(Channel.EMAIL, store, outcomes={"dennis@example.org": Outcome.COMPLAINT})
    follow_ups = FakeFollowUps()

    run(store, email_job(), email, follow_ups=follow_ups)

    assert store.status("d-1") is DeliveryStatus.FAILED
    assert follow_ups.jobs == []


def test_a_transient_failure_releases_its_ledger_key_and_comes_back_after_a_jittered_backoff():
    store = FakeDeliveryStore([make_delivery()])
    email = FakeChannel(Channel.EMAIL, store, outcomes={"dennis@example.org": Outcome.TRANSIENT})
    follow_ups = FakeFollowUps()

    summary = run(store, email_job(), email, follow_ups=follow_ups, draw=0.25)

    assert follow_ups.delayed == [DelayedJob(email_job(), delay_seconds=0.25 * POLICY.ceiling(1))]
    assert ("person-1", Channel.EMAIL) not in store.ledger
    assert store.status("d-1") is DeliveryStatus.QUEUED and store.deliveries["d-1"].attempts == 1
    assert summary.retrying == 1


def test_the_retry_sends_again_what_the_provider_turned_away():
    store = FakeDeliveryStore([make_delivery()])
    flaky = FakeChannel(Channel.EMAIL, store, outcomes={"dennis@example.org": Outcome.SOFT_BOUNCE})
    run(store, email_job(), flaky)

    run(store, email_job(), FakeChannel(Channel.EMAIL, store), job_id="retry-job")

    assert store.status("d-1") is DeliveryStatus.SENT
    assert store.ledger[("person-1", Channel.EMAIL)] == ("sent", "retry-job")


def test_running_out_of_retries_fails_the_delivery_counts_a_soft_failure_and_falls_back():
    store = FakeDeliveryStore([make_delivery(attempts=POLICY.max_attempts - 1)],
                              recipients=[make_recipient(person_id="person-1")])
    email = FakeChannel(Channel.EMAIL, store, outcomes={"dennis@example.org": Outcome.SOFT_BOUNCE})
    follow_ups = FakeFollowUps()

    run(store, email_job(), email, follow_ups=follow_ups)

    assert follow_ups.delayed == []
    assert [job.channel for job in follow_ups.jobs] == [Channel.SMS]
    assert store.status("d-1") is DeliveryStatus.FELL_BACK
    assert store.credentials[(CredentialKind.EMAIL, "dennis@example.org")] == (CredentialState.GOOD, None, 1)
    [record] = store.records
    assert record.results[0].reason.startswith(f"gave up after {POLICY.max_attempts} attempts")


def test_a_provider_outage_is_retried_without_counting_against_anyones_credential():
    store = FakeDeliveryStore([make_delivery(attempts=POLICY.max_attempts - 1)],
                              recipients=[make_recipient(person_id="person-1")])
    down = FakeChannel(Channel.EMAIL, store, fails_with=ConnectionError("connection refused"))

    run(store, email_job(), down)

    assert store.credentials == {}
    [record] = store.records
    assert "provider unavailable" in record.results[0].reason


OUTAGE_POLICY = RetryPolicy(max_attempts=3, base_seconds=4.0, cap_seconds=60.0, outage_attempts=6)


def test_a_provider_outage_keeps_retrying_past_the_budget_of_a_recipients_failure():
    store = FakeDeliveryStore([make_delivery(attempts=OUTAGE_POLICY.max_attempts - 1)],
                              recipients=[make_recipient(person_id="person-1")])
    down = FakeChannel(Channel.EMAIL, store, fails_with=ConnectionError("503 Service Unavailable"))
    follow_ups = FakeFollowUps()

    summary = run(store, email_job(), down, follow_ups=follow_ups, policy=OUTAGE_POLICY)

    attempts = OUTAGE_POLICY.max_attempts
    assert follow_ups.delayed == [DelayedJob(email_job(), delay_seconds=0.5 * OUTAGE_POLICY.ceiling(attempts))]
    assert follow_ups.jobs == [] and summary.retrying == 1
    assert store.status("d-1") is DeliveryStatus.QUEUED and store.credentials == {}


def test_a_recipients_failure_at_the_same_attempt_gives_up_and_falls_back():
    store = FakeDeliveryStore([make_delivery(attempts=OUTAGE_POLICY.max_attempts - 1)],
                              recipients=[make_recipient(person_id="person-1")])
    email = FakeChannel(Channel.EMAIL, store, outcomes={"dennis@example.org": Outcome.SOFT_BOUNCE})
    follow_ups = FakeFollowUps()

    run(store, email_job(), email, follow_ups=follow_ups, policy=OUTAGE_POLICY)

    assert follow_ups.delayed == [] and [job.channel for job in follow_ups.jobs] == [Channel.SMS]


def test_a_provider_outage_outlasting_its_budget_falls_back_without_counting_against_the_credential():
    store = FakeDeliveryStore([make_delivery(attempts=OUTAGE_POLICY.outage_attempts - 1)],
                              recipients=[make_recipient(person_id="person-1")])
    down = FakeChannel(Channel.EMAIL, store, fails_with=ConnectionError("503 Service Unavailable"))
    follow_ups = FakeFollowUps()

    run(store, email_job(), down, follow_ups=follow_ups, policy=OUTAGE_POLICY)

    assert follow_ups.delayed == [] and [job.channel for job in follow_ups.jobs] == [Channel.SMS]
    assert store.status("d-1") is DeliveryStatus.FELL_BACK and store.credentials == {}
    [record] = store.records
    assert record.results[0].reason.startswith(f"gave up after {OUTAGE_POLICY.outage_attempts} attempts")


def test_a_credential_that_went_bad_after_planning_is_not_attempted_and_falls_back():
    store = FakeDeliveryStore([make_delivery()], recipients=[make_recipient(person_id="person-1")])
    store.credentials[(CredentialKind.EMAIL, "dennis@example.org")] = (CredentialState.BAD, "mailbox unknown", 0)
    email = FakeChannel(Channel.EMAIL, store)
    follow_ups = FakeFollowUps()

    run(store, email_job(), email, follow_ups=follow_ups)

    assert email.sent == [] and store.ledger == {}
    assert store.status("d-1") is DeliveryStatus.FELL_BACK
    assert store.records[0].results[0].reason == "email is bad: mailbox unknown"
    assert [job.channel for job in follow_ups.jobs] == [Channel.SMS]


def test_a_fallback_created_before_a_crash_is_queued_by_the_redelivered_job():
    store = FakeDeliveryStore([make_delivery(status=DeliveryStatus.FELL_BACK),
                               make_delivery(id="d-1-sms", channel=Channel.SMS, address="+15555550101",
                                             status=DeliveryStatus.PLANNED)])
    store.fallback_of["d-1-sms"] = "d-1"
    follow_ups = FakeFollowUps()

    run(store, email_job(), FakeChannel(Channel.EMAIL, store), follow_ups=follow_ups)

    assert follow_ups.jobs == [DeliveryJob("comm-1", Channel.SMS, ("d-1-sms",))]
    assert store.status("d-1-sms") is DeliveryStatus.QUEUED


def test_the_app_channel_fills_the_inbox_without_a_provider():
    store = FakeDeliveryStore([make_delivery(id=f"a-{n}", person_id=f"p-{n}", channel=Channel.APP, address=None)
                               for n in range(2)])

    summary = run(store, DeliveryJob("comm-1", Channel.APP, ("a-0", "a-1")))

    assert store.inbox == {"p-0", "p-1"}
    assert summary.sent == 2 and store.status("a-0") is DeliveryStatus.DELIVERED


def test_a_job_for_a_communication_that_does_not_exist_is_poison():
    store = FakeDeliveryStore([make_delivery()], communication=None)

    with pytest.raises(PoisonJob, match="does not exist"):
        run(store, email_job(), FakeChannel(Channel.EMAIL, store))


def test_a_job_for_a_channel_without_a_provider_is_poison():
    store = FakeDeliveryStore([make_delivery(channel=Channel.VOICE, address="+15555550101")])

    with pytest.raises(PoisonJob, match="no provider for voice"):
        run(store, DeliveryJob("comm-1", Channel.VOICE, ("d-1",)), FakeChannel(Channel.EMAIL, store))


def test_a_late_sent_never_undoes_delivered():
    assert advanced_status(DeliveryStatus.DELIVERED, DeliveryStatus.SENT) is DeliveryStatus.DELIVERED
    assert advanced_status(DeliveryStatus.SENT, DeliveryStatus.DELIVERED) is DeliveryStatus.DELIVERED
    assert advanced_status(DeliveryStatus.FAILED, DeliveryStatus.FELL_BACK) is DeliveryStatus.FELL_BACK


@given(st.lists(st.sampled_from(list(DeliveryStatus)), min_size=1, max_size=12))
def test_a_status_never_moves_backwards_whatever_order_the_news_arrives_in(news):
    status = DeliveryStatus.PLANNED
    for proposed in news:
        after = advanced_status(status, proposed)
        assert STATUS_RANK[after] >= STATUS_RANK[status]
        status = after
    assert STATUS_RANK[status] == max(STATUS_RANK[s] for s in [DeliveryStatus.PLANNED, *news])


def _metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_provider_call_is_timed_and_each_answer_counted_by_channel_and_outcome():
    calls = _metric("school_provider_call_seconds_count", channel="email", answered="yes")
    outages = _metric("school_provider_call_seconds_count", channel="email", answered="no")
    accepted = _metric("school_provider_receipts_total", channel="email", outcome="accepted")
    bounced = _metric("school_provider_receipts_total", channel="email", outcome="hard_bounce")
    transient = _metric("school_provider_receipts_total", channel="email", outcome="transient")
    store = FakeDeliveryStore([make_delivery(id="d-1", person_id="p-1", address="ana@example.org"),
                               make_delivery(id="d-2", person_id="p-2", address="gone@example.org")])

    run(store, email_job("d-1", "d-2"), FakeChannel(Channel.EMAIL, store,
                                                    outcomes={"gone@example.org": Outcome.HARD_BOUNCE}))
    down_store = FakeDeliveryStore([make_delivery(id="d-3", person_id="p-3", address="cy@example.org")])
    run(down_store, email_job("d-3"), FakeChannel(Channel.EMAIL, down_store, fails_with=ConnectionError("down")))

    assert _metric("school_provider_call_seconds_count", channel="email", answered="yes") == calls + 1
    assert _metric("school_provider_call_seconds_count", channel="email", answered="no") == outages + 1
    assert _metric("school_provider_receipts_total", channel="email", outcome="accepted") == accepted + 1
    assert _metric("school_provider_receipts_total", channel="email", outcome="hard_bounce") == bounced + 1
    assert _metric("school_provider_receipts_total", channel="email", outcome="transient") == transient + 1

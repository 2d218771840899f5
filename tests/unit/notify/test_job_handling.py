"""From a queue message to a disposition: dead letters for poison, the retry path for failures."""
from __future__ import annotations

import hashlib
import json

import pytest

from services.notify.domain.delivery import Channel
from services.notify.domain.retry import RetryPolicy
from services.notify.queue.consumer import Disposition, ReceivedJob
from services.notify.queue.jobs import PAGE_SIZES, DeliveryJob
from services.notify.domain.stuck_jobs import DETAIL_HEADER, REASON_HEADER, DeadReason
from services.notify.queue.publisher import FAILURES_HEADER, REQUEST_ID_HEADER, DelayedJob, PublishFailed, _properties
from services.notify.worker.handle_message import DeliveryJobHandler
from shared.logs import REQUEST_ID
from tests.unit.notify.test_job_processing import NOW, FakeChannel, FakeDeliveryStore, FakeFollowUps, make_delivery

JOB_RETRY = RetryPolicy(max_attempts=3, base_seconds=2.0, cap_seconds=60.0)
JOB = DeliveryJob("comm-1", Channel.EMAIL, ("d-1",))


class BrokenStore(FakeDeliveryStore):
    def load_page(self, job):
        raise ConnectionError("database unavailable")


def handler_for(store, follow_ups) -> DeliveryJobHandler:
    return DeliveryJobHandler(deliveries=store, channels={Channel.EMAIL: FakeChannel(Channel.EMAIL, store)},
                              follow_ups=follow_ups, clock=lambda: NOW, draw=lambda: 0.5, job_retry=JOB_RETRY)


def message(body: bytes, *, failures: int = 0, message_id: str | None = "job-1") -> ReceivedJob:
    return ReceivedJob(body, message_id, redelivered=False, headers={FAILURES_HEADER: failures} if failures else {})


@pytest.mark.parametrize("body", [
    b"not json",
    json.dumps({"communication_id": "comm-1", "channel": "fax", "delivery_ids": ["d-1"]}).encode(),
    json.dumps({"communication_id": "comm-1", "channel": "email", "delivery_ids": []}).encode(),
    json.dumps({"communication_id": "comm-1", "channel": "sms",
                "delivery_ids": [f"d-{n}" for n in range(PAGE_SIZES[Channel.SMS] + 1)]}).encode(),
], ids=["not json", "unknown channel", "no deliveries", "page too large"])
def test_a_message_that_is_not_a_delivery_job_is_dead_lettered_with_its_reason(body):
    follow_ups = FakeFollowUps()

    assert handler_for(FakeDeliveryStore([]), follow_ups)(message(body)) is Disposition.ACK
    assert follow_ups.delayed == []
    [dead] = follow_ups.dead_letters
    assert (dead.body, dead.message_id) == (body, "job-1")
    assert dead.headers[REASON_HEADER] == DeadReason.INVALID_JOB.value
    assert dead.headers[DETAIL_HEADER].startswith(("not JSON", "not a delivery job"))


def test_a_job_for_an_unknown_communication_is_dead_lettered_as_poison():
    store = FakeDeliveryStore([make_delivery()], communication=None)
    follow_ups = FakeFollowUps()

    assert handler_for(store, follow_ups)(message(JOB.to_json())) is Disposition.ACK
    [dead] = follow_ups.dead_letters
    assert dead.headers[REASON_HEADER] == DeadReason.POISON_JOB.value
    assert "comm-1 does not exist" in dead.headers[DETAIL_HEADER]


class UnreachableDeadLetters(FakeFollowUps):
    def publish_dead_letter(self, message) -> None:
        raise PublishFailed("connection closed", returned=[], nacked=[], unconfirmed=1)


def test_a_dead_letter_whose_reason_cannot_be_published_is_rejected_for_the_broker_to_dead_letter():
    store = FakeDeliveryStore([make_delivery()], communication=None)

    assert handler_for(store, UnreachableDeadLetters())(message(JOB.to_json())) is Disposition.DEAD_LETTER


def test_a_job_whose_broker_connection_went_away_is_left_to_the_worker_the_broker_gave_it_to():
    store = FakeDeliveryStore([make_delivery()])
    follow_ups = FakeFollowUps()
    lost = ReceivedJob(JOB.to_json(), "job-1", redelivered=False, still_held=lambda: False)

    assert handler_for(store, follow_ups)(lost) is Disposition.REQUEUE
    assert follow_ups.delayed == [] and follow_ups.dead_letters == [] and store.records == []
    assert store.ledger[("person-1", Channel.EMAIL)] == ("answered", "job-1")


def test_a_processed_job_is_acked():
    store = FakeDeliveryStore([make_delivery()])

    assert handler_for(store, FakeFollowUps())(message(JOB.to_json())) is Disposition.ACK


def test_a_job_whose_processing_raised_goes_round_again_under_its_own_id():
    follow_ups = FakeFollowUps()

    disposition = handler_for(BrokenStore([]), follow_ups)(message(JOB.to_json(), failures=1))

    assert disposition is Disposition.ACK
    assert follow_ups.delayed == [DelayedJob(JOB, 0.5 * JOB_RETRY.ceiling(2), message_id="job-1", failures=2)]


def test_a_job_that_keeps_failing_is_dead_lettered_once_its_attempts_are_used_up():
    follow_ups = FakeFollowUps()

    disposition = handler_for(BrokenStore([]), follow_ups)(
        message(JOB.to_json(), failures=JOB_RETRY.max_attempts - 1))

    assert disposition is Disposition.ACK
    assert follow_ups.delayed == []
    [dead] = follow_ups.dead_letters
    assert dead.headers[REASON_HEADER] == DeadReason.RETRIES_EXHAUSTED.value
    assert dead.headers[FAILURES_HEADER] == JOB_RETRY.max_attempts
    assert "database unavailable" in dead.headers[DETAIL_HEADER]


def test_a_job_without_a_message_id_is_named_by_its_content_so_its_redelivery_takes_back_its_claims():
    store = FakeDeliveryStore([make_delivery()])
    email = FakeChannel(Channel.EMAIL, store)
    handler = DeliveryJobHandler(deliveries=store, channels={Channel.EMAIL: email}, follow_ups=FakeFollowUps(),
                                 clock=lambda: NOW, draw=lambda: 0.5)
    body = JOB.to_json()
    # The first run of this id-less message claimed the delivery and died before the provider answered.
    store.ledger[("person-1", Channel.EMAIL)] = ("sending", hashlib.sha256(body).hexdigest()[:32])

    assert handler(message(body, message_id=None)) is Disposition.ACK

    assert [sent.delivery_id for sent in email.sent] == ["d-1"]


class TracingStore(FakeDeliveryStore):
    """Notes the request id the worker's log lines carry while it loads the job's page."""

    seen_request_ids: list = []

    def load_page(self, job):
        self.seen_request_ids.append(REQUEST_ID.get())
        return super().load_page(job)


def test_a_job_is_handled_under_the_request_id_it_carries_else_its_own_id():
    store = TracingStore([make_delivery()])
    store.seen_request_ids = []
    handler = handler_for(store, FakeFollowUps())
    traced = ReceivedJob(JOB.to_json(), "job-1", redelivered=False, headers={REQUEST_ID_HEADER: "req-from-gateway"})

    handler(traced)
    handler(message(JOB.to_json(), message_id="job-2"))

    assert store.seen_request_ids == ["req-from-gateway", "job-2"]
    assert REQUEST_ID.get() is None  # nothing of a job's lingers after it


def test_a_job_published_while_serving_a_request_carries_its_id():
    token = REQUEST_ID.set("req-42")
    try:
        assert _properties(message_id="m-1").headers == {REQUEST_ID_HEADER: "req-42"}
    finally:
        REQUEST_ID.reset(token)
    assert _properties(message_id="m-1").headers is None

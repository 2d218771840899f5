"""Recording a job's receipts, and keeping each provider answer, outlasts a database blip instead of sending
again."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from services.notify.domain.delivery import Channel, DeliveryStatus, Outcome, ProviderReceipt
from services.notify.ports import JobRecord
from services.notify.worker.recording import PatientRecording
from tests.unit.notify.test_job_processing import NOW, FakeDeliveryStore, make_delivery

RECORD = JobRecord("comm-1", Channel.EMAIL, ())


class BlippingStore(FakeDeliveryStore):
    def __init__(self, failures: int):
        super().__init__([make_delivery()])
        self.failures_left = failures
        self.calls = 0

    def _blip(self) -> None:
        self.calls += 1
        if self.failures_left:
            self.failures_left -= 1
            raise OperationalError("UPDATE deliveries ...", {}, Exception("deadlock detected"))

    def record_job(self, record, *, now):
        self._blip()
        return super().record_job(record, now=now)

    def record_answers(self, communication_id, channel, answers, *, job_id, now):
        self._blip()
        super().record_answers(communication_id, channel, answers, job_id=job_id, now=now)


def test_a_deadlock_while_recording_is_tried_again_after_a_pause():
    store, pauses = BlippingStore(failures=2), []

    PatientRecording(store, pauses=(0.2, 1.0, 3.0), sleep=pauses.append).record_job(RECORD, now=NOW)

    assert store.calls == 3 and pauses == [0.2, 1.0]
    assert store.records == [RECORD]


def test_a_database_that_stays_away_fails_the_recording_after_the_last_pause():
    store, pauses = BlippingStore(failures=10), []

    with pytest.raises(OperationalError):
        PatientRecording(store, pauses=(0.2, 1.0), sleep=pauses.append).record_job(RECORD, now=NOW)

    assert store.calls == 3 and pauses == [0.2, 1.0]


def test_a_terminated_connection_while_keeping_an_answer_is_tried_again_after_a_pause():
    store, pauses = BlippingStore(failures=1), []
    store.ledger[("person-1", Channel.EMAIL)] = ("sending", "job-1")
    answer = ProviderReceipt("d-1", Outcome.ACCEPTED, "msg-1")

    PatientRecording(store, pauses=(0.2, 1.0), sleep=pauses.append).record_answers(
        "comm-1", Channel.EMAIL, {"person-1": answer}, job_id="job-1", now=NOW)

    assert store.calls == 2 and pauses == [0.2]
    assert store.ledger[("person-1", Channel.EMAIL)] == ("answered", "job-1")
    assert store.answers[("person-1", Channel.EMAIL)] == answer


def test_everything_but_recording_passes_straight_through():
    store = FakeDeliveryStore([make_delivery(status=DeliveryStatus.PLANNED)])

    PatientRecording(store).mark_queued(["d-1"], now=NOW)

    assert store.status("d-1") is DeliveryStatus.QUEUED

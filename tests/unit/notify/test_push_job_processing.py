"""A push job with in-memory fakes: the ledger, each person's devices, stale tokens, retries, no fallback."""
from __future__ import annotations

from dataclasses import replace

from services.notify.domain.delivery import Channel, DeliveryStatus
from services.notify.domain.push import PushAnswer, PushNotification, PushOutcome
from services.notify.queue.jobs import DeliveryJob
from services.notify.ports import LedgerAction
from tests.unit.notify.test_job_processing import FakeDeliveryStore, FakeFollowUps, make_delivery, run
from tests.unit.notify.test_translated_job_processing import TRANSLATED


class FakePush:
    channel = Channel.PUSH

    def __init__(self, answers: dict[str, PushAnswer] | None = None):
        self.answers = answers or {}
        self.sent: list[tuple[str, PushNotification]] = []

    def push(self, token: str, notification: PushNotification) -> PushAnswer:
        self.sent.append((token, notification))
        return self.answers.get(token, PushAnswer(PushOutcome.ACCEPTED))


class FakeDevicesStore(FakeDeliveryStore):
    def __init__(self, deliveries, tokens: dict[str, list[str]]):
        super().__init__(deliveries)
        self.tokens = tokens
        self.forgotten: list[str] = []

    def device_tokens(self, person_ids):
        return {person: self.tokens[person] for person in person_ids if self.tokens.get(person)}

    def forget_device_tokens(self, tokens):
        self.forgotten.extend(tokens)


def push_delivery(number: int):
    return make_delivery(id=f"d-{number}", person_id=f"p-{number}", channel=Channel.PUSH, address=None)


def push_job(*ids: str) -> DeliveryJob:
    return DeliveryJob("comm-1", Channel.PUSH, ids)


def test_each_device_of_each_person_gets_the_push_and_the_delivery_is_sent():
    store = FakeDevicesStore([push_delivery(1), push_delivery(2)], {"p-1": ["t-1a", "t-1b"], "p-2": ["t-2"]})
    push = FakePush()

    summary = run(store, push_job("d-1", "d-2"), push)

    assert sorted(token for token, _ in push.sent) == ["t-1a", "t-1b", "t-2"]
    assert push.sent[0][1].data["communication_id"] == "comm-1"
    assert summary.sent == 2 and {d.status for d in store.deliveries.values()} == {DeliveryStatus.SENT}
    assert store.ledger[("p-1", Channel.PUSH)][0] == "sent"


def test_a_stale_token_is_forgotten_and_the_other_device_still_gets_it():
    store = FakeDevicesStore([push_delivery(1)], {"p-1": ["old", "new"]})
    push = FakePush({"old": PushAnswer(PushOutcome.STALE_TOKEN, "UNREGISTERED", "gone")})

    run(store, push_job("d-1"), push)

    assert store.forgotten == ["old"] and store.deliveries["d-1"].status is DeliveryStatus.SENT


def test_every_token_stale_fails_the_delivery_without_a_fallback():
    store = FakeDevicesStore([push_delivery(1)], {"p-1": ["old"]})
    push = FakePush({"old": PushAnswer(PushOutcome.STALE_TOKEN, "UNREGISTERED", "gone")})

    summary = run(store, push_job("d-1"), push)

    assert summary.failed == 1 and summary.fell_back == 0 and store.forgotten == ["old"]
    assert store.records[-1].fallbacks == () and store.records[-1].credentials == ()


def test_a_temporary_failure_is_retried_after_a_backoff_with_its_ledger_key_released():
    store = FakeDevicesStore([push_delivery(1)], {"p-1": ["t-1"]})
    follow_ups = FakeFollowUps()

    summary = run(store, push_job("d-1"), FakePush({"t-1": PushAnswer(PushOutcome.TRANSIENT, "UNAVAILABLE", "busy")}),
                  follow_ups=follow_ups)

    assert summary.retrying == 1 and follow_ups.delayed[0].job.channel is Channel.PUSH
    assert store.records[-1].results[0].ledger is LedgerAction.RELEASE and ("p-1", Channel.PUSH) not in store.ledger


def test_a_person_whose_devices_were_all_removed_gets_nothing_and_fails_once():
    store = FakeDevicesStore([push_delivery(1)], {})
    push = FakePush()

    summary = run(store, push_job("d-1"), push)

    assert push.sent == [] and summary.failed == 1
    assert store.records[-1].results[0].reason == "no registered device"


def test_a_redelivered_job_pushes_nothing_twice():
    store = FakeDevicesStore([push_delivery(1)], {"p-1": ["t-1"]})
    push = FakePush()
    run(store, push_job("d-1"), push)
    run(store, push_job("d-1"), push, job_id="job-2")

    assert len(push.sent) == 1


def test_a_worker_without_fcm_settings_fails_the_push_and_keeps_nothing_outstanding():
    store = FakeDevicesStore([push_delivery(1)], {"p-1": ["t-1"]})

    summary = run(store, push_job("d-1"))

    assert summary.failed == 1 and store.deliveries["d-1"].status is DeliveryStatus.FAILED
    assert store.records[-1].results[0].reason == "push is not configured (FCM_PROJECT_ID)"


def test_each_persons_push_is_in_their_language():
    spanish, english = (replace(push_delivery(number), language=language)
                        for number, language in ((1, "es"), (2, "en")))
    store = FakeDevicesStore([spanish, english], {"p-1": ["t-1"], "p-2": ["t-2"]})
    store.communication = TRANSLATED
    push = FakePush()

    run(store, push_job("d-1", "d-2"), push)

    shown = {token: (notification.title, notification.body) for token, notification in push.sent}
    assert shown == {"t-1": ("Día de nieve", "Hoy no hay clases."), "t-2": ("Snow day", "School is closed today.")}

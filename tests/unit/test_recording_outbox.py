"""The unit tests' outbox counts an event once the write it goes with commits, as shared/outbox.py does."""
import pytest

from shared.contracts import rostering
from shared.contracts.errors import InvalidRequest
from shared.testing.recording_outbox import RecordingOutbox, writes_commit_with_outbox

APPROVED = (rostering.SYNC_RUN_APPROVED, {"run_id": "run-1"})


@writes_commit_with_outbox("save")
class Store:
    def __init__(self):
        self.outbox = RecordingOutbox()

    def save(self, *, refuse: bool = False, announce=lambda: None) -> None:
        if refuse:
            raise LookupError("refused")
        announce()


def test_an_event_staged_before_a_write_is_published_by_its_commit():
    store = Store()
    store.outbox(*APPROVED)
    assert store.outbox.published == []

    store.save()

    assert store.outbox.published == [(rostering.SYNC_RUN_APPROVED.name, {"run_id": "run-1"})]


def test_an_event_announced_by_a_write_that_refuses_is_never_published():
    store = Store()

    with pytest.raises(LookupError):
        store.save(refuse=True, announce=lambda: store.outbox(*APPROVED))
    store.save()

    assert store.outbox.published == store.outbox.staged == []


def test_an_event_published_after_the_last_write_waits_for_the_handler_to_return():
    store = Store()
    store.save()
    store.outbox(*APPROVED)

    assert store.outbox.published == [] and store.outbox.names() == []
    store.outbox.handler_returned()
    assert store.outbox.names() == [rostering.SYNC_RUN_APPROVED.name]


def test_a_payload_the_contract_refuses_is_the_publishers_error():
    with pytest.raises(InvalidRequest):
        RecordingOutbox()(rostering.SYNC_RUN_APPROVED, {"run": "missing its id"})

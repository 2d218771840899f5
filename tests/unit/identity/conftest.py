"""The collaborators every identity handler test hands its handler: an in-memory store, a publisher, a clock."""
import pytest

from identity_builders import NOW
from identity_fakes import Clock, InMemoryAccounts, RecordingPublisher


@pytest.fixture
def repo():
    return InMemoryAccounts()


@pytest.fixture
def publish():
    return RecordingPublisher()


@pytest.fixture
def clock():
    return Clock(NOW)

"""The collaborators every identity handler test hands its handler: an in-memory store, a publisher, a clock."""
import pytest

from identity_builders import NOW
from identity_fakes import Clock, InMemoryAccounts


@pytest.fixture
def repo():
    return InMemoryAccounts()


@pytest.fixture
def publish(repo):
    """The store's outbox: what a handler publishes counts once the store's write commits it."""
    return repo.outbox


@pytest.fixture
def clock():
    return Clock(NOW)

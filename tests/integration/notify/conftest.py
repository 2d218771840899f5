"""notify under test: its own migrated PostgreSQL schema, its own broker vhost, a real container.

Built here rather than from tests/conftest.py's `database_urls`, which migrates
every service and so needs every service's migrations.
"""
from __future__ import annotations

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter
from sqlalchemy.orm import Session

from services.notify.adapters.repository import RecipientRepository
from services.notify.service import NotifyService
from shared.contracts import notify
from shared.contracts.base import Event
from shared.db import make_engine
from shared.db import make_engine
from shared.migrations import upgrade
from tests.integration.notify.notify_harness import EVENT_WAIT_SECONDS, handler_for


@pytest.fixture
def notify_database_url(migrated_pg_url):
    return migrated_pg_url("notify")


@pytest.fixture
def engine(notify_database_url):
    """An engine on notify's migrated PostgreSQL schema, for tests that read what the workers wrote."""
    engine = make_engine(notify_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_notify_database_url(request, tmp_path):
    """notify's database, migrated, on each engine the service supports."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'notify.db'}"
        upgrade("notify", url)
        return url
    return request.getfixturevalue("notify_database_url")


@pytest.fixture
def notify_config(rabbit_config, notify_database_url):
    return {**rabbit_config, "DATABASES": {"notify": notify_database_url}, "max_workers": 10}


@pytest.fixture
def notify_container(container_factory, notify_config):
    container = container_factory(NotifyService, notify_config)
    container.start()
    return container


@pytest.fixture
def publish(notify_config):
    """publish(event, payload): dispatch as the event's owner would, without waiting."""
    dispatch = event_dispatcher(notify_config)

    def publish(event: Event, payload: dict) -> None:
        dispatch(event.service, event.name, event.dump(payload))

    return publish


@pytest.fixture
def deliver(notify_container, publish):
    """deliver(event, payload): publish and wait until notify has handled it; returns rows changed."""

    def deliver(event: Event, payload: dict) -> int:
        with entrypoint_waiter(notify_container, handler_for(event), timeout=EVENT_WAIT_SECONDS) as result:
            publish(event, payload)
        return result.get()

    return deliver


@pytest.fixture
def notify_rpc(notify_config, notify_container):
    with ServiceRpcProxy(notify.NAME, notify_config, timeout=EVENT_WAIT_SECONDS) as proxy:
        yield proxy


@pytest.fixture
def notify_engine(any_notify_database_url):
    engine = make_engine(any_notify_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def recipients_repository(notify_engine):
    session = Session(notify_engine, expire_on_commit=False)
    yield RecipientRepository(session)
    session.close()

"""The directory service in a real nameko container, on its own broker vhost and PostgreSQL schema."""
from __future__ import annotations

import pytest
from directory_district import EventRecorder, seed_district
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.directory.service import DirectoryService
from services.identity.service import IdentityService
from shared.contracts import identity


@pytest.fixture
def directory_config(rabbit_config, migrated_pg_url):
    # Only this service's schema: the shared `database_urls` fixture migrates every service.
    return {**rabbit_config, "DATABASES": {"directory": migrated_pg_url("directory")}, "max_workers": 10}


@pytest.fixture
def directory_container(container_factory, directory_config):
    container = container_factory(DirectoryService, directory_config)
    container.start()
    return container


@pytest.fixture
def recorder(container_factory, directory_config):
    """A stand-in subscriber that keeps every directory event it receives, in order."""
    EventRecorder.received = []
    container = container_factory(EventRecorder, directory_config)
    container.start()
    return container


@pytest.fixture
def directory_rpc(directory_container, directory_config):
    with ServiceRpcProxy("directory", directory_config, timeout=60) as proxy:
        yield proxy


@pytest.fixture
def district(directory_rpc, recorder):
    """The small district of directory_district, upserted, with its seeding events already received."""
    with entrypoint_waiter(recorder, "on_people_upserted"):
        seeded = seed_district(directory_rpc)
    EventRecorder.received.clear()
    return seeded


@pytest.fixture
def identity_rpc(container_factory, directory_config, migrated_pg_url, identity_token_secret):
    """identity running beside the directory (its manual actions call it), on its own PostgreSQL schema."""
    config = {**directory_config, "DATABASES": {**directory_config["DATABASES"],
                                                identity.NAME: migrated_pg_url(identity.NAME)}}
    container_factory(IdentityService, config).start()
    with ServiceRpcProxy(identity.NAME, config, timeout=60) as proxy:
        yield proxy

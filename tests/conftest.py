"""Fixtures every test layer shares: isolated PostgreSQL schemas and service config."""
from __future__ import annotations

import os
import secrets
import time
import uuid
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shared.callers import VERIFY_CALLERS_SETTING
from shared.config import SERVICES
from shared.db import make_engine
from shared.migrations import upgrade
from shared.testing.transaction_faults import staging_publish

# Property tests check rules, never speed (the benchmarks measure speed): an example that runs slowly on a
# loaded machine is no failure.
settings.register_profile("rules-not-speed", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("rules-not-speed")

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
PG_TEST_DATABASE = os.environ.get("TEST_PG_DATABASE", "schoolcomms_test")


def _pg_url(database: str, schema: str | None = None) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    return f"{base}?options=-csearch_path%3D{schema}" if schema else base


@pytest.fixture(scope="session")
def pg_test_database():
    """One database for the run; each test gets its own schemas inside it."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        # pytest-xdist's processes all come here at once: one creates the database while the others wait.
        connection.execute(text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": PG_TEST_DATABASE})
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": PG_TEST_DATABASE}).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{PG_TEST_DATABASE}"'))
    admin.dispose()
    return PG_TEST_DATABASE


@pytest.fixture
def pg_schema_url(pg_test_database):
    """A factory: `pg_schema_url("identity")` -> URL of a fresh schema dropped after the test."""
    engine = create_engine(_pg_url(pg_test_database), isolation_level="AUTOCOMMIT")
    created = []

    def make(label: str = "t") -> str:
        schema = f"{label}_{uuid.uuid4().hex[:12]}"
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        created.append(schema)
        return _pg_url(pg_test_database, schema)

    yield make
    for schema in created:
        _drop_schema(engine, schema)
    engine.dispose()


def _drop_schema(engine, schema: str, attempts: int = 5) -> None:
    # A process of the test still closing (a relay's or a timer's last query) can hold a lock the drop waits on
    # while it waits on the drop's: PostgreSQL ends one of the two as a deadlock. Dropping again then succeeds.
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            return
        except OperationalError as error:
            if attempt == attempts or "deadlock detected" not in str(error.orig):
                raise
            time.sleep(0.2 * attempt)


@pytest.fixture
def migrated_pg_url(pg_schema_url):
    """A factory: `migrated_pg_url("notify")` -> a fresh schema holding that service's latest tables."""
    def make(service: str) -> str:
        url = pg_schema_url(service)
        upgrade(service, url)
        return url

    return make


@pytest.fixture
def database_urls(migrated_pg_url):
    """Every service's database, migrated, each in its own fresh PostgreSQL schema."""
    return {service: migrated_pg_url(service) for service in SERVICES}


@pytest.fixture
def sqlite_database_urls(tmp_path):
    """The embedded default: one SQLite file per service, migrated."""
    urls = {service: f"sqlite:///{tmp_path / (service + '.db')}" for service in SERVICES}
    for service, url in urls.items():
        upgrade(service, url)
    return urls


@pytest.fixture
def service_contract(request):
    """The contract of the service a test module is about: its `SERVICE_CONTRACT`."""
    return request.module.SERVICE_CONTRACT


@pytest.fixture
def service_engine(migrated_pg_url, service_contract):
    """An engine on a fresh, migrated PostgreSQL schema of the module's service."""
    engine = make_engine(migrated_pg_url(service_contract.name))
    yield engine
    engine.dispose()


@pytest.fixture
def worker_session(service_engine):
    """A session on the service's database, as a nameko worker of the service has one."""
    session = Session(service_engine, expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture
def staged_publish(worker_session, service_contract):
    """`publish` as a worker of the module's service has it: staged on `worker_session`, to commit with the
    change (shared/outbox.py)."""
    return staging_publish(worker_session, service_contract)


@pytest.fixture
def identity_token_secret(monkeypatch):
    """identity refuses to start without a signing secret of at least 32 characters."""
    monkeypatch.setenv("IDENTITY_TOKEN_SECRET", "test-only-identity-token-secret-0123456789")


@pytest.fixture
def service_config(rabbit_config, database_urls, identity_token_secret):
    """nameko config for a container under test: own vhost, own schemas."""
    return {**rabbit_config, "DATABASES": database_urls, "max_workers": 10}


@pytest.fixture(scope="session")
def vhost_pipeline(vhost_pipeline, rabbit_manager, request):
    """nameko's pipeline of ready vhosts, each named from the operating system's randomness.

    nameko names them from the global `random`, which Hypothesis seeds alike in every process while a property
    test runs; the pipeline makes its next vhosts in a green thread whenever a test yields, so two test groups
    side by side could make the same name, share one vhost, and one delete it under the other."""
    username = urlparse(request.config.getoption("RABBIT_AMQP_URI")).username

    def create() -> str:
        vhost = f"nameko_test_{secrets.token_hex(8)}"
        rabbit_manager.create_vhost(vhost)
        rabbit_manager.set_vhost_permissions(vhost, username, ".*", ".*", ".*")
        return vhost

    vhost_pipeline.create = create  # read by the pipeline's creating thread for each vhost it makes
    return vhost_pipeline


@pytest.fixture
def rabbit_config(rabbit_config):
    """nameko's own vhost per test, with services that believe the principals payloads name.

    Integration tests of one service hand it principals directly, with no identity on the broker to vouch
    for them; tests of the callers' rule itself (tests/integration/callers) and every process of the real
    stack (e2e, `make run`, deploy) verify callers (shared/callers.py)."""
    return {**rabbit_config, VERIFY_CALLERS_SETTING: False}

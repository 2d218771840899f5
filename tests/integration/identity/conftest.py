"""identity in a real nameko container, on a real broker vhost and a fresh PostgreSQL schema.

Until every service has migrations, these tests migrate identity's schema
alone instead of using tests/conftest.py's `database_urls`.
"""
from __future__ import annotations

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter
from sqlalchemy.orm import Session

from services.identity.adapters.repository import AccountRepository
from services.identity.service import IdentityService
from shared.contracts import directory, identity
from shared.db import make_engine
from shared.messaging import handles

TOKEN_SECRET = "integration-tests-only-secret-0123456789abcdef"


class IdentityEventsListener:
    """Subscribes to every identity event so tests can wait for (or count) what was published."""

    name = "identity_events_listener"

    @handles(identity.ACCOUNTS_UPSERTED)
    def on_accounts_upserted(self, payload):
        return payload

    @handles(identity.USER_JOINED)
    def on_user_joined(self, payload):
        return payload

    @handles(identity.STAFF_PERMISSIONS_CHANGED)
    def on_staff_permissions_changed(self, payload):
        return payload

    @handles(identity.JOIN_TOKENS_ISSUED)
    def on_join_tokens_issued(self, payload):
        return payload


@pytest.fixture
def identity_database_url(migrated_pg_url) -> str:
    return migrated_pg_url("identity")


@pytest.fixture
def stored(identity_database_url):
    """identity's own repository on the test's database, to read what the service stored (histories)."""
    engine = make_engine(identity_database_url)
    try:
        with Session(engine) as session:
            yield AccountRepository(session)
    finally:
        engine.dispose()


@pytest.fixture
def identity_config(rabbit_config, identity_database_url) -> dict:
    return {**rabbit_config, "DATABASES": {identity.NAME: identity_database_url}, "max_workers": 10}


@pytest.fixture
def token_secret(monkeypatch) -> str:
    monkeypatch.setenv("IDENTITY_TOKEN_SECRET", TOKEN_SECRET)
    monkeypatch.delenv("IDENTITY_TOKEN_TTL_SECONDS", raising=False)
    return TOKEN_SECRET


@pytest.fixture
def identity_events(identity_config, container_factory):
    """The listener's container; start it before anything publishes, or its queues miss the events."""
    container = container_factory(IdentityEventsListener, identity_config)
    container.start()
    return container


@pytest.fixture
def identity_container(identity_config, token_secret, identity_events, container_factory):
    container = container_factory(IdentityService, identity_config)
    container.start()
    return container


@pytest.fixture
def identity_rpc(identity_container, identity_config):
    with ServiceRpcProxy(identity.NAME, identity_config, timeout=30) as proxy:
        yield proxy


@pytest.fixture
def enable_students(identity_container, identity_config):
    """enable_students(*person_ids): directory's event, published as directory would, handled by identity."""
    dispatch = event_dispatcher(identity_config)

    def enable(*person_ids: str) -> int:
        event = directory.STUDENT_ACCOUNTS_ENABLED
        with entrypoint_waiter(identity_container, "on_student_accounts_enabled", timeout=15) as handled:
            dispatch(event.service, event.name, event.dump({"person_ids": list(person_ids), "enabled_by": "admin-1"}))
        return handled.get()

    return enable


@pytest.fixture
def make_account_input():
    """Builder for one row of upsert_accounts: `make_account_input(person_id=..., roles=[...])`."""

    def make(**overrides) -> dict:
        row = {
            "person_id": "person-guardian-1",
            "given_name": "Dana",
            "family_name": "Rivera",
            "email": "dana.rivera@example.org",
            "mobile_phone": "(415) 555-2671",
            "home_phone": "(415) 555-0100",
            "roles": [{"role": identity.GUARDIAN, "school_ids": []}],
        }
        row.update(overrides)
        return row

    return make


@pytest.fixture
def sync(identity_rpc):
    """sync(*rows, **request_fields): one page of upsert_accounts for district-1; answers the item results."""

    def upsert(*rows: dict, **request_fields) -> list[dict]:
        request = {"district_id": "district-1", "region": "US", "accounts": list(rows), **request_fields}
        return identity_rpc.upsert_accounts(request)["results"]

    return upsert


@pytest.fixture
def join(identity_rpc):
    """join(login): the account signing in with `login` gets a password and signs in, so its owner has joined."""

    def sign_in_first_time(login: str, password: str = "a long enough password") -> dict:
        identity_rpc.set_password({"login": login, "password": password})
        return identity_rpc.login({"login": login, "password": password})

    return sign_in_first_time


@pytest.fixture
def people_changed(identity_container, identity_config):
    """people_changed(person_id=archived, ...): directory's PEOPLE_UPSERTED, as directory publishes it,
    handled by identity."""
    dispatch = event_dispatcher(identity_config)

    def publish(**archived_by_person: bool) -> int:
        event = directory.PEOPLE_UPSERTED
        people = [{"person_id": person_id, "district_id": "district-1", "given_name": "Dana", "family_name": "Rivera",
                   "kinds": ["guardian"], "school_ids": [], "student_account_enabled": False, "archived": archived}
                  for person_id, archived in archived_by_person.items()]
        with entrypoint_waiter(identity_container, "on_people_upserted", timeout=15) as handled:
            dispatch(event.service, event.name, event.dump({"people": people}))
        return handled.get()

    return publish

"""Services verifying their callers on the real broker, as every process of the real stack does."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.identity.adapters.service_credentials import add_service_credential
from shared.callers import VERIFY_CALLERS_SETTING
from shared.contracts import identity
from shared.contracts.callers import ACCOUNTS_MANAGE
from shared.messaging import cluster_rpc


@pytest.fixture
def start_verifying(rabbit_config, database_urls, identity_token_secret, container_factory):
    """start_verifying(*service_classes): start them, verifying callers, on every service's database; their
    nameko config."""
    config = {**rabbit_config, "DATABASES": database_urls, "max_workers": 10, VERIFY_CALLERS_SETTING: True}

    def start(*services: type) -> dict:
        for service in services:
            container_factory(service, config).start()
        return config

    return start


@pytest.fixture
def call(platform):
    """call(contract, method, payload, credential=None): one RPC over the broker, carrying `credential`."""
    def make(contract, method: str, payload: dict, credential: str | None = None) -> dict:
        with cluster_rpc(platform["AMQP_URI"], timeout=60, credential=credential) as rpc:
            return getattr(rpc(contract), method)(payload)

    return make


@pytest.fixture
def credential_for(call, database_urls):
    """credential_for(*scopes, district_id=...): a service token for a new service credential."""
    def issue(*scopes: str, district_id: str | None = "district-1") -> dict:
        issued = add_service_credential(database_urls[identity.NAME], "test-service", scopes, district_id,
                                        datetime.now(timezone.utc))
        return call(identity.contract, "issue_service_token",
                    {"client_id": issued.credential.client_id, "client_secret": issued.secret})

    return issue


@pytest.fixture
def signed_in(call, credential_for):
    """signed_in(person_id, email, role, password): an account of district-1, its password set by an operator,
    signed in; identity's assertion of it (`principal`, `assertion`), as the gateway gets it."""
    def sign_in(person_id: str, email: str, role: str, password: str) -> dict:
        call(identity.contract, "upsert_accounts", {"district_id": "district-1", "accounts": [{
            "person_id": person_id, "given_name": person_id.title(), "family_name": "Tester", "email": email,
            "roles": [{"role": role, "school_ids": []}]}]})
        operator = credential_for(ACCOUNTS_MANAGE, district_id=None)
        call(identity.contract, "set_password", {"login": email, "password": password}, operator["token"])
        token = call(identity.contract, "login", {"login": email, "password": password})["token"]
        return call(identity.contract, "issue_assertion", {"token": token})

    return sign_in

"""Services verifying their callers on the real broker, as every process of the real stack does."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from services.identity.adapters.service_credentials import add_service_credential
from shared.callers import VERIFY_CALLERS_SETTING
from shared.contracts import identity, rostering
from shared.contracts.callers import ACCOUNTS_MANAGE, platform_secret_variable
from shared.messaging import cluster_rpc
from shared.platform_identity import platform_client_id, platform_environment


@pytest.fixture
def platform_secrets(identity_token_secret, monkeypatch) -> dict[str, str]:
    """Every platform service's secret in the environment, derived from identity's as a real stack's are."""
    environment = platform_environment(os.environ["IDENTITY_TOKEN_SECRET"])
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    return environment


@pytest.fixture
def start_verifying(rabbit_config, database_urls, platform_secrets, container_factory):
    """start_verifying(*service_classes): start them, verifying callers and calling with their own platform
    credentials, on every service's database; their nameko config."""
    config = {**rabbit_config, "DATABASES": database_urls, "max_workers": 10, VERIFY_CALLERS_SETTING: True}

    def start(*services: type) -> dict:
        for service in services:
            container_factory(service, config).start()
        return config

    return start


@pytest.fixture
def platform_token(platform, platform_secrets):
    """platform_token(service): the token identity issues that platform service for its derived secret."""
    def issue(service: str) -> str:
        with cluster_rpc(platform["AMQP_URI"], timeout=60) as rpc:
            return rpc(identity.contract).issue_service_token({
                "client_id": platform_client_id(service),
                "client_secret": platform_secrets[platform_secret_variable(service)]})["token"]

    return issue


@pytest.fixture
def call(platform, platform_token):
    """call(contract, method, payload, credential=None, as_platform=None): one RPC over the broker, carrying
    `credential`, and the token of the platform service `as_platform` (a test standing in for it)."""
    def make(contract, method: str, payload: dict, credential: str | None = None,
             as_platform: str | None = None) -> dict:
        token = platform_token(as_platform) if as_platform else None
        with cluster_rpc(platform["AMQP_URI"], timeout=60, credential=credential, platform_token=token) as rpc:
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
            "roles": [{"role": role, "school_ids": []}]}]}, as_platform=rostering.NAME)
        operator = credential_for(ACCOUNTS_MANAGE, district_id=None)
        call(identity.contract, "set_password", {"login": email, "password": password}, operator["token"])
        token = call(identity.contract, "login", {"login": email, "password": password})["token"]
        return call(identity.contract, "issue_assertion", {"token": token})

    return sign_in

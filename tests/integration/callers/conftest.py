"""Services verifying their callers on the real broker, as every process of the real stack does."""
from __future__ import annotations

import pytest

from shared.callers import VERIFY_CALLERS_SETTING
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

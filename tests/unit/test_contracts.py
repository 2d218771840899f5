"""The services serve exactly what shared/contracts declares, and nothing else."""
import importlib

import pytest
from marshmallow import Schema

from shared.contracts import CONTRACTS
from shared.contracts.base import ServiceContract
from shared.contracts.identity import UserJoined
from shared.callers import CallerVerification
from shared.messaging import CALLERS_ATTRIBUTE, handles, rpc_endpoint
from shared.platform_identity import PlatformIdentity
from shared.runner import SERVICE_CLASSES
from shared.testing.contract_check import contract_drift


def service_class(name):
    module, cls = SERVICE_CLASSES[name].split(":")
    return getattr(importlib.import_module(module), cls)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_service_serves_exactly_its_declared_contract(name):
    assert contract_drift(CONTRACTS[name], service_class(name)) == []


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_service_admits_its_callers_through_the_shared_rule(name):
    """rpc_endpoint checks each call through the service's `callers` (shared/callers.py)."""
    assert isinstance(getattr(service_class(name), CALLERS_ATTRIBUTE, None), CallerVerification)


@pytest.mark.parametrize("name", sorted(SERVICE_CLASSES))
def test_every_service_calls_others_with_its_own_platform_credential(name):
    """ServiceRpc sends the token of the service's PlatformIdentity with every call (shared/platform_identity.py)."""
    assert isinstance(getattr(service_class(name), "platform", None), PlatformIdentity)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_subscription_names_an_event_its_owner_declares(name):
    for event in CONTRACTS[name].subscriptions:
        owner = CONTRACTS[event.service]
        assert owner.events.get(event.name) is event


def test_every_payload_is_a_marshmallow_schema():
    for contract in CONTRACTS.values():
        for method in contract.rpcs.values():
            assert issubclass(method.request, Schema) and issubclass(method.response, Schema)
        for event in contract.events.values():
            assert issubclass(event.payload, Schema)


class _Ping(Schema):
    pass


def _drifting_contract():
    contract = ServiceContract("pinger")
    contract.rpc("ping_server", request=_Ping, response=_Ping)
    contract.rpc("count_pings", request=_Ping, response=_Ping)
    joined = ServiceContract("identity").event("user_joined", UserJoined)
    contract.subscribe(joined)
    return contract, joined


def test_drift_check_reports_missing_extra_and_unbound_entrypoints():
    from nameko.events import event_handler
    from nameko.rpc import rpc

    contract, joined = _drifting_contract()

    class Pinger:
        name = "pinger"

        @rpc_endpoint(contract.rpcs["ping_server"])
        def ping_server(self, request):
            return {}

        @rpc
        def count_pings(self):
            return 0

        @rpc
        def undeclared_method(self):
            return None

        @event_handler("directory", "people_upserted")
        def on_people(self, payload):
            return None

    problems = contract_drift(contract, Pinger)
    assert "RPC undeclared_method is served but not declared in the contract" in problems
    assert any("count_pings is not bound" in p for p in problems)
    assert "declared subscription identity.user_joined.v1 has no handler" in problems
    assert "handler for directory.people_upserted is not a declared subscription" in problems
    assert any("on_people is not declared with shared.messaging.handles()" in p for p in problems)


def test_drift_check_passes_a_faithful_service():
    contract, joined = _drifting_contract()

    class Pinger:
        name = "pinger"

        @rpc_endpoint(contract.rpcs["ping_server"])
        def ping_server(self, request):
            return {}

        @rpc_endpoint(contract.rpcs["count_pings"])
        def count_pings(self, request):
            return {}

        @handles(joined)
        def on_joined(self, payload):
            return None

    assert contract_drift(contract, Pinger) == []


def test_rpc_endpoint_refuses_a_method_named_unlike_its_contract():
    contract, _ = _drifting_contract()
    with pytest.raises(TypeError):
        @rpc_endpoint(contract.rpcs["ping_server"])
        def ping(self, request):
            return {}

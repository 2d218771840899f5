"""Compare a nameko service class with the contract it claims to implement."""
from __future__ import annotations

import inspect

from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

from shared.contracts.base import ServiceContract


def _entrypoints(service_cls):
    for attribute, member in inspect.getmembers(service_cls):
        for entrypoint in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            yield attribute, member, entrypoint


def contract_drift(contract: ServiceContract, service_cls) -> list[str]:
    """Every difference between what `service_cls` serves and what `contract` declares."""
    problems = []
    if getattr(service_cls, "name", None) != contract.name:
        problems.append(f"service name {getattr(service_cls, 'name', None)!r} is not {contract.name!r}")

    served = {}
    subscribed = set()
    for attribute, member, entrypoint in _entrypoints(service_cls):
        if isinstance(entrypoint, Rpc):
            served[attribute] = member
        elif isinstance(entrypoint, EventHandler):
            subscribed.add((entrypoint.source_service, entrypoint.event_type))
            if getattr(member, "contract_event", None) is None:
                problems.append(f"handler {attribute} is not declared with shared.messaging.handles()")

    for name in sorted(set(contract.rpcs) - set(served)):
        problems.append(f"declared RPC {contract.name}.{name} is not served")
    for name in sorted(set(served) - set(contract.rpcs)):
        problems.append(f"RPC {name} is served but not declared in the contract")
    for name, member in served.items():
        declared = contract.rpcs.get(name)
        if declared is not None and getattr(member, "contract_method", None) is not declared:
            problems.append(f"RPC {name} is not bound to its contract method with shared.messaging.rpc_endpoint()")

    declared_subscriptions = {(event.service, event.name) for event in contract.subscriptions}
    for service, event in sorted(declared_subscriptions - subscribed):
        problems.append(f"declared subscription {service}.{event} has no handler")
    for service, event in sorted(subscribed - declared_subscriptions):
        problems.append(f"handler for {service}.{event} is not a declared subscription")
    return problems

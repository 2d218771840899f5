"""The vocabulary a contract module is written in.

A contract module names, for one service, every RPC method it answers, every
event it publishes and every event it subscribes to, each with its
marshmallow payload schema. Services, the gateway and the CLI import these
objects instead of typing service or event names by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import Schema, ValidationError

from shared.contracts.errors import InvalidRequest


@dataclass(frozen=True)
class RpcMethod:
    service: str
    name: str
    request: type[Schema]
    response: type[Schema]

    def load_request(self, payload: dict | None) -> dict:
        return _load(self.request, payload or {}, f"{self.service}.{self.name}")

    def dump_response(self, result) -> dict:
        return self.response().dump(result)

    def dump_request(self, payload: dict) -> dict:
        """Validate a caller's payload before it crosses the wire."""
        return self.request().dump(self.load_request(payload))


@dataclass(frozen=True)
class Event:
    service: str
    name: str
    payload: type[Schema]

    def dump(self, payload: dict) -> dict:
        return self.payload().dump(_load(self.payload, payload, f"{self.service}.{self.name}"))

    def load(self, payload: dict) -> dict:
        return _load(self.payload, payload, f"{self.service}.{self.name}")


@dataclass
class ServiceContract:
    """Everything that crosses the boundary of one service."""

    name: str
    rpcs: dict[str, RpcMethod] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    subscriptions: list[Event] = field(default_factory=list)

    def rpc(self, name: str, *, request: type[Schema], response: type[Schema]) -> RpcMethod:
        method = RpcMethod(self.name, name, request, response)
        self.rpcs[name] = method
        return method

    def event(self, name: str, payload: type[Schema]) -> Event:
        event = Event(self.name, name, payload)
        self.events[name] = event
        return event

    def subscribe(self, *events: Event) -> None:
        self.subscriptions.extend(events)


def _load(schema: type[Schema], payload: dict, where: str) -> dict:
    try:
        return schema().load(payload)
    except ValidationError as error:
        raise InvalidRequest(f"invalid {where} payload", fields=error.normalized_messages()) from None

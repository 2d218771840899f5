"""The vocabulary a contract module is written in.

A contract module names, for one service, every RPC method it answers, every
event it publishes and every event it subscribes to, each with its
marshmallow payload schema. Services, the gateway and the CLI import these
objects instead of typing service or event names by hand.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from marshmallow import Schema, ValidationError

from shared.contracts.errors import InvalidRequest
from shared.contracts.fast_load import NotPlain, compile_dumper, compile_loader, dumps_as_loaded


@dataclass(frozen=True)
class RpcMethod:
    service: str
    name: str
    request: type[Schema]
    response: type[Schema]
    # What the method does, for the catalogue (docs/contracts/); the request schema's docstring otherwise.
    description: str = ""
    # Answering changes nothing, so a call lost with the broker is simply asked again: its request and its
    # reply travel as transient messages, the reply without a publisher confirm (shared/rpc_replies.py).
    read: bool = False

    def load_request(self, payload: dict | None) -> dict:
        return _load(self.request, payload or {}, f"{self.service}.{self.name}")

    def dump_response(self, result) -> dict:
        dumped = _dump_plainly(self.response, result)
        return dumped if dumped is not None else schema_instance(self.response).dump(result)

    def dump_request(self, payload: dict) -> dict:
        """Refuse a malformed payload before it crosses the wire; send it as the caller wrote it.

        Sending the caller's own dict (not a re-dump) keeps load-only fields such as
        passwords, and validates each row once here instead of loading and dumping it.
        """
        if _loads_plainly(self.request, payload):
            return payload
        errors = schema_instance(self.request).validate(payload)
        if errors:
            raise InvalidRequest(f"invalid {self.service}.{self.name} payload", fields=errors)
        return payload


# The envelope every event payload travels in: its own fields and the id the publisher's outbox gave it
# (a uuid4 hex), which consumers remember to handle each event once (shared/outbox.py).
EVENT_ID = "event_id"


def with_event_id(payload: dict, event_id: str) -> dict:
    return {**payload, EVENT_ID: event_id}


def event_id_of(message: dict) -> str | None:
    """The envelope's event id; None from a publisher that sent none (a test's bare dispatch)."""
    event_id = message.get(EVENT_ID) if isinstance(message, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None


@dataclass(frozen=True)
class Event:
    service: str
    name: str
    payload: type[Schema]
    # What the event says happened, for the catalogue; the payload schema's docstring otherwise.
    description: str = ""

    def dump(self, payload: dict) -> dict:
        """The payload as it goes out: validated here, so a publisher's mistake is its own error and
        never a page every subscriber drops.

        Most event schemas are plain JSON (strings, booleans, lists, nested rows) whose dump gives
        back what the load gave, so the loaded payload is sent as it is; the others (datetimes) are
        loaded and then dumped.
        """
        loaded = _load(self.payload, payload, f"{self.service}.{self.name}")
        return loaded if _dumps_as_loaded(self.payload) else schema_instance(self.payload).dump(loaded)

    def load(self, payload: dict) -> dict:
        """The payload as its schema loads it, out of its envelope (the event id is not the schema's)."""
        if isinstance(payload, dict) and EVENT_ID in payload:
            payload = {key: value for key, value in payload.items() if key != EVENT_ID}
        return _load(self.payload, payload, f"{self.service}.{self.name}")


@dataclass
class ServiceContract:
    """Everything that crosses the boundary of one service."""

    name: str
    rpcs: dict[str, RpcMethod] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    subscriptions: list[Event] = field(default_factory=list)

    def rpc(self, name: str, *, request: type[Schema], response: type[Schema], description: str = "",
            read: bool = False) -> RpcMethod:
        method = RpcMethod(self.name, name, request, response, description, read)
        self.rpcs[name] = method
        return method

    def event(self, name: str, payload: type[Schema], description: str = "", *, version: int = 1) -> Event:
        """An event, named on the wire with its version (`people_upserted.v1`): a payload that changes
        incompatibly is published as a new version beside the old one, so subscribers move one at a time."""
        event = Event(self.name, f"{name}.v{version}", payload, description)
        self.events[event.name] = event
        return event

    def subscribe(self, *events: Event) -> None:
        self.subscriptions.extend(events)


@functools.cache
def schema_instance(schema: type[Schema]) -> Schema:
    """The one instance of `schema` every caller shares."""
    # Building a schema (and its nested schemas) costs more than loading a row with it;
    # marshmallow 4 schemas hold no per-call state, so one instance per class serves all.
    return schema()


@functools.cache
def _plain_loader(schema: type[Schema]):
    return compile_loader(schema_instance(schema))


@functools.cache
def _dumps_as_loaded(schema: type[Schema]) -> bool:
    return dumps_as_loaded(schema_instance(schema))


def _load_plainly(schema: type[Schema], payload) -> dict | None:
    """The payload loaded by the fast path (shared/contracts/fast_load.py), or None when it takes
    marshmallow itself: to coerce a value, or to say what is wrong."""
    loader = _plain_loader(schema)
    if loader is None:
        return None
    try:
        return loader(payload)
    except (NotPlain, ValidationError):
        return None


@functools.cache
def _plain_dumper(schema: type[Schema]):
    return compile_dumper(schema_instance(schema))


def _dump_plainly(schema: type[Schema], data) -> dict | None:
    """`data` dumped by the fast path, or None when marshmallow must dump it (shared/contracts/fast_load.py)."""
    dumper = _plain_dumper(schema)
    if dumper is None:
        return None
    try:
        return dumper(data)
    except NotPlain:
        return None


def _loads_plainly(schema: type[Schema], payload) -> bool:
    return _load_plainly(schema, payload) is not None


def load_with(schema: type[Schema], payload) -> dict:
    """What `schema` loads from the payload: by the fast path when marshmallow would load it unchanged, else by
    marshmallow itself (its ValidationError included)."""
    loaded = _load_plainly(schema, payload)
    return loaded if loaded is not None else schema_instance(schema).load(payload)


def _load(schema: type[Schema], payload: dict, where: str) -> dict:
    try:
        return load_with(schema, payload)
    except ValidationError as error:
        raise InvalidRequest(f"invalid {where} payload", fields=error.normalized_messages()) from None

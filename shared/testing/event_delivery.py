"""Delivering events as an outbox relay does (shared/outbox.py): in their envelope, with an event id; and twice,
as at-least-once delivery may, to show a consumer's second handling changes nothing."""
from __future__ import annotations

import uuid
from typing import Any

from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from shared.contracts.base import Event, with_event_id


def handler_of(service_class: type, event: Event) -> str:
    """The name of the service's handler for `event` (tests never type it by hand)."""
    for name in dir(service_class):
        if getattr(getattr(service_class, name), "contract_event", None) is event:
            return name
    raise LookupError(f"{service_class.__name__} does not handle {event.service}.{event.name}")


def handled_events(service_class: type) -> list[Event]:
    """Every contract event the service has a handler for."""
    return [entry.contract_event for entry in (getattr(service_class, name) for name in dir(service_class))
            if getattr(entry, "contract_event", None) is not None]


class EnvelopeDispatcher:
    """dispatch(event, payload, event_id=None): publishes as the event's owner's relay would; the event id."""

    def __init__(self, config: dict) -> None:
        self._dispatch = event_dispatcher(config)

    def __call__(self, event: Event, payload: dict, event_id: str | None = None) -> str:
        event_id = event_id or uuid.uuid4().hex
        self._dispatch(event.service, event.name, with_event_id(event.dump(payload), event_id))
        return event_id


def deliver_twice(container, dispatch: EnvelopeDispatcher, event: Event, payload: dict, *,
                  timeout: float = 20) -> tuple[Any, Any]:
    """Deliver one event (one event id) twice to the container's handler, waiting for each; both results."""
    handler = handler_of(container.service_cls, event)
    results = []
    event_id = uuid.uuid4().hex
    for _ in range(2):
        with entrypoint_waiter(container, handler, timeout=timeout) as result:
            dispatch(event, payload, event_id)
        results.append(result.get())
    return results[0], results[1]

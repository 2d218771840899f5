"""Helpers for driving a NotifyService container from tests."""
from __future__ import annotations

from services.notify.service import NotifyService
from shared.contracts.base import Event

# Long enough for a page of hundreds of rows on a busy CI machine.
EVENT_WAIT_SECONDS = 20


def handler_for(event: Event) -> str:
    """The name of NotifyService's handler for `event`, so tests never type it by hand."""
    for name in dir(NotifyService):
        if getattr(getattr(NotifyService, name), "contract_event", None) is event:
            return name
    raise LookupError(f"NotifyService does not handle {event.service}.{event.name}")

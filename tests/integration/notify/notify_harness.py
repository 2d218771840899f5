"""Helpers for driving a NotifyService container from tests."""
from __future__ import annotations

from services.notify.service import NotifyService
from shared.contracts.base import Event
from shared.testing.event_delivery import handler_of

# Long enough for a page of hundreds of rows on a busy CI machine.
EVENT_WAIT_SECONDS = 20


def handler_for(event: Event) -> str:
    """The name of NotifyService's handler for `event`, so tests never type it by hand."""
    return handler_of(NotifyService, event)

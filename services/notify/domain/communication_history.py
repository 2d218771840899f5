"""A person's communication history as a profile shows it: which of their communications a viewer sees, and
each one's deliveries to that person. Plain values, no I/O.

The rule itself is shared (shared.contracts.permissions); this module turns it into what the store filters
on and what the answer shows.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.notify.domain.delivery import Communication
from services.notify.domain.inbox import INBOX_KINDS, preview
from shared.contracts.errors import PermissionDenied
from shared.contracts.permissions import (
    HISTORY_NOTHING, HISTORY_TOOK_PART, communication_history_scope, may_see_delivery_status,
)

HISTORY_KINDS = INBOX_KINDS


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Whose communications, and which of them: those of `district_id` (None: any, for one's own), and when
    `took_part_id` is set only those that person sent or is a conversation participant of."""

    person_id: str
    district_id: str | None
    took_part_id: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    communication_id: str
    kind: Communication
    conversation_id: str | None
    subject: str | None
    body: str
    priority: bool
    sender_id: str | None
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryDelivery:
    communication_id: str
    channel: str
    address: str | None
    status: str
    reason: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryView:
    filter: HistoryFilter
    scope: str
    show_delivery_status: bool


def history_view(viewer: Mapping, person_id: str) -> HistoryView:
    """What `viewer` sees of `person_id`'s history; PermissionDenied when nothing at all."""
    scope = communication_history_scope(viewer, person_id)
    if scope == HISTORY_NOTHING:
        raise PermissionDenied("Only staff see the communications of other people.")
    own = viewer["person_id"] == person_id
    # Staff see people of their own district only; directory has already said whether this one is in scope.
    district_id = None if own else viewer.get("district_id")
    if not own and district_id is None:
        raise PermissionDenied("Only staff of a district see the communications of its people.")
    took_part_id = viewer["person_id"] if scope == HISTORY_TOOK_PART else None
    return HistoryView(HistoryFilter(person_id, district_id, took_part_id), scope,
                       may_see_delivery_status(viewer, person_id))


def history_items(entries: Iterable[HistoryEntry], deliveries: Iterable[HistoryDelivery], *,
                  show_delivery_status: bool) -> list[dict]:
    """Each entry as the answer lists it; its deliveries to the person only when the viewer may see them."""
    by_communication: dict[str, list[dict]] = {}
    for delivery in deliveries:
        by_communication.setdefault(delivery.communication_id, []).append({
            "channel": delivery.channel, "address": delivery.address, "status": delivery.status,
            "reason": delivery.reason, "updated_at": delivery.updated_at})
    items = []
    for entry in entries:
        item = {"communication_id": entry.communication_id, "kind": entry.kind.value,
                "conversation_id": entry.conversation_id, "subject": entry.subject, "preview": preview(entry.body),
                "priority": entry.priority, "sender_id": entry.sender_id, "sent_at": entry.sent_at}
        if show_delivery_status:
            item["deliveries"] = by_communication.get(entry.communication_id, [])
        items.append(item)
    return items

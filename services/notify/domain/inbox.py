"""The app inbox as a person sees it: their items, newest first, read or not. Plain values, no I/O.

An item is one communication in one person's inbox (the app channel's delivery). Every kind of
communication a person can get in the app lands here with its `kind`, so a new kind (conversation
messages) needs only its name in INBOX_KINDS and its text in the item.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.notify.domain.delivery import Communication
from services.notify.domain.moderation import shown_text

# What the inbox lists; invitations and verification codes are never sent to the app.
INBOX_KINDS = (Communication.ANNOUNCEMENT, Communication.MESSAGE)
PREVIEW_LENGTH = 140


@dataclass(frozen=True, slots=True)
class InboxFilter:
    unread_only: bool = False
    kind: Communication | None = None


@dataclass(frozen=True, slots=True)
class InboxItem:
    communication_id: str
    kind: Communication
    subject: str | None
    body: str
    priority: bool
    sender_id: str | None
    received_at: datetime
    read_at: datetime | None
    # A conversation message a moderator hid: everyone sees the notice instead of its body.
    hidden: bool = False

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def shown_body(self) -> str:
        return shown_text(self.body, self.hidden)


def inbox_filter(request: Mapping) -> InboxFilter:
    kind = request.get("kind")
    return InboxFilter(unread_only=bool(request.get("unread")), kind=Communication(kind) if kind else None)


def preview(body: str, length: int = PREVIEW_LENGTH) -> str:
    """The first words of a body, on one line, cut at a word where it can be."""
    text = " ".join(body.split())
    if len(text) <= length:
        return text
    cut = text[:length - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > length // 2 else cut).rstrip() + "…"


def summary(item: InboxItem) -> dict:
    """An item as the inbox lists it: its preview, not its whole body."""
    return {**_common(item), "preview": preview(item.shown_body)}


def opened(item: InboxItem) -> dict:
    """An item as its reader opens it: the whole body."""
    return {**_common(item), "preview": preview(item.shown_body), "body": item.shown_body}


def _common(item: InboxItem) -> dict:
    return {"communication_id": item.communication_id, "kind": item.kind.value, "subject": item.subject,
            "priority": item.priority, "sender_id": item.sender_id, "received_at": item.received_at,
            "read": item.read, "read_at": item.read_at}

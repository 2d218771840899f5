"""The app inbox as a person sees it: their items, newest first, read or not. Plain values, no I/O.

An item is one communication in one person's inbox (the app channel's delivery). Every kind of
communication a person can get in the app lands here with its `kind`, so a new kind (conversation
messages) needs only its name in INBOX_KINDS and its text in the item.

Its subject and text are shown in the reader's language: the translation stored for the communication
in that language when it was sent (domain.translation.render, as the worker renders the message), the
original with a note when that translation failed, and the original as written on request or when the
reader's language is the sender's.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.notify.domain.delivery import Communication
from services.notify.domain.moderation import shown_text
from services.notify.domain.translation import (
    CommunicationTranslation,
    TranslationOutcome,
    language_key,
    render,
    same_language,
)
from shared.contracts.conversations import AS_WRITTEN, TRANSLATED, TRANSLATION_UNAVAILABLE
from shared.contracts.identity import DEFAULT_LANGUAGE

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
    original_language: str = DEFAULT_LANGUAGE  # its sender's
    reader_language: str | None = None  # the inbox owner's
    translation: CommunicationTranslation | None = None  # stored for the reader's language, if any

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def shown_body(self) -> str:
        return shown_text(self.body, self.hidden)


@dataclass(frozen=True, slots=True)
class ShownItem:
    subject: str | None
    body: str
    language: str
    original_language: str
    translation: str  # AS_WRITTEN, TRANSLATED or TRANSLATION_UNAVAILABLE


def shown(item: InboxItem, *, original: bool = False) -> ShownItem:
    """The item's subject and body as its reader sees them: in their language unless `original` is asked."""
    as_written = ShownItem(item.subject, item.shown_body, item.original_language, item.original_language, AS_WRITTEN)
    if item.hidden or original or item.reader_language is None or \
            same_language(item.reader_language, item.original_language):
        return as_written
    translation = item.translation
    if translation is None or language_key(translation.language) != language_key(item.reader_language):
        return as_written  # the reader's language changed after it was sent: as written, as the worker sent it
    text = render(subject=item.subject, body=item.body, original_language=item.original_language,
                  language=item.reader_language, translations={translation.language: translation})
    outcome = TRANSLATED if translation.outcome is TranslationOutcome.TRANSLATED else TRANSLATION_UNAVAILABLE
    return ShownItem(text.subject, text.body, text.language, item.original_language, outcome)


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


def summary(item: InboxItem, *, original: bool = False) -> dict:
    """An item as the inbox lists it: its preview, not its whole body."""
    text = shown(item, original=original)
    return {**_common(item, text), "preview": preview(text.body)}


def opened(item: InboxItem, *, original: bool = False) -> dict:
    """An item as its reader opens it: the whole body."""
    text = shown(item, original=original)
    return {**_common(item, text), "preview": preview(text.body), "body": text.body}


def _common(item: InboxItem, text: ShownItem) -> dict:
    return {"communication_id": item.communication_id, "kind": item.kind.value, "subject": text.subject,
            "priority": item.priority, "sender_id": item.sender_id, "received_at": item.received_at,
            "read": item.read, "read_at": item.read_at, "language": text.language,
            "original_language": text.original_language, "translation": text.translation}

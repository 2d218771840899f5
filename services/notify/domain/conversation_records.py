"""Conversations as the use cases hand them around: plain values, no I/O."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoredParticipant:
    person_id: str
    position: int
    role: str
    given_name: str | None = None
    family_name: str | None = None


@dataclass(frozen=True, slots=True)
class StoredConversation:
    id: str
    district_id: str
    started_by: str
    created_at: datetime
    last_message_at: datetime
    participants: tuple[StoredParticipant, ...]


@dataclass(frozen=True, slots=True)
class NewMessage:
    id: str
    conversation_id: str
    author_id: str | None
    possible_author_ids: Sequence[str]
    via: str
    text: str
    attachments: Sequence[dict]
    communication_id: str | None
    created_at: datetime
    source_ref: str | None = None


@dataclass(frozen=True)
class ReplySettings:
    """How replies come back: the Reply-To token key, the inbound email domain, the inbound URL's secret."""

    token_secret: bytes | None
    email_domain: str
    url_secret: str | None

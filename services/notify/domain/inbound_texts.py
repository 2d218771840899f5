"""Which texts of a batch of inbound SMS become conversation messages, and whose they are.

The rules of a single text, over a whole batch (the caller reads what they need in one statement each):
- a text goes into the conversation whose latest message went to its phone by SMS; a phone no
  conversation message went to, or a text with nothing in it, files nothing;
- on a phone several participants share, the author is any of them (`possible_author_ids`);
- a MessageSid files at most once: a replay within the batch files nothing here, and one filed before
  is refused by the store (the message's source_ref is unique);
- texts keep the order they came in: each gets its own moment, a microsecond after the one before.
STOP and START never reach this module: they change the phone's state and are never filed.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notify.domain.conversations import Attribution, attribute_text

TWILIO_SOURCE_PREFIX = "twilio:"


@dataclass(frozen=True, slots=True)
class InboundText:
    phone: str
    text: str
    message_sid: str | None


@dataclass(frozen=True, slots=True)
class ReplyToFile:
    conversation_id: str
    author: Attribution
    text: str
    source_ref: str | None
    created_at: datetime


def replies_to_file(texts: Sequence[InboundText], *,
                    latest: Mapping[str, tuple[str, str]],
                    sharers: Mapping[tuple[str, str], Iterable[str]],
                    now: datetime) -> list[ReplyToFile]:
    """The replies these texts file. `latest`: phone -> (conversation id, person the latest message went to);
    `sharers`: (conversation id, phone) -> the participants whose mobile is that phone."""
    replies = []
    seen_sources: set[str] = set()
    for text in texts:
        body = text.text.strip()
        route = latest.get(text.phone)
        source_ref = f"{TWILIO_SOURCE_PREFIX}{text.message_sid}" if text.message_sid else None
        if route is None or not body or (source_ref is not None and source_ref in seen_sources):
            continue
        if source_ref is not None:
            seen_sources.add(source_ref)
        conversation_id, recipient = route
        author = attribute_text(sharers.get((conversation_id, text.phone), ()), recipient)
        replies.append(ReplyToFile(conversation_id, author, body, source_ref,
                                   now + timedelta(microseconds=len(replies))))
    return replies


def routed_pairs(texts: Iterable[InboundText], latest: Mapping[str, tuple[str, str]]) -> set[tuple[str, str]]:
    """The (conversation id, phone) pairs whose sharers the batch needs."""
    return {(latest[text.phone][0], text.phone) for text in texts if text.phone in latest}

"""Conversations: who may talk with whom, what a message says on each channel, and how replies find their way.

Pure. The rules (DESIGN.md "Conversations, inbox and language"):
- staff start a conversation with guardians or enabled students (one person or a small group, up to 15);
  a guardian or an enabled student starts one with a teacher of their student or class; nobody archived,
  nobody notify does not know, and no student whose account is not enabled takes part;
- a message goes to every other participant by rows M1-M4 (the planner's MESSAGE rows);
- a text from a phone is filed into the conversation whose latest message went to that phone; on a shared
  phone its author is not known, and every participant who shares the phone may have written it;
- an email reply goes to a Reply-To address unique to the conversation and the recipient: a token signed
  with HMAC-SHA256, carrying its own expiry, short enough for an address's local part (64 characters).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.notify.domain.delivery import Communication
from services.notify.domain.planner import PlanRequest
from shared.contracts.conversations import FAMILY, MAX_PARTICIPANTS, STAFF
from shared.contracts.directory import GUARDIAN, STUDENT
from shared.contracts.directory import STAFF as STAFF_KIND

# How long a Reply-To address keeps working after the message that carried it.
REPLY_TOKEN_DAYS = 60
REPLY_PREFIX = "reply-"
_EPOCH = date(1970, 1, 1)
_SIGNATURE_BYTES = 10  # 80 bits: guessing one is out of reach, and the address stays short
_PAYLOAD = struct.Struct(">16sBH")  # conversation id, participant position, expiry day


def message_request(district_default) -> PlanRequest:
    return PlanRequest(Communication.MESSAGE, district_default=district_default)


class Refusal(StrEnum):
    """Why a person cannot take part in a new conversation."""

    NOT_FOUND = "not_found"  # unknown to notify, or out of the starter's reach
    ARCHIVED = "archived"
    STUDENT_NOT_ENABLED = "student_not_enabled"
    NOT_FAMILY = "not_a_guardian_or_student"  # staff talk here with families
    NOT_THEIR_TEACHER = "not_their_teacher"
    TOO_MANY = "too_many_participants"
    SELF = "self"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone as the conversation rules see them (notify's projection)."""

    person_id: str
    kinds: tuple[str, ...]
    student_account_enabled: bool
    archived: bool


def role_of(kinds: Iterable[str]) -> str:
    """Staff when the directory says so; a guardian or student is family."""
    return STAFF if STAFF_KIND in set(kinds) else FAMILY


def refusals_for_staff_start(starter_id: str, people: Mapping[str, Person | None],
                             reachable: Iterable[str]) -> dict[str, Refusal]:
    """Staff start with guardians or enabled students in their reach; each refused person with why."""
    reachable = set(reachable)
    refused: dict[str, Refusal] = {}
    if len(people) > MAX_PARTICIPANTS:
        return {person_id: Refusal.TOO_MANY for person_id in people}
    for person_id, person in people.items():
        refusal = _common_refusal(starter_id, person_id, person, reachable)
        if refusal is None and not ({GUARDIAN, STUDENT} & set(person.kinds)):
            refusal = Refusal.NOT_FAMILY
        if refusal is None and STUDENT in person.kinds and GUARDIAN not in person.kinds \
                and not person.student_account_enabled:
            refusal = Refusal.STUDENT_NOT_ENABLED
        if refusal is not None:
            refused[person_id] = refusal
    return refused


def refusals_for_family_start(starter_id: str, people: Mapping[str, Person | None],
                              teachers: Iterable[str]) -> dict[str, Refusal]:
    """A guardian or enabled student starts with exactly one teacher of their student or class."""
    teachers = set(teachers) - {starter_id}
    if len(people) != 1:
        return {person_id: Refusal.TOO_MANY for person_id in people}
    # Directory lists only current teachers; anyone else, whoever they are, is not the family's to name.
    return {person_id: Refusal.NOT_THEIR_TEACHER for person_id in people if person_id not in teachers}


def _common_refusal(starter_id: str, person_id: str, person: Person | None, allowed: set[str]) -> Refusal | None:
    if person_id == starter_id:
        return Refusal.SELF
    if person is None:
        return Refusal.NOT_FOUND
    if person.archived:
        return Refusal.ARCHIVED
    if person_id not in allowed:
        return Refusal.NOT_FOUND
    return None


def may_start_as_family(person: Person | None, roles: Iterable[str]) -> bool:
    """A signed-in guardian, or an enabled student, may start a conversation with a teacher."""
    if person is None or person.archived:
        return False
    if GUARDIAN in set(roles):
        return True
    return STUDENT in set(roles) and person.student_account_enabled


# --- what a message says ---------------------------------------------------------------------------

def message_subject(sender_name: str) -> str:
    return f"New message from {sender_name}"


def message_body(sender_name: str, text: str, attachments: Sequence[Mapping[str, object]]) -> str:
    """One text for every channel (the SMS is the same words): who wrote, what, and links to the files."""
    lines = [f"{sender_name}: {text}"]
    lines += [f"Attachment: {attachment['name']} {attachment['url']}" for attachment in attachments]
    return "\n".join(lines)


def display_name(given_name: str | None, family_name: str | None) -> str:
    return " ".join(part for part in (given_name, family_name) if part) or "Someone from school"


# --- replies by SMS --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Attribution:
    author_id: str | None  # None: the phone is shared, nobody knows which sharer wrote
    possible_author_ids: tuple[str, ...]


def attribute_text(sharers: Iterable[str], recipient_of_latest: str) -> Attribution:
    """Who wrote a text from a phone: the one participant on it, or any of its sharers (never empty)."""
    people = sorted(set(sharers) | {recipient_of_latest})
    if len(people) == 1:
        return Attribution(people[0], ())
    return Attribution(None, tuple(people))


def message_recipients(participants: Iterable[str], author: Attribution) -> list[str]:
    """Everyone but whoever may have written it."""
    writers = {author.author_id} if author.author_id else set(author.possible_author_ids)
    return sorted(set(participants) - writers)


# --- replies by email ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ReplyRoute:
    conversation_id: str
    position: int  # the participant's place in the conversation (0 = the starter)
    expires_on: date


class BadReplyToken(ValueError):
    """A Reply-To token that is malformed, forged, or expired."""


def reply_token(secret: bytes, route: ReplyRoute) -> str:
    payload = _PAYLOAD.pack(bytes.fromhex(route.conversation_id), route.position,
                            (route.expires_on - _EPOCH).days)
    signature = hmac.new(secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    # Base32 in lower case: mail systems may change the case of an address's local part.
    return _encoded(payload + signature)


def _encoded(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=").lower()


def read_reply_token(secret: bytes, token: str, *, today: date) -> ReplyRoute:
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (ValueError, TypeError):
        raise BadReplyToken("not a reply token") from None
    # Only the canonical spelling: the last base32 character carries spare bits that decode the same.
    if len(raw) != _PAYLOAD.size + _SIGNATURE_BYTES or _encoded(raw) != token.lower():
        raise BadReplyToken("not a reply token")
    payload, signature = raw[:_PAYLOAD.size], raw[_PAYLOAD.size:]
    expected = hmac.new(secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    if not hmac.compare_digest(signature, expected):
        raise BadReplyToken("the reply token's signature does not verify")
    conversation, position, day = _PAYLOAD.unpack(payload)
    expires_on = _EPOCH + timedelta(days=day)
    if expires_on < today:
        raise BadReplyToken("the reply token has expired")
    return ReplyRoute(conversation.hex(), position, expires_on)


def reply_address(secret: bytes, route: ReplyRoute, domain: str) -> str:
    return f"{REPLY_PREFIX}{reply_token(secret, route)}@{domain}"


def tokens_in(addresses: Iterable[str], domain: str) -> list[str]:
    """The reply tokens of the addresses at our inbound domain, in the order given, each once."""
    found: dict[str, None] = {}
    for address in addresses:
        local, _, host = address.strip().strip("<>").rpartition("@")
        if host.lower() == domain.lower() and local.lower().startswith(REPLY_PREFIX):
            found[local[len(REPLY_PREFIX):].lower()] = None
    return list(found)


def expiry_from(today: date) -> date:
    return today + timedelta(days=REPLY_TOKEN_DAYS)

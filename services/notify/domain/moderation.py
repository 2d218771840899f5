"""Content moderation's rules: what a hidden message shows, and which decisions make sense. No I/O.

A hidden message keeps its text (a moderator may restore it and judges what was written); everyone else sees
HIDDEN_NOTICE in its place, without its attachments, wherever it is shown (the conversation, its summary,
the inbox).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shared.contracts.moderation import FLAGGED, HIDDEN, HIDDEN_NOTICE, RESTORED

NOT_A_PARTICIPANT = "not a participant"
OWN_MESSAGE = "you wrote this message: ask a moderator directly if it should go"
ALREADY_HIDDEN = "this message is hidden already"
NOT_HIDDEN = "this message is not hidden"


def shown_text(text: str, hidden: bool) -> str:
    return HIDDEN_NOTICE if hidden else text


def as_shown(message: Mapping, hidden: bool) -> dict:
    """A message as participants see it: a hidden one is the notice, with no attachments."""
    if not hidden:
        return {**message, "hidden": False}
    return {**message, "text": HIDDEN_NOTICE, "attachments": [], "hidden": True}


def flag_refusal(person_id: str, author_id: str | None, participant_ids: Iterable[str]) -> str | None:
    """Why `person_id` may not flag a message of `author_id` in a conversation of `participant_ids`."""
    if person_id not in set(participant_ids):
        return NOT_A_PARTICIPANT
    if person_id == author_id:
        return OWN_MESSAGE
    return None


def decision_refusal(action: str, hidden: bool) -> str | None:
    """Why hiding or restoring a message that is (or is not) hidden makes no sense; None when it does."""
    if action == HIDDEN and hidden:
        return ALREADY_HIDDEN
    if action == RESTORED and not hidden:
        return NOT_HIDDEN
    return None


def hidden_after(action: str, hidden_before: bool) -> bool:
    """A flag changes nothing shown; hiding hides; restoring shows."""
    if action == FLAGGED:
        return hidden_before
    return action == HIDDEN


@dataclass(frozen=True, slots=True)
class ModeratedMessage:
    """A conversation message as moderation sees it: where it is, who takes part, whether it is hidden."""

    id: str
    conversation_id: str
    district_id: str
    author_id: str | None
    text: str
    created_at: datetime
    hidden_at: datetime | None
    hidden_by: str | None
    participant_ids: tuple[str, ...]
    participant_schools: frozenset[str]

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


# What hiding does to the message's deliveries, said in the moderator's answer (and the docs).
WITHDRAWAL_NOTE = ("Its deliveries not yet handed to a provider were withdrawn and will not be sent (the delivery "
                   "report shows them skipped, withdrawn_by_moderator). What was already handed to a provider "
                   "(SMS, email, calls, push notifications) cannot be recalled, and should it fail it falls back to "
                   "nothing; the app shows everyone the notice from now on.")
RESTORE_NOTE = "Deliveries withdrawn when it was hidden are not sent again."


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """What hiding a message did to its deliveries, per channel: withdrawn before any provider had them, or
    handed to a provider already (the send ledger holds them) and so beyond recall."""

    withdrawn: Mapping[str, int] = field(default_factory=dict)
    already_sent: Mapping[str, int] = field(default_factory=dict)


def withdrawal_answer(withdrawal: Withdrawal | None, action: str) -> dict:
    """The moderator's answer about deliveries: counts per channel and what they mean."""
    withdrawal = withdrawal or Withdrawal()
    return {"withdrawn": sum(withdrawal.withdrawn.values()), "already_sent": sum(withdrawal.already_sent.values()),
            "withdrawn_by_channel": dict(withdrawal.withdrawn), "already_sent_by_channel": dict(withdrawal.already_sent),
            "note": WITHDRAWAL_NOTE if action == HIDDEN else RESTORE_NOTE}

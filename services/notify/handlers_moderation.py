"""Content moderation: a participant flags a message; an administrator or Content Moderator lists the flagged
messages in their reach and hides or restores them. Every decision (a flag too) is published as
CONTENT_MODERATED, which the directory keeps in its audit log: who, when, why, before and after.

Who may moderate which conversation: permissions.may_moderate (a conversation's schools are its participants');
what a hidden message shows: domain.moderation. Hiding withdraws the message's deliveries no provider has had
yet (they are never sent; the report shows them skipped, withdrawn_by_moderator); what was already handed to a
provider by SMS, email, call or push cannot be recalled, and the answer says how many of each there were.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.notify.domain import moderation as rules
from services.notify.domain.moderation import ModeratedMessage, Withdrawal
from shared.contracts import moderation as contract
from shared.contracts import notify
from shared.contracts.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from shared.contracts.permissions import MODERATE_CONTENT, may, may_moderate, moderation_reach
from shared.outbox import Announce, nothing_to_announce

Clock = Callable[[], datetime]
Publish = Callable[..., None]
NO_SUCH_MESSAGE = "No such message."


class ModerationStore(Protocol):
    def message(self, message_id: str) -> ModeratedMessage | None: ...

    def add_flag(self, flag: dict, *, announce_new: Announce = nothing_to_announce) -> tuple[dict, bool]: ...

    def set_hidden(self, message_id: str, *, hidden_by: str | None, now: datetime,
                   announce: Announce = nothing_to_announce) -> Withdrawal | None: ...

    def flagged_page(self, district_id: str, schools: frozenset[str] | None, *, pending_only: bool, offset: int,
                     limit: int) -> tuple[list[ModeratedMessage], int]: ...

    def flags_of(self, message_ids: list[str]) -> dict[str, list[dict]]: ...


def flag_message(request: dict, *, store: ModerationStore, publish: Publish, clock: Clock) -> dict:
    person_id = request["viewer"]["person_id"]
    message = store.message(request["message_id"])
    if message is None or message.conversation_id != request["conversation_id"]:
        raise NotFound(NO_SUCH_MESSAGE, fields={"message_id": ["no message of this conversation has this id"]})
    refusal = rules.flag_refusal(person_id, message.author_id, message.participant_ids)
    if refusal == rules.NOT_A_PARTICIPANT:
        raise NotFound("No such conversation.", fields={"conversation_id": ["no conversation of yours has this id"]})
    if refusal:
        raise InvalidRequest("You cannot flag this message.", fields={"message_id": [refusal]})
    now = clock()
    flag, _ = store.add_flag(
        {"id": uuid.uuid4().hex, "message_id": message.id, "flagged_by": person_id, "reason": request["reason"],
         "created_at": now, "reviewed_at": None},
        announce_new=lambda: _publish_decision(publish, message, contract.FLAGGED, person_id, request["reason"], now))
    return _flag_answer(flag, message.conversation_id)


def list_flagged_messages(request: dict, *, store: ModerationStore) -> dict:
    viewer = request["viewer"]
    if not may(viewer, MODERATE_CONTENT) or viewer.get("district_id") is None:
        raise PermissionDenied("Only administrators and Content Moderators review flagged messages.")
    page, per_page = request["page"], request["per_page"]
    messages, total = store.flagged_page(viewer["district_id"], moderation_reach(viewer),
                                         pending_only=request["state"] == contract.PENDING,
                                         offset=(page - 1) * per_page, limit=per_page)
    flags = store.flags_of([message.id for message in messages])
    return {"items": [_flagged_answer(message, flags.get(message.id, [])) for message in messages],
            "total": total, "page": page, "per_page": per_page}


def hide_message(request: dict, *, store: ModerationStore, publish: Publish, clock: Clock) -> dict:
    return _decide(request, contract.HIDDEN, store=store, publish=publish, clock=clock)


def restore_message(request: dict, *, store: ModerationStore, publish: Publish, clock: Clock) -> dict:
    return _decide(request, contract.RESTORED, store=store, publish=publish, clock=clock)


def _decide(request: dict, action: str, *, store: ModerationStore, publish: Publish, clock: Clock) -> dict:
    viewer = request["viewer"]
    if not may(viewer, MODERATE_CONTENT):
        raise PermissionDenied("Only administrators and Content Moderators hide or restore messages.")
    message = store.message(request["message_id"])
    if message is None or not may_moderate(viewer, message.district_id, message.participant_schools):
        raise NotFound(NO_SUCH_MESSAGE, fields={"message_id": ["no message in your reach has this id"]})
    refusal = rules.decision_refusal(action, message.hidden)
    if refusal:
        raise Conflict(refusal)
    now = clock()
    withdrawal = store.set_hidden(
        message.id, hidden_by=viewer["person_id"] if action == contract.HIDDEN else None, now=now,
        announce=lambda: _publish_decision(publish, message, action, viewer["person_id"], request["reason"], now))
    decided = store.message(message.id)
    return {**_flagged_answer(decided, store.flags_of([message.id]).get(message.id, [])),
            "deliveries": rules.withdrawal_answer(withdrawal, action)}


def _publish_decision(publish: Publish, message: ModeratedMessage, action: str, actor_id: str, reason: str,
                      now: datetime) -> None:
    publish(notify.CONTENT_MODERATED, {
        "decision_id": uuid.uuid4().hex, "district_id": message.district_id, "action": action, "actor_id": actor_id,
        "message_id": message.id, "conversation_id": message.conversation_id, "reason": reason,
        "hidden_before": message.hidden, "hidden_after": rules.hidden_after(action, message.hidden), "at": now})


def _flag_answer(flag: dict, conversation_id: str) -> dict:
    return {"flag_id": flag["id"], "message_id": flag["message_id"], "conversation_id": conversation_id,
            "flagged_by": flag["flagged_by"], "reason": flag["reason"], "created_at": flag["created_at"],
            "reviewed_at": flag["reviewed_at"]}


def _flagged_answer(message: ModeratedMessage, flags: list[dict]) -> dict:
    return {"message_id": message.id, "conversation_id": message.conversation_id, "author_id": message.author_id,
            "text": message.text, "created_at": message.created_at, "hidden": message.hidden,
            "hidden_by": message.hidden_by, "hidden_at": message.hidden_at,
            "flags": [_flag_answer(flag, message.conversation_id) for flag in flags]}

"""The operator's dead letters (`schoolctl dead-letters`): list, replay, purge, over queue.dead_letters."""
from __future__ import annotations

import logging
from typing import Protocol

from services.notify.queue.dead_letters import DeadLetterEntry, ReplayResult

log = logging.getLogger(__name__)


class DeadLetters(Protocol):
    def count(self) -> int: ...

    def read(self, *, limit: int) -> list[DeadLetterEntry]: ...

    def replay(self, message_ids: list[str] | None = None) -> ReplayResult: ...

    def purge(self, message_ids: list[str] | None = None) -> int: ...


def list_dead_letters(request: dict, *, dead_letters: DeadLetters) -> dict:
    items = [_item(entry) for entry in dead_letters.read(limit=request["limit"])]
    return {"total": dead_letters.count(), "items": items}


def replay_dead_letters(request: dict, *, dead_letters: DeadLetters) -> dict:
    result = dead_letters.replay(request["message_ids"])
    log.warning("operator replayed %d dead letters (%d left in place)", len(result.replayed), len(result.skipped))
    return {"replayed": result.replayed,
            "skipped": [{"message_id": message_id, "reason": why} for message_id, why in result.skipped.items()]}


def purge_dead_letters(request: dict, *, dead_letters: DeadLetters) -> dict:
    purged = dead_letters.purge(request["message_ids"])
    log.warning("operator purged %d dead letters", purged)
    return {"purged": purged}


def _item(entry: DeadLetterEntry) -> dict:
    job = entry.job
    return {
        "message_id": entry.message_id, "reason": entry.reason.value, "detail": entry.detail, "dead_at": entry.dead_at,
        "communication_id": job.communication_id if job else None, "channel": job.channel.value if job else None,
        "delivery_count": len(job.delivery_ids) if job else None,
        "delivery_ids": list(job.delivery_ids) if job else [], "replayable": job is not None,
        "body_preview": entry.body_preview,
    }


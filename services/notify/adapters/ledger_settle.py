"""Writing the pages of a batch of provider reports together (DeliveryRepository.write_records): which pages may
go in one statement per kind, and the send ledger settled for all of them at once.

A batch of status callbacks touches a page per communication and channel; during a conversation's replies that
is one page per callback, and four statements per page (deliveries, ledger, events, credentials) were most of
notify's CPU for a callback (py-spy, 2026-12-05).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.notify.adapters.ledger_answers import ANSWERED, SENDING
from services.notify.domain.delivery import Channel
from services.notify.ports import DeliveryResult, HealthChange, JobRecord, LedgerAction

SENT = "sent"  # the ledger key settled: never sent again (ledger_answers: sending, answered)
_KEYS = "unnest(CAST(:c AS text[]), CAST(:ch AS text[]), CAST(:p AS text[])) AS k(c, ch, p)"
_SAME_KEY = "l.communication_id = k.c AND l.channel = k.ch AND l.person_id = k.p"
_MARK_SENT = text(f"UPDATE send_ledger AS l SET state = :sent FROM {_KEYS} WHERE {_SAME_KEY}")
_RELEASE = text(f"DELETE FROM send_ledger AS l USING {_KEYS} WHERE {_SAME_KEY} AND l.state IN (:sending, :answered)")

_REPEATABLE = {HealthChange.DELIVERED}
PageResults = tuple[str, Channel, Sequence[DeliveryResult]]


def disjoint_rounds(records: Sequence[JobRecord]) -> Iterator[list[JobRecord]]:
    """The records in order, cut into runs in which no two share a delivery, nor a credential unless every
    change to it in the run is `delivered` (the same write however many times: a staff member's address
    receiving every reply of a conversation)."""
    current: list[JobRecord] = []
    seen_deliveries: set[str] = set()
    seen_credentials: dict[tuple, set[HealthChange]] = {}
    for record in records:
        delivery_ids = ({result.delivery_id for result in record.results}
                        | {fallback.failed_delivery_id for fallback in record.fallbacks})
        credentials: dict[tuple, set[HealthChange]] = {}
        for change in record.credentials:
            credentials.setdefault((change.kind, change.address), set()).add(change.change)
        if current and (delivery_ids & seen_deliveries or any(
                key in seen_credentials and seen_credentials[key] | changes != _REPEATABLE
                for key, changes in credentials.items())):
            yield current
            current, seen_deliveries, seen_credentials = [], set(), {}
        current.append(record)
        seen_deliveries |= delivery_ids
        for key, changes in credentials.items():
            seen_credentials.setdefault(key, set()).update(changes)
    if current:
        yield current


def settle_ledgers(session: Session, pages: Sequence[PageResults],
                   fallback: Callable[[str, Channel, Sequence[DeliveryResult]], None]) -> None:
    """Each page's ledger keys marked sent or released, as `fallback` does for one page; on PostgreSQL every
    page's in one statement per action (keys sorted: two writers lock them in the same order)."""
    if len(pages) < 2 or session.get_bind().dialect.name != "postgresql":
        for communication_id, channel, results in pages:
            fallback(communication_id, channel, results)
        return
    for action, statement, values in ((LedgerAction.MARK_SENT, _MARK_SENT, {"sent": SENT}),
                                      (LedgerAction.RELEASE, _RELEASE, {"sending": SENDING, "answered": ANSWERED})):
        keys = sorted((communication_id, channel.value, result.person_id) for communication_id, channel, results
                      in pages for result in results if result.ledger is action)
        if keys:
            session.execute(statement, {**values, "c": [k[0] for k in keys], "ch": [k[1] for k in keys],
                                        "p": [k[2] for k in keys]})

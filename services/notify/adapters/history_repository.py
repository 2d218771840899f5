"""A person's communication history in SQL: the announcements and conversation messages that reached them (a
delivery, or a place in the audience), filtered as the viewer may see them, newest first; and each one's
deliveries to that person."""
from __future__ import annotations

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import Session

from services.notify.adapters.tables import (
    communication_recipients, communications, conversation_messages, conversation_participants, deliveries,
)
from services.notify.domain.communication_history import (
    HISTORY_KINDS, HistoryDelivery, HistoryEntry, HistoryFilter,
)
from services.notify.domain.delivery import Communication
from shared.db import as_utc, read_one_snapshot

_KINDS = [kind.value for kind in HISTORY_KINDS]


class HistoryRepository:
    def __init__(self, session: Session):
        self.session = session

    def history_page(self, wanted: HistoryFilter, *, page: int, per_page: int) -> tuple[list[HistoryEntry], int]:
        """A page of the communications `wanted` lets through, newest first, and how many there are in all."""
        matching = _matching(wanted).subquery()
        query = (select(matching).order_by(matching.c.created_at.desc(), matching.c.id.desc())
                 .limit(per_page).offset((page - 1) * per_page))
        with self.session.begin():
            read_one_snapshot(self.session)
            entries = [_entry(row) for row in self.session.execute(query)]
            total = self.session.execute(select(func.count()).select_from(matching)).scalar_one()
        return entries, total

    def deliveries_to(self, person_id: str, communication_ids: list[str]) -> list[HistoryDelivery]:
        """The person's deliveries of these communications, oldest first (a fallback after what it replaced),
        then by channel."""
        query = (select(deliveries.c.communication_id, deliveries.c.channel, deliveries.c.address,
                        deliveries.c.status, deliveries.c.reason, deliveries.c.updated_at)
                 .where(deliveries.c.person_id == person_id,
                        deliveries.c.communication_id.in_(sorted(set(communication_ids))))
                 .order_by(deliveries.c.created_at, deliveries.c.channel))
        with self.session.begin():
            return [HistoryDelivery(row.communication_id, row.channel, row.address, row.status, row.reason,
                                    as_utc(row.updated_at)) for row in self.session.execute(query)]


def _matching(wanted: HistoryFilter):
    reached = union(
        select(deliveries.c.communication_id).where(deliveries.c.person_id == wanted.person_id),
        select(communication_recipients.c.communication_id)
        .where(communication_recipients.c.person_id == wanted.person_id))
    where = [communications.c.id.in_(reached), communications.c.kind.in_(_KINDS)]
    if wanted.district_id is not None:
        where.append(communications.c.district_id == wanted.district_id)
    if wanted.took_part_id is not None:
        where.append(or_(
            communications.c.sender_id == wanted.took_part_id,
            conversation_messages.c.conversation_id.in_(
                select(conversation_participants.c.conversation_id)
                .where(conversation_participants.c.person_id == wanted.took_part_id))))
    return (select(communications.c.id, communications.c.kind, conversation_messages.c.conversation_id,
                   communications.c.subject, communications.c.body, communications.c.priority,
                   communications.c.sender_id, communications.c.created_at)
            .select_from(communications.outerjoin(
                conversation_messages, conversation_messages.c.communication_id == communications.c.id))
            .where(*where))


def _entry(row) -> HistoryEntry:
    return HistoryEntry(row.id, Communication(row.kind), row.conversation_id, row.subject, row.body, row.priority,
                        row.sender_id, as_utc(row.created_at))

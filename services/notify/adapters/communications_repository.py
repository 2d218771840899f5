"""Communications in SQL: stored with their recipients, planned into deliveries in bulk, marked queued.

Planning writes every delivery of a communication in one transaction, a page
of recipients per few statements (bulk_insert), so a crash leaves either no
deliveries or all of them; the planning handler tells the two apart with
`write_plan`'s answer and only publishes what is still unqueued.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.notify.adapters.bulk_insert import insert_rows
from services.notify.adapters.devices_repository import tokens_of
from services.notify.adapters.plan_recipients_sql import plan_recipients, select_members, shared_mobiles
from services.notify.adapters.tables import communication_recipients, communications, deliveries, inbox_items
from services.notify.domain.communications import CommunicationFacts, CommunicationState, NewAnnouncement
from services.notify.domain.delivery import QUEUED_CHANNELS, Channel, Communication, DeliveryStatus
from services.notify.domain.planned_rows import PlannedRows
from services.notify.domain.planner import PlanRecipient

# Recipients planned per page: one query to read them, a few INSERTs to write their rows.
PLAN_PAGE_SIZE = 10_000
_QUEUED_CHANNELS = [channel.value for channel in QUEUED_CHANNELS]

PlanPage = Callable[[list[PlanRecipient]], PlannedRows]
Item = TypeVar("Item")
Key = TypeVar("Key")


def new_id() -> str:
    return uuid.uuid4().hex


class CommunicationsRepository:
    def __init__(self, session: Session):
        self.session = session

    def create_announcement(self, announcement: NewAnnouncement, person_ids: Sequence[str]) -> None:
        with self.session.begin():
            self.session.execute(communications.insert().values(
                id=announcement.id, district_id=announcement.district_id, kind=Communication.ANNOUNCEMENT.value,
                subject=announcement.subject, body=announcement.body, priority=announcement.priority,
                with_call=announcement.with_call, sender_id=announcement.sender_id,
                audience=dict(announcement.audience), state=CommunicationState.PLANNING.value,
                created_at=announcement.created_at))
            insert_rows(self.session, communication_recipients, {"communication_id": announcement.id},
                        {"person_id": list(person_ids)})

    def communication(self, communication_id: str) -> CommunicationFacts | None:
        with self.session.begin():
            row = self.session.execute(
                select(communications.c.id, communications.c.district_id, communications.c.kind,
                       communications.c.subject, communications.c.priority, communications.c.with_call,
                       communications.c.sender_id, communications.c.state, communications.c.created_at)
                .where(communications.c.id == communication_id)).one_or_none()
        if row is None:
            return None
        return CommunicationFacts(row.id, row.district_id, Communication(row.kind), row.subject, row.priority,
                                  row.with_call, row.sender_id, CommunicationState(row.state), row.created_at)

    def write_plan(self, communication_id: str, plan_page: PlanPage, *, now: datetime,
                   page_size: int = PLAN_PAGE_SIZE) -> int | None:
        """Plan every recipient, a page at a time, in one transaction; the rows written.

        None when the communication's deliveries exist already: an earlier run planned it, and only
        its publishing may be unfinished.
        """
        with self.session.begin():
            # Held until commit: a second run for the same communication waits here, then finds the rows.
            self.session.execute(select(communications.c.id).where(communications.c.id == communication_id)
                                 .with_for_update())
            if self._has_deliveries(communication_id):
                return None
            mobiles = shared_mobiles(self.session)
            written, after = 0, ""
            while True:
                page = (select(communication_recipients.c.person_id)
                        .where(communication_recipients.c.communication_id == communication_id,
                               communication_recipients.c.person_id > after)
                        .order_by(communication_recipients.c.person_id).limit(page_size).subquery())
                rows = self.session.execute(select_members(page)).all()
                if not rows:
                    break
                written += self._write_rows(communication_id, plan_page(plan_recipients(rows, mobiles)), now)
                if len(rows) < page_size:
                    break
                after = rows[-1].member_id
        return written

    def unqueued_provider_deliveries(self, communication_id: str) -> list[tuple[str, Channel]]:
        """Provider deliveries the planner made that are not confirmed on the queue yet, by channel."""
        with self.session.begin():
            rows = self.session.execute(
                select(deliveries.c.id, deliveries.c.channel)
                .where(deliveries.c.communication_id == communication_id,
                       deliveries.c.status == DeliveryStatus.PLANNED.value,
                       deliveries.c.channel.in_(_QUEUED_CHANNELS),
                       # A worker's fallbacks are its own to queue (it republishes them if it died).
                       deliveries.c.fallback_of.is_(None))
                .order_by(deliveries.c.channel, deliveries.c.id)).all()
        return [(delivery_id, Channel(channel)) for delivery_id, channel in rows]

    def mark_planned_queued(self, communication_id: str, *, now: datetime) -> int:
        """After the broker confirmed every job: one statement for the whole communication."""
        with self.session.begin():
            return self.session.execute(
                update(deliveries)
                .where(deliveries.c.communication_id == communication_id,
                       deliveries.c.status == DeliveryStatus.PLANNED.value,
                       deliveries.c.channel.in_(_QUEUED_CHANNELS),
                       deliveries.c.fallback_of.is_(None))
                .values(status=DeliveryStatus.QUEUED.value, updated_at=now)).rowcount

    def stalled_in_planning(self, *, created_before: datetime, limit: int = 100) -> list[str]:
        with self.session.begin():
            return list(self.session.execute(
                select(communications.c.id)
                .where(communications.c.state == CommunicationState.PLANNING.value,
                       # Invitations have their own recovery: their jobs resume where they stopped.
                       communications.c.kind == Communication.ANNOUNCEMENT.value,
                       communications.c.created_at < created_before)
                .order_by(communications.c.created_at).limit(limit)).scalars())

    def _has_deliveries(self, communication_id: str) -> bool:
        return self.session.execute(
            select(select(deliveries.c.id).where(deliveries.c.communication_id == communication_id).exists())
        ).scalar()

    def _write_rows(self, communication_id: str, rows: PlannedRows, now: datetime) -> int:
        return write_planned_rows(self.session, communication_id, rows, now)


def write_planned_rows(session: Session, communication_id: str, rows: PlannedRows, now: datetime) -> int:
    """The planner's rows as deliveries (and inbox items), in the caller's transaction; how many."""
    def shared(channel: Channel, status: DeliveryStatus, **more) -> dict:
        return {"communication_id": communication_id, "channel": channel.value, "status": status.value,
                "created_at": now, "updated_at": now, **more}

    for channel, page in _grouped(rows.provider, lambda row: row.channel).items():
        insert_rows(session, deliveries, shared(channel, DeliveryStatus.PLANNED), {
            "id": [new_id() for _ in page], "person_id": [row.person_id for row in page],
            "address": [row.address for row in page], "label": [row.label for row in page]})
    for (channel, reason), page in _grouped(rows.skipped, lambda row: (row.channel, row.reason)).items():
        insert_rows(session, deliveries, shared(channel, DeliveryStatus.SKIPPED, reason=reason.value), {
            "id": [new_id() for _ in page], "person_id": [row.person_id for row in page],
            "address": [row.address for row in page]})
    if rows.app:
        # The app channel needs no provider: the inbox item is the delivery, so it is delivered now.
        insert_rows(session, deliveries, shared(Channel.APP, DeliveryStatus.DELIVERED),
                    {"id": [new_id() for _ in rows.app], "person_id": rows.app})
        insert_rows(session, inbox_items, {"communication_id": communication_id, "created_at": now},
                    {"id": [new_id() for _ in rows.app], "person_id": rows.app})
        # Push accompanies the inbox item for people with a registered device, through the queue like a
        # provider's delivery: its ledger, retries and report line are the same.
        pushed = sorted(tokens_of(session, rows.app))
        if pushed:
            insert_rows(session, deliveries, shared(Channel.PUSH, DeliveryStatus.PLANNED),
                        {"id": [new_id() for _ in pushed], "person_id": pushed})
    return len(rows)


def _grouped(rows: Sequence[Item], key: Callable[[Item], Key]) -> dict[Key, list[Item]]:
    groups: dict[Key, list[Item]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups

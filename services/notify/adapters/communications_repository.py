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
from shared.outbox import Announce, nothing_to_announce

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

    def create_announcement(self, announcement: NewAnnouncement, person_ids: Sequence[str], *,
                            announce: Announce = nothing_to_announce) -> None:
        """The announcement and its recipients, with the events `announce` stages."""
        with self.session.begin():
            announce()
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
        return self.unqueued_provider_deliveries_of([communication_id]).get(communication_id, [])

    def unqueued_provider_deliveries_of(self, communication_ids: Sequence[str]) -> dict[str, list[tuple[str, Channel]]]:
        """unqueued_provider_deliveries of several communications in one statement; those with none left out."""
        if not communication_ids:
            return {}
        with self.session.begin():
            rows = self.session.execute(
                select(deliveries.c.communication_id, deliveries.c.id, deliveries.c.channel)
                .where(deliveries.c.communication_id.in_(sorted(set(communication_ids))),
                       deliveries.c.status == DeliveryStatus.PLANNED.value,
                       deliveries.c.channel.in_(_QUEUED_CHANNELS),
                       # A worker's fallbacks are its own to queue (it republishes them if it died).
                       deliveries.c.fallback_of.is_(None))
                .order_by(deliveries.c.communication_id, deliveries.c.channel, deliveries.c.id)).all()
        found: dict[str, list[tuple[str, Channel]]] = {}
        for communication_id, delivery_id, channel in rows:
            found.setdefault(communication_id, []).append((delivery_id, Channel(channel)))
        return found

    def mark_planned_queued(self, communication_id: str, *, now: datetime) -> int:
        """After the broker confirmed every job: one statement for the whole communication."""
        return self.mark_planned_queued_of([communication_id], now=now)

    def mark_planned_queued_of(self, communication_ids: Sequence[str], *, now: datetime) -> int:
        """mark_planned_queued for several communications, one statement for them all."""
        if not communication_ids:
            return 0
        with self.session.begin():
            return self.session.execute(
                update(deliveries)
                .where(deliveries.c.communication_id.in_(sorted(set(communication_ids))),
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
    return write_planned_rows_of(session, [(communication_id, rows)], now)


def write_planned_rows_of(session: Session, planned: Sequence[tuple[str, PlannedRows]], now: datetime) -> int:
    """Several communications' rows as deliveries (and inbox items), in the caller's transaction: one
    statement per kind of row for all of them (a batch of replies writes as few as one message); how many."""
    def shared(channel: Channel, status: DeliveryStatus, **more) -> dict:
        return {"channel": channel.value, "status": status.value, "created_at": now, "updated_at": now, **more}

    def ids_of(items: Sequence) -> list[str]:
        return [new_id() for _ in items]

    provider = [(communication_id, row) for communication_id, rows in planned for row in rows.provider]
    for channel, page in _grouped(provider, lambda item: item[1].channel).items():
        insert_rows(session, deliveries, shared(channel, DeliveryStatus.PLANNED), {
            "id": ids_of(page), "communication_id": [c for c, _ in page],
            "person_id": [row.person_id for _, row in page], "address": [row.address for _, row in page],
            "label": [row.label for _, row in page]})
    skipped = [(communication_id, row) for communication_id, rows in planned for row in rows.skipped]
    for (channel, reason), page in _grouped(skipped, lambda item: (item[1].channel, item[1].reason)).items():
        insert_rows(session, deliveries, shared(channel, DeliveryStatus.SKIPPED, reason=reason.value), {
            "id": ids_of(page), "communication_id": [c for c, _ in page],
            "person_id": [row.person_id for _, row in page], "address": [row.address for _, row in page]})
    app = [(communication_id, person_id) for communication_id, rows in planned for person_id in rows.app]
    if app:
        # The app channel needs no provider: the inbox item is the delivery, so it is delivered now.
        communication_ids, person_ids = [c for c, _ in app], [p for _, p in app]
        insert_rows(session, deliveries, shared(Channel.APP, DeliveryStatus.DELIVERED),
                    {"id": ids_of(app), "communication_id": communication_ids, "person_id": person_ids})
        insert_rows(session, inbox_items, {"created_at": now},
                    {"id": ids_of(app), "communication_id": communication_ids, "person_id": person_ids})
        # Push accompanies the inbox item for people with a registered device, through the queue like a
        # provider's delivery: its ledger, retries and report line are the same.
        devices = tokens_of(session, sorted(set(person_ids)))
        pushed = [(c, p) for c, p in app if devices.get(p)]
        if pushed:
            insert_rows(session, deliveries, shared(Channel.PUSH, DeliveryStatus.PLANNED),
                        {"id": ids_of(pushed), "communication_id": [c for c, _ in pushed],
                         "person_id": [p for _, p in pushed]})
    return sum(len(rows) for _, rows in planned)


def _grouped(rows: Sequence[Item], key: Callable[[Item], Key]) -> dict[Key, list[Item]]:
    groups: dict[Key, list[Item]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups

"""Provider webhooks in SQL: receipts stored before anything is applied, and how reports find deliveries.

Applying a status report goes through DeliveryRepository (the workers' own
path: status guards, credential marks, fallbacks); this module only answers
which deliveries a batch of reports is about and what was recorded on them.
"""
from __future__ import annotations

import uuid
from contextlib import nullcontext
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.orm import Session, SessionTransaction

from services.notify.adapters.tables import credential_health, deliveries, delivery_events, webhook_receipts
from services.notify.domain.delivery import CREDENTIAL_OF_CHANNEL, Channel, CredentialState, DeliveryStatus
from services.notify.ports import DeliveryResult, PageDelivery
from shared.db import dialect_insert

# The kind of credential a delivery's address is, from its channel (the app channel has none).
_CREDENTIAL_KIND = case({channel.value: kind.value for channel, kind in CREDENTIAL_OF_CHANNEL.items()},
                        value=deliveries.c.channel, else_=None)


@dataclass(frozen=True, slots=True)
class StoredWebhook:
    id: str
    kind: str
    payload: Mapping


class WebhooksRepository:
    def __init__(self, session: Session):
        self.session = session

    def store(self, *, provider: str, kind: str, payload: Mapping, now: datetime,
              message_id: str | None = None) -> str | None:
        """The new receipt's id; None when a receipt of this kind with this provider message id is stored
        already (a replay, or the provider posting again what was taken)."""
        receipt_id = uuid.uuid4().hex
        with self.session.begin():
            stored = self.session.execute(dialect_insert(self.session, webhook_receipts).values(
                id=receipt_id, provider=provider, kind=kind, received_at=now, payload=dict(payload),
                provider_message_id=message_id).on_conflict_do_nothing(
                    index_elements=["kind", "provider_message_id"]))
        return receipt_id if stored.rowcount else None

    def store_all_in_transaction(self, receipts: Sequence[tuple[str, str, Mapping, str | None, datetime]]) -> None:
        """(provider, kind, payload, provider message id, received at) stored unapplied with one statement, each
        once per kind and message id (a repeat is left out)."""
        if not receipts:
            return
        self.session.execute(
            dialect_insert(self.session, webhook_receipts).on_conflict_do_nothing(
                index_elements=["kind", "provider_message_id"]),
            [{"id": uuid.uuid4().hex, "provider": provider, "kind": kind, "received_at": received_at,
              "payload": dict(payload), "provider_message_id": message_id}
             for provider, kind, payload, message_id, received_at in receipts])

    def transaction(self) -> SessionTransaction:
        """One transaction on the store's shared session, for the *_in_transaction methods of every repository."""
        return self.session.begin()

    def add_receipt_in_transaction(self, *, provider: str, kind: str, payload: Mapping, now: datetime) -> str:
        """A receipt stored already applied: the caller applies it in the same transaction."""
        receipt_id = uuid.uuid4().hex
        self.session.execute(webhook_receipts.insert().values(
            id=receipt_id, provider=provider, kind=kind, received_at=now, payload=dict(payload), applied_at=now))
        return receipt_id

    def mark_applied_in_transaction(self, receipt_id: str, *, now: datetime) -> None:
        self.session.execute(update(webhook_receipts).where(webhook_receipts.c.id == receipt_id)
                             .values(applied_at=now))

    def mark_applied(self, receipt_id: str, *, now: datetime) -> None:
        with self.session.begin():
            self.session.execute(update(webhook_receipts).where(webhook_receipts.c.id == receipt_id)
                                 .values(applied_at=now))

    def mark_all_applied(self, receipt_ids: Collection[str], *, now: datetime) -> None:
        if not receipt_ids:
            return
        with self.session.begin():
            self.session.execute(update(webhook_receipts).where(webhook_receipts.c.id.in_(sorted(receipt_ids)))
                                 .values(applied_at=now))

    def unapplied(self, *, received_before: datetime, limit: int = 100,
                  kinds: Collection[str] | None = None) -> list[StoredWebhook]:
        """Receipts not applied yet (their application failed, or is still to come), oldest first."""
        query = (select(webhook_receipts.c.id, webhook_receipts.c.kind, webhook_receipts.c.payload)
                 .where(webhook_receipts.c.applied_at.is_(None), webhook_receipts.c.received_at < received_before))
        if kinds is not None:
            query = query.where(webhook_receipts.c.kind.in_(sorted(kinds)))
        with self.session.begin():
            rows = self.session.execute(query.order_by(webhook_receipts.c.received_at).limit(limit)).all()
        return [StoredWebhook(row.id, row.kind, row.payload) for row in rows]

    def deliveries_by_message_id(self, message_ids: Collection[str]) -> dict[str, str]:
        """Delivery ids for provider message ids that name exactly one delivery (a Twilio SID does)."""
        if not message_ids:
            return {}
        with self._unit():
            rows = self.session.execute(
                select(deliveries.c.provider_message_id, func.min(deliveries.c.id))
                .where(deliveries.c.provider_message_id.in_(sorted(message_ids)))
                .group_by(deliveries.c.provider_message_id).having(func.count() == 1))
            return dict(rows.all())

    def delivery_keys(self, delivery_ids: Collection[str]) -> dict[str, tuple[str, Channel]]:
        """(communication, channel) of each delivery that exists."""
        if not delivery_ids:
            return {}
        with self.session.begin():
            rows = self.session.execute(
                select(deliveries.c.id, deliveries.c.communication_id, deliveries.c.channel)
                .where(deliveries.c.id.in_(sorted(delivery_ids))))
            return {row.id: (row.communication_id, Channel(row.channel)) for row in rows}

    def recorded_outcomes(self, delivery_ids: Collection[str]) -> set[tuple[str, str | None, str | None]]:
        """(delivery, outcome, provider code) already in these deliveries' histories: what a repeat would add."""
        if not delivery_ids:
            return set()
        with self.session.begin():
            rows = self.session.execute(
                select(delivery_events.c.delivery_id, delivery_events.c.outcome, delivery_events.c.provider_code)
                .where(delivery_events.c.delivery_id.in_(sorted(delivery_ids)),
                       delivery_events.c.outcome.is_not(None)).distinct())
            return {tuple(row) for row in rows}

    def report_targets(self, delivery_ids: Collection[str]) -> tuple[
            dict[str, tuple[str, PageDelivery]], set[tuple[str, str | None, str | None]]]:
        """What status reports about these deliveries are judged against, in one transaction (the caller's when
        one is open): each existing
        delivery's communication and its state (with its credential's health, as a worker's page has it),
        and the (delivery, outcome, provider code) marks already in their histories."""
        if not delivery_ids:
            return {}, set()
        ids = sorted(delivery_ids)
        query = (
            select(deliveries.c.id, deliveries.c.communication_id, deliveries.c.person_id, deliveries.c.channel,
                   deliveries.c.address, deliveries.c.label, deliveries.c.status, deliveries.c.attempts,
                   credential_health.c.state, credential_health.c.reason)
            .select_from(deliveries.outerjoin(credential_health, and_(
                credential_health.c.kind == _CREDENTIAL_KIND, credential_health.c.address == deliveries.c.address)))
            .where(deliveries.c.id.in_(ids))
            # Two webhooks about one delivery (providers repeat themselves at once) are judged one after the
            # other: the second sees the first's marks and skips its repeat. Locked in id order: no deadlock.
            .order_by(deliveries.c.id).with_for_update(of=deliveries))
        with self._unit():
            rows = self.session.execute(query).all()
            marks = self.session.execute(
                select(delivery_events.c.delivery_id, delivery_events.c.outcome, delivery_events.c.provider_code)
                .where(delivery_events.c.delivery_id.in_(ids), delivery_events.c.outcome.is_not(None))
                .distinct()).all()
        targets = {row.id: (row.communication_id, PageDelivery(
            row.id, row.person_id, Channel(row.channel), row.address, row.label, DeliveryStatus(row.status),
            row.attempts, CredentialState(row.state) if row.state else CredentialState.GOOD, row.reason))
            for row in rows}
        return targets, {tuple(mark) for mark in marks}

    def overturn_delivered_in_transaction(self, results: Sequence[DeliveryResult], *, now: datetime) -> None:
        """Fail deliveries still `delivered` that a later failure overturned (report_order.py), with its reason;
        one that fell back meanwhile is already further along."""
        if not results:
            return
        self.session.execute(
            update(deliveries)
            .where(deliveries.c.id == bindparam("b_id"), deliveries.c.status == DeliveryStatus.DELIVERED.value)
            .values(status=DeliveryStatus.FAILED.value, reason=bindparam("b_reason"),
                    provider_code=bindparam("b_code"), updated_at=now),
            [{"b_id": result.delivery_id, "b_reason": result.reason, "b_code": result.provider_code}
             for result in results])

    def _unit(self):
        return nullcontext() if self.session.in_transaction() else self.session.begin()

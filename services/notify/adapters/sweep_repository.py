"""The deliveries the sweeper looks at: `queued` for longer than a bound (domain.stuck_jobs)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.notify.adapters.tables import deliveries
from services.notify.domain.delivery import Channel, DeliveryStatus
from services.notify.domain.stuck_jobs import QueuedDelivery


class SweepRepository:
    def __init__(self, session: Session):
        self.session = session

    def queued_before(self, cutoff: datetime, channels: Sequence[Channel], *, limit: int) -> list[QueuedDelivery]:
        """The oldest `queued` deliveries last touched before the cutoff (ix_deliveries_queued_updated_at)."""
        if not channels:
            return []
        with self.session.begin():
            rows = self.session.execute(
                select(deliveries.c.id, deliveries.c.communication_id, deliveries.c.channel, deliveries.c.updated_at)
                .where(deliveries.c.status == DeliveryStatus.QUEUED.value, deliveries.c.updated_at < cutoff,
                       deliveries.c.channel.in_([channel.value for channel in channels]))
                .order_by(deliveries.c.updated_at).limit(limit)).all()
        return [QueuedDelivery(row.id, row.communication_id, Channel(row.channel), _aware(row.updated_at))
                for row in rows]

    def oldest_queued(self) -> dict[Channel, datetime]:
        """Per channel, when the delivery queued longest was last queued; channels with none left out."""
        with self.session.begin():
            rows = self.session.execute(
                select(deliveries.c.channel, func.min(deliveries.c.updated_at))
                .where(deliveries.c.status == DeliveryStatus.QUEUED.value).group_by(deliveries.c.channel)).all()
        return {Channel(channel): _aware(oldest) for channel, oldest in rows}

    def touch_queued(self, delivery_ids: Sequence[str], *, now: datetime) -> int:
        """Queued again just now: the next sweep leaves them alone for another bound."""
        if not delivery_ids:
            return 0
        with self.session.begin():
            return self.session.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(list(delivery_ids)), deliveries.c.status == DeliveryStatus.QUEUED.value)
                .values(updated_at=now)).rowcount


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes of what was written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)

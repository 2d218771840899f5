"""What reports read: a communication's delivery lines and unreachable count, and a school's members.

Counts per channel and status come from DeliveryRepository.delivery_report.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, false, func, or_, select
from sqlalchemy.orm import Session

from services.notify.adapters.plan_recipients_sql import Member, members, select_members
from services.notify.adapters.tables import communication_recipients, deliveries, recipient_schools, recipients
from services.notify.domain.delivery import PROVIDER_CHANNELS, DeliveryStatus
from services.notify.domain.delivery_rules import Reason
from shared.db import read_one_snapshot

_PROVIDER_CHANNELS = [channel.value for channel in PROVIDER_CHANNELS]
# A provider delivery in one of these reached the person, or still may.
_REACHING = [status.value for status in (DeliveryStatus.PLANNED, DeliveryStatus.QUEUED, DeliveryStatus.SENT,
                                         DeliveryStatus.DELIVERED)]


@dataclass(frozen=True, slots=True)
class ReportLine:
    person_id: str
    given_name: str | None
    family_name: str | None
    channel: str
    address: str | None
    status: str
    reason: str | None
    fallback_of: str | None
    updated_at: datetime


class ReportsRepository:
    def __init__(self, session: Session):
        self.session = session

    def reaches_schools(self, communication_id: str, school_ids: Collection[str]) -> bool:
        """Whether any recipient of the communication belongs to one of these schools."""
        if not school_ids:
            return False
        with self.session.begin():
            return self.session.execute(select(
                select(communication_recipients.c.person_id)
                .join(recipient_schools, recipient_schools.c.person_id == communication_recipients.c.person_id)
                .where(communication_recipients.c.communication_id == communication_id,
                       recipient_schools.c.school_id.in_(sorted(school_ids))).exists())).scalar()

    def unreachable_count(self, communication_id: str) -> int:
        """People with provider deliveries in this communication, none of which reached them or still may (U1).
        A delivery a moderator withdrew was held back, not unreachable: its person is not counted."""
        reaching = func.sum(case((or_(deliveries.c.status.in_(_REACHING),
                                      deliveries.c.reason == Reason.WITHDRAWN_BY_MODERATOR.value), 1), else_=0))
        unreached = (select(deliveries.c.person_id)
                     .where(deliveries.c.communication_id == communication_id,
                            deliveries.c.channel.in_(_PROVIDER_CHANNELS))
                     .group_by(deliveries.c.person_id).having(reaching == 0).subquery())
        with self.session.begin():
            return self.session.execute(select(func.count()).select_from(unreached)).scalar()

    def report_lines(self, communication_id: str, *, status: str | None, page: int,
                     per_page: int) -> tuple[list[ReportLine], int]:
        """A page of the communication's deliveries by family name, and how many there are in all."""
        where = [deliveries.c.communication_id == communication_id]
        if status is not None:
            where.append(deliveries.c.status == status)
        query = (select(deliveries.c.person_id, recipients.c.given_name, recipients.c.family_name,
                        deliveries.c.channel, deliveries.c.address, deliveries.c.status, deliveries.c.reason,
                        deliveries.c.fallback_of, deliveries.c.updated_at)
                 .outerjoin(recipients, recipients.c.person_id == deliveries.c.person_id)
                 .where(*where)
                 .order_by(recipients.c.family_name.asc().nulls_last(), recipients.c.given_name.asc().nulls_last(),
                           deliveries.c.person_id, deliveries.c.created_at, deliveries.c.channel)
                 .limit(per_page).offset((page - 1) * per_page))
        with self.session.begin():
            read_one_snapshot(self.session)
            total = self.session.execute(select(func.count()).select_from(deliveries).where(*where)).scalar()
            lines = [ReportLine(**row._mapping) for row in self.session.execute(query)]
        return lines, total

    def school_members(self, school_id: str, *, district_id: str | None) -> list[Member]:
        """Everyone notify knows in the school (not archived), as the planner sees them."""
        people = select(recipient_schools.c.person_id).where(recipient_schools.c.school_id == school_id)
        if district_id is not None:
            people = people.join(recipients, recipients.c.person_id == recipient_schools.c.person_id).where(
                recipients.c.district_id == district_id, recipients.c.archived == false())
        with self.session.begin():
            rows = self.session.execute(select_members(people.subquery())).all()
        return members(rows)

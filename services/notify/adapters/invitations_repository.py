"""Invitations and verification codes in SQL: personal communications, invitation jobs and their results.

A personal communication is a communication like an announcement (same table,
same deliveries, same queue and report) plus each person's own values
(`communication_personal`). A page of an invitation job is written in one
transaction: its results, its recipients, their values and their deliveries.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from services.notify.adapters.bulk_insert import insert_rows
from services.notify.adapters.communications_repository import write_planned_rows, write_planned_rows_of
from services.notify.adapters.plan_recipients_sql import plan_recipients, select_members, shared_mobiles
from services.notify.adapters.tables import (
    communication_personal,
    communication_recipients,
    communications,
    invitation_jobs,
    invitation_results,
    recipients,
)
from services.notify.domain.communications import CommunicationState
from services.notify.domain.personal_communications import (
    Candidates,
    InvitationJobRow,
    NewPersonalCommunication,
    PersonalPage,
)
from shared.contracts.notify import PENDING
from shared.outbox import Announce, nothing_to_announce

RUNNING, COMPLETED = "running", "completed"


def new_id() -> str:
    return uuid.uuid4().hex


class InvitationsRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- who can be invited ---

    def shared_mobiles(self) -> dict[str, int]:
        """Mobiles several current users share (F2 labels their SMS): counted once for a whole job."""
        with self.session.begin():
            return shared_mobiles(self.session)

    def candidates(self, person_ids: Sequence[str], *, mobiles: Mapping[str, int] | None = None) -> Candidates:
        """These people as the rows see them; `mobiles` as shared_mobiles answers (counted here if not given)."""
        people = select(recipients.c.person_id).where(recipients.c.person_id.in_(sorted(set(person_ids)))).subquery()
        with self.session.begin():
            rows = self.session.execute(select_members(people)).all()
            if mobiles is None:
                mobiles = shared_mobiles(self.session) if any(row.mobile_phone for row in rows) else {}
        planned = plan_recipients(rows, mobiles)
        return Candidates({recipient.person_id: recipient for recipient in planned},
                          frozenset(row.member_id for row in rows if row.archived),
                          {row.member_id: tuple(row.kinds or ()) for row in rows},
                          {row.member_id: row.family_name or "" for row in rows})

    # --- writing ---

    def create_communication(self, communication: NewPersonalCommunication, *,
                             job_people: Sequence[str] | None = None, inviter: Mapping | None = None,
                             job_id: str | None = None, announce: Announce = nothing_to_announce) -> None:
        """The communication, and with `job_id`, its invitation job with every person pending; with the events
        `announce` stages."""
        with self.session.begin():
            announce()
            self.session.execute(communications.insert().values(
                id=communication.id, district_id=communication.district_id, kind=communication.kind.value,
                subject=communication.subject, body=communication.body, sender_id=communication.sender_id,
                audience=dict(communication.audience), state=CommunicationState.PLANNING.value,
                created_at=communication.created_at))
            if job_id is None:
                return
            self.session.execute(invitation_jobs.insert().values(
                id=job_id, district_id=communication.district_id, communication_id=communication.id,
                requested_by=communication.sender_id, inviter=dict(inviter or {}),
                audience=dict(communication.audience), state=RUNNING, total=len(job_people or ()),
                created_at=communication.created_at, updated_at=communication.created_at))
            insert_rows(self.session, invitation_results, {"job_id": job_id, "outcome": PENDING},
                        {"person_id": list(job_people or ())})

    def write_page(self, page: PersonalPage, *, now: datetime) -> None:
        with self.session.begin():
            invited = sorted(page.personal)
            insert_rows(self.session, communication_recipients, {"communication_id": page.communication_id},
                        {"person_id": invited})
            if invited:
                self.session.execute(communication_personal.insert(), [
                    {"communication_id": page.communication_id, "person_id": person_id,
                     "content": dict(page.personal[person_id]), "expires_at": page.expires_at}
                    for person_id in invited])
            write_planned_rows(self.session, page.communication_id, page.rows, now)
            if page.job_id is not None and page.results:
                # Pending rows become their results: delete and insert, a few statements for the page.
                self.session.execute(delete(invitation_results).where(
                    invitation_results.c.job_id == page.job_id,
                    invitation_results.c.person_id.in_([row["person_id"] for row in page.results])))
                self.session.execute(invitation_results.insert(), [
                    {"job_id": page.job_id, **row} for row in page.results])
                self.session.execute(update(invitation_jobs).where(invitation_jobs.c.id == page.job_id)
                                     .values(updated_at=now))

    def write_communications(self, written: Sequence[tuple[NewPersonalCommunication, PersonalPage]], *,
                             now: datetime) -> None:
        """Several communications of one page each (a batch of conversation replies), in one transaction and
        one statement per kind: the communications, their recipients and values, deliveries and inbox items."""
        if not written:
            return
        with self.session.begin():
            self.session.execute(communications.insert(), [
                {"id": c.id, "district_id": c.district_id, "kind": c.kind.value, "subject": c.subject,
                 "body": c.body, "sender_id": c.sender_id, "audience": dict(c.audience),
                 "state": CommunicationState.PLANNING.value, "created_at": c.created_at} for c, _ in written])
            personal = [(page, person_id) for _, page in written for person_id in sorted(page.personal)]
            insert_rows(self.session, communication_recipients, {}, {
                "communication_id": [page.communication_id for page, _ in personal],
                "person_id": [person_id for _, person_id in personal]})
            if personal:
                self.session.execute(communication_personal.insert(), [
                    {"communication_id": page.communication_id, "person_id": person_id,
                     "content": dict(page.personal[person_id]), "expires_at": page.expires_at}
                    for page, person_id in personal])
            write_planned_rows_of(self.session, [(page.communication_id, page.rows) for _, page in written], now)

    # --- jobs ---

    def claim(self, job_id: str, *, now: datetime, until: datetime) -> bool:
        """Take (or extend) the job's lease: only one runner works on a job's pages at a time."""
        with self.session.begin():
            return self.session.execute(
                update(invitation_jobs)
                .where(invitation_jobs.c.id == job_id, invitation_jobs.c.state == RUNNING,
                       or_(invitation_jobs.c.lease_until.is_(None), invitation_jobs.c.lease_until < now))
                .values(lease_until=until, updated_at=now)).rowcount == 1

    def extend(self, job_id: str, *, until: datetime | None) -> None:
        """Keep the lease `until` then; None gives the job up for the next runner."""
        with self.session.begin():
            self.session.execute(update(invitation_jobs).where(invitation_jobs.c.id == job_id)
                                 .values(lease_until=until))

    def pending(self, job_id: str, *, limit: int) -> list[str]:
        with self.session.begin():
            return list(self.session.execute(
                select(invitation_results.c.person_id)
                .where(invitation_results.c.job_id == job_id, invitation_results.c.outcome == PENDING)
                .order_by(invitation_results.c.person_id).limit(limit)).scalars())

    def finish(self, job_id: str, *, now: datetime) -> None:
        with self.session.begin():
            self.session.execute(update(invitation_jobs).where(invitation_jobs.c.id == job_id)
                                 .values(state=COMPLETED, finished_at=now, updated_at=now, lease_until=None))

    def job(self, job_id: str) -> InvitationJobRow | None:
        with self.session.begin():
            row = self.session.execute(select(
                invitation_jobs.c.id, invitation_jobs.c.district_id, invitation_jobs.c.communication_id,
                invitation_jobs.c.requested_by, invitation_jobs.c.inviter, invitation_jobs.c.audience,
                invitation_jobs.c.state, invitation_jobs.c.total, invitation_jobs.c.created_at,
                invitation_jobs.c.finished_at).where(invitation_jobs.c.id == job_id)).one_or_none()
        return InvitationJobRow(*row) if row else None

    def counts(self, job_id: str) -> dict[str, int]:
        """invited, skipped, pending, and each skip reason -> people."""
        with self.session.begin():
            rows = self.session.execute(
                select(invitation_results.c.outcome, invitation_results.c.reason, func.count())
                .where(invitation_results.c.job_id == job_id)
                .group_by(invitation_results.c.outcome, invitation_results.c.reason)).all()
        counts: dict[str, int] = {}
        for outcome, reason, count in rows:
            counts[outcome] = counts.get(outcome, 0) + count
            if reason:
                counts[reason] = counts.get(reason, 0) + count
        return counts

    def results(self, job_id: str, *, outcome: str | None, offset: int, limit: int) -> list[dict]:
        query = select(invitation_results.c.person_id, invitation_results.c.outcome, invitation_results.c.channel,
                       invitation_results.c.reason, invitation_results.c.detail,
                       invitation_results.c.expires_at).where(invitation_results.c.job_id == job_id)
        if outcome:
            query = query.where(invitation_results.c.outcome == outcome)
        with self.session.begin():
            rows = self.session.execute(query.order_by(invitation_results.c.person_id)
                                        .offset(offset).limit(limit)).mappings().all()
        return [dict(row) for row in rows]

    def stalled_jobs(self, *, now: datetime, limit: int = 100) -> list[str]:
        """Running jobs nobody holds: their event was lost, or their runner died."""
        with self.session.begin():
            return list(self.session.execute(
                select(invitation_jobs.c.id)
                .where(invitation_jobs.c.state == RUNNING,
                       or_(invitation_jobs.c.lease_until.is_(None), invitation_jobs.c.lease_until < now))
                .order_by(invitation_jobs.c.created_at).limit(limit)).scalars())

    def forget_expired_secrets(self, *, now: datetime) -> int:
        """Join links and codes past their expiry are of no use to anyone: delete them."""
        with self.session.begin():
            return self.session.execute(
                delete(communication_personal).where(communication_personal.c.expires_at < now)).rowcount

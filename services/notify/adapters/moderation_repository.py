"""Content moderation in SQL: flags on conversation messages, hiding and restoring, and a moderator's list."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import uuid

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.notify.adapters.delivery_repository import complete_if_nothing_outstanding
from services.notify.adapters.tables import (
    conversation_messages,
    conversation_participants,
    conversations,
    deliveries,
    delivery_events,
    message_flags,
    recipient_schools,
    send_ledger,
)
from services.notify.domain.delivery import QUEUED_CHANNELS, SENDABLE_STATUSES, DeliveryStatus
from services.notify.domain.delivery_rules import Reason
from services.notify.domain.moderation import ModeratedMessage, Withdrawal
from shared.db import as_utc, dialect_insert, read_one_snapshot
from shared.outbox import Announce, nothing_to_announce

# The send ledger's state of a delivery a moderator withdrew: the key is taken, so no worker's claim on it
# succeeds (claim_sends only takes a key it wrote 'sending' itself). At most 8 characters (the column's).
WITHHELD = "withheld"
_EVENT_SOURCE = "moderation"  # delivery_events.source of a withdrawal
_QUEUED = [channel.value for channel in QUEUED_CHANNELS]
_SENDABLE = [status.value for status in SENDABLE_STATUSES]

_MESSAGE_COLUMNS = (conversation_messages.c.id, conversation_messages.c.conversation_id, conversations.c.district_id,
                    conversation_messages.c.author_id, conversation_messages.c.text,
                    conversation_messages.c.created_at, conversation_messages.c.hidden_at,
                    conversation_messages.c.hidden_by)


class ModerationRepository:
    def __init__(self, session: Session):
        self.session = session

    def message(self, message_id: str) -> ModeratedMessage | None:
        with self.session.begin():
            row = self.session.execute(select(*_MESSAGE_COLUMNS).join(
                conversations, conversations.c.id == conversation_messages.c.conversation_id)
                .where(conversation_messages.c.id == message_id)).one_or_none()
            if row is None:
                return None
            people = list(self.session.execute(select(conversation_participants.c.person_id).where(
                conversation_participants.c.conversation_id == row.conversation_id)).scalars())
            schools = frozenset(self.session.execute(select(recipient_schools.c.school_id).where(
                recipient_schools.c.person_id.in_(people))).scalars()) if people else frozenset()
        return ModeratedMessage(row.id, row.conversation_id, row.district_id, row.author_id, row.text,
                                as_utc(row.created_at), as_utc(row.hidden_at), row.hidden_by, tuple(people), schools)

    def add_flag(self, flag: dict, *, announce_new: Announce = nothing_to_announce) -> tuple[dict, bool]:
        """The flag stored, and whether it is new: a person's second flag on a message answers their first. A new
        flag commits with the events `announce_new` stages; a repeat stages none."""
        try:
            with self.session.begin():
                self.session.execute(message_flags.insert().values(**flag))
                announce_new()
            return flag, True
        except IntegrityError:
            pass
        with self.session.begin():
            row = self.session.execute(select(message_flags).where(
                message_flags.c.message_id == flag["message_id"],
                message_flags.c.flagged_by == flag["flagged_by"])).mappings().one()
        return dict(row), False

    def set_hidden(self, message_id: str, *, hidden_by: str | None, now: datetime,
                   announce: Announce = nothing_to_announce) -> Withdrawal | None:
        """Hide the message (by `hidden_by`) or, with None, show it again; its pending flags are reviewed now.

        Hiding also withdraws, in the same transaction, its deliveries no provider has had yet; what it did is
        answered (None on restoring, which sends nothing again). The events `announce` stages commit with it."""
        with self.session.begin():
            announce()
            self.session.execute(update(conversation_messages).where(conversation_messages.c.id == message_id)
                                 .values(hidden_at=now if hidden_by else None, hidden_by=hidden_by))
            self.session.execute(update(message_flags).where(message_flags.c.message_id == message_id,
                                                             message_flags.c.reviewed_at.is_(None))
                                 .values(reviewed_at=now))
            communication_id = self.session.execute(select(conversation_messages.c.communication_id).where(
                conversation_messages.c.id == message_id)).scalar()
            withdrawal = self._withdraw(message_id, communication_id, now) if hidden_by and communication_id \
                else None
        if withdrawal is not None and withdrawal.withdrawn:
            complete_if_nothing_outstanding(self.session, [communication_id], now)
        return withdrawal if hidden_by else None

    def _withdraw(self, message_id: str, communication_id: str, now: datetime) -> Withdrawal:
        """Take the send ledger's key of every delivery still to send (no worker's claim on it can succeed
        afterwards: a key it finds taken is not sent), mark those deliveries skipped, and count what was
        handed to a provider before (the ledger's other keys). A worker that claimed first keeps its delivery:
        it counts as already sent."""
        pending = self.session.execute(
            select(deliveries.c.id, deliveries.c.person_id, deliveries.c.channel)
            .where(deliveries.c.communication_id == communication_id, deliveries.c.status.in_(_SENDABLE),
                   deliveries.c.channel.in_(_QUEUED))).all()
        withdrawn: list[str] = []
        if pending:
            withdrawn = list(self.session.execute(
                dialect_insert(self.session, send_ledger).on_conflict_do_nothing(
                    index_elements=["communication_id", "person_id", "channel"]).returning(send_ledger.c.delivery_id),
                [{"communication_id": communication_id, "person_id": row.person_id, "channel": row.channel,
                  "delivery_id": row.id, "state": WITHHELD, "job_id": f"hidden:{message_id}", "written_at": now}
                 for row in pending]).scalars())
        if withdrawn:
            self.session.execute(
                update(deliveries).where(deliveries.c.id.in_(withdrawn), deliveries.c.status.in_(_SENDABLE))
                .values(status=DeliveryStatus.SKIPPED.value, reason=Reason.WITHDRAWN_BY_MODERATOR.value,
                        updated_at=now))
            self.session.execute(delivery_events.insert(), [
                {"id": uuid.uuid4().hex, "delivery_id": delivery_id, "status": DeliveryStatus.SKIPPED.value,
                 "reason": Reason.WITHDRAWN_BY_MODERATOR.value, "source": _EVENT_SOURCE, "occurred_at": now}
                for delivery_id in withdrawn])
        channel_of = {row.id: row.channel for row in pending}
        withdrawn_by_channel: dict[str, int] = {}
        for delivery_id in withdrawn:
            withdrawn_by_channel[channel_of[delivery_id]] = withdrawn_by_channel.get(channel_of[delivery_id], 0) + 1
        sent = dict(self.session.execute(
            select(send_ledger.c.channel, func.count())
            .where(send_ledger.c.communication_id == communication_id, send_ledger.c.state != WITHHELD)
            .group_by(send_ledger.c.channel)).all())
        return Withdrawal(withdrawn_by_channel, sent)

    def flagged_page(self, district_id: str, schools: frozenset[str] | None, *, pending_only: bool, offset: int,
                     limit: int) -> tuple[list[ModeratedMessage], int]:
        """Flagged messages of the district (of conversations with a participant of `schools`, unless None),
        the most recently flagged first; and how many there are."""
        flags = select(message_flags.c.message_id, func.max(message_flags.c.created_at).label("latest"))
        if pending_only:
            flags = flags.where(message_flags.c.reviewed_at.is_(None))
        flagged = flags.group_by(message_flags.c.message_id).subquery()
        where = [conversations.c.district_id == district_id]
        if schools is not None:
            where.append(exists().where(
                conversation_participants.c.conversation_id == conversations.c.id,
                recipient_schools.c.person_id == conversation_participants.c.person_id,
                recipient_schools.c.school_id.in_(sorted(schools))))
        joined = (flagged.join(conversation_messages, conversation_messages.c.id == flagged.c.message_id)
                  .join(conversations, conversations.c.id == conversation_messages.c.conversation_id))
        with self.session.begin():
            read_one_snapshot(self.session)
            total = self.session.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
            rows = self.session.execute(select(*_MESSAGE_COLUMNS).select_from(joined).where(*where)
                                        .order_by(flagged.c.latest.desc(), conversation_messages.c.id)
                                        .offset(offset).limit(limit)).all()
        return [ModeratedMessage(row.id, row.conversation_id, row.district_id, row.author_id, row.text,
                                 as_utc(row.created_at), as_utc(row.hidden_at), row.hidden_by, (), frozenset())
                for row in rows], total

    def flags_of(self, message_ids: Sequence[str]) -> dict[str, list[dict]]:
        """Each message's flags, the latest first."""
        if not message_ids:
            return {}
        with self.session.begin():
            rows = self.session.execute(select(message_flags).where(
                message_flags.c.message_id.in_(sorted(set(message_ids))))
                .order_by(message_flags.c.created_at.desc(), message_flags.c.id)).mappings().all()
        found: dict[str, list[dict]] = {}
        for row in rows:
            found.setdefault(row["message_id"], []).append(
                {**row, "created_at": as_utc(row["created_at"]), "reviewed_at": as_utc(row["reviewed_at"])})
        return found

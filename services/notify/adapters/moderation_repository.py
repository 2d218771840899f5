"""Content moderation in SQL: flags on conversation messages, hiding and restoring, and a moderator's list."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.notify.adapters.tables import (
    conversation_messages,
    conversation_participants,
    conversations,
    message_flags,
    recipient_schools,
)
from services.notify.domain.moderation import ModeratedMessage
from shared.db import as_utc, read_one_snapshot

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

    def add_flag(self, flag: dict) -> tuple[dict, bool]:
        """The flag stored, and whether it is new: a person's second flag on a message answers their first."""
        try:
            with self.session.begin():
                self.session.execute(message_flags.insert().values(**flag))
            return flag, True
        except IntegrityError:
            pass
        with self.session.begin():
            row = self.session.execute(select(message_flags).where(
                message_flags.c.message_id == flag["message_id"],
                message_flags.c.flagged_by == flag["flagged_by"])).mappings().one()
        return dict(row), False

    def set_hidden(self, message_id: str, *, hidden_by: str | None, now: datetime) -> None:
        """Hide the message (by `hidden_by`) or, with None, show it again; its pending flags are reviewed now."""
        with self.session.begin():
            self.session.execute(update(conversation_messages).where(conversation_messages.c.id == message_id)
                                 .values(hidden_at=now if hidden_by else None, hidden_by=hidden_by))
            self.session.execute(update(message_flags).where(message_flags.c.message_id == message_id,
                                                             message_flags.c.reviewed_at.is_(None))
                                 .values(reviewed_at=now))

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

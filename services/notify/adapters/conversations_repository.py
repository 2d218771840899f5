"""Conversations in SQL: conversations, their participants and messages, and how a reply finds its conversation.

A message's deliveries are an ordinary communication (InvitationsRepository writes it, as for every personal
communication); this repository keeps the conversation side and answers the lookups replies need.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.notify.adapters.tables import (
    communications,
    conversation_messages,
    conversation_participants,
    conversations,
    deliveries,
    recipients,
)
from services.notify.domain.conversation_records import NewMessage, StoredConversation, StoredParticipant
from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.moderation import as_shown
from shared.db import read_one_snapshot

# A conversation shows its latest messages; older ones are a later page's business.
MESSAGES_SHOWN = 200
_FILE_MESSAGES = (insert(conversation_messages)
                  .on_conflict_do_nothing(index_elements=[conversation_messages.c.source_ref])
                  .returning(conversation_messages.c.id))


class ConversationsRepository:
    def __init__(self, session: Session):
        self.session = session

    def create(self, conversation: StoredConversation, first: NewMessage) -> None:
        with self.session.begin():
            self.session.execute(conversations.insert().values(
                id=conversation.id, district_id=conversation.district_id, started_by=conversation.started_by,
                created_at=conversation.created_at, last_message_at=conversation.last_message_at))
            self.session.execute(conversation_participants.insert(), [
                {"conversation_id": conversation.id, "person_id": p.person_id, "position": p.position,
                 "role": p.role} for p in conversation.participants])
            self._insert_message(first)

    def add_message(self, message: NewMessage) -> bool:
        """False when a reply with the same source was filed already (a provider's repeat)."""
        try:
            with self.session.begin():
                self._insert_message(message)
        except IntegrityError:
            return False
        return True

    def _insert_message(self, message: NewMessage) -> None:
        self.session.execute(conversation_messages.insert().values(**_message_row(message)))
        self.session.execute(update(conversations).where(conversations.c.id == message.conversation_id)
                             .values(last_message_at=message.created_at))

    def add_messages(self, messages: Sequence[NewMessage]) -> set[str]:
        """The ids of the messages filed now, in one transaction; one whose source was filed already is not."""
        if not messages:
            return set()
        with self.session.begin():
            # An executemany: one statement compiled once and cached, its rows sent as SQLAlchemy's "insert many
            # values" batches with RETURNING; a VALUES list of the batch's rows was compiled afresh each time
            # (12 % of notify's samples while texts poured in, py-spy 2026-12-05).
            filed = set(self.session.execute(
                _FILE_MESSAGES, [_message_row(message) for message in messages]).scalars())
            latest: dict[str, object] = {}
            for message in messages:
                if message.id in filed:
                    latest[message.conversation_id] = max(message.created_at,
                                                          latest.get(message.conversation_id, message.created_at))
            if latest:
                # One executemany: UPDATE ... FROM (VALUES ...) AS t (id, at) is PostgreSQL's, not SQLite's.
                self.session.execute(
                    update(conversations).where(conversations.c.id == bindparam("moment_id"))
                    .values(last_message_at=bindparam("moment_at")),
                    [{"moment_id": conversation_id, "moment_at": at} for conversation_id, at in sorted(latest.items())])
        return filed

    def conversation(self, conversation_id: str) -> StoredConversation | None:
        return self.conversations_by_id([conversation_id]).get(conversation_id)

    def conversations_by_id(self, conversation_ids: Collection[str]) -> dict[str, StoredConversation]:
        if not conversation_ids:
            return {}
        ids = sorted(set(conversation_ids))
        with self.session.begin():
            rows = self.session.execute(select(conversations).where(conversations.c.id.in_(ids))).all()
            if not rows:
                return {}
            people = self.session.execute(
                select(conversation_participants.c.conversation_id, conversation_participants.c.person_id,
                       conversation_participants.c.position, conversation_participants.c.role,
                       recipients.c.given_name, recipients.c.family_name)
                .outerjoin(recipients, recipients.c.person_id == conversation_participants.c.person_id)
                .where(conversation_participants.c.conversation_id.in_(ids))
                .order_by(conversation_participants.c.conversation_id, conversation_participants.c.position)).all()
        participants: dict[str, list[StoredParticipant]] = {}
        for conversation_id, *person in people:
            participants.setdefault(conversation_id, []).append(StoredParticipant(*person))
        return {row.id: StoredConversation(row.id, row.district_id, row.started_by, row.created_at,
                                           row.last_message_at, tuple(participants.get(row.id, ())))
                for row in rows}

    def messages(self, conversation_id: str, *, limit: int = MESSAGES_SHOWN) -> list[dict]:
        with self.session.begin():
            rows = self.session.execute(
                select(conversation_messages).where(conversation_messages.c.conversation_id == conversation_id)
                .order_by(conversation_messages.c.created_at.desc(), conversation_messages.c.id.desc())
                .limit(limit)).mappings().all()
        return [_message(row) for row in reversed(rows)]

    def of_person(self, person_id: str, *, offset: int, limit: int) -> tuple[list[str], int]:
        """The ids of a person's conversations, the most recently active first, and how many there are."""
        mine = select(conversation_participants.c.conversation_id).where(
            conversation_participants.c.person_id == person_id)
        with self.session.begin():
            read_one_snapshot(self.session)
            total = self.session.execute(select(func.count()).select_from(mine.subquery())).scalar_one()
            ids = list(self.session.execute(
                select(conversations.c.id).where(conversations.c.id.in_(mine))
                .order_by(conversations.c.last_message_at.desc(), conversations.c.id)
                .offset(offset).limit(limit)).scalars())
        return ids, total

    def summaries(self, conversation_ids: Sequence[str]) -> list[dict]:
        """Each conversation with its participants and latest message (`last_message`: its text as
        participants see it, its author or possible authors; None without one), in the order given: three
        queries for a whole page."""
        if not conversation_ids:
            return []
        ids = sorted(set(conversation_ids))
        ranked = select(conversation_messages.c.conversation_id, conversation_messages.c.text,
                        conversation_messages.c.hidden_at, conversation_messages.c.author_id,
                        conversation_messages.c.possible_author_ids, func.row_number().over(
            partition_by=conversation_messages.c.conversation_id,
            order_by=(conversation_messages.c.created_at.desc(), conversation_messages.c.id.desc())).label("rank")
        ).where(conversation_messages.c.conversation_id.in_(ids)).subquery()
        with self.session.begin():
            heads = {row.id: row for row in self.session.execute(
                select(conversations.c.id, conversations.c.last_message_at).where(conversations.c.id.in_(ids)))}
            people = self.session.execute(
                select(conversation_participants.c.conversation_id, conversation_participants.c.person_id,
                       conversation_participants.c.role, recipients.c.given_name, recipients.c.family_name)
                .outerjoin(recipients, recipients.c.person_id == conversation_participants.c.person_id)
                .where(conversation_participants.c.conversation_id.in_(ids))
                .order_by(conversation_participants.c.conversation_id, conversation_participants.c.position)).all()
            latest = {row.conversation_id: as_shown(
                {"text": row.text, "author_id": row.author_id,
                 "possible_author_ids": list(row.possible_author_ids or ())}, row.hidden_at is not None)
                for row in self.session.execute(select(
                    ranked.c.conversation_id, ranked.c.text, ranked.c.hidden_at, ranked.c.author_id,
                    ranked.c.possible_author_ids).where(ranked.c.rank == 1))}
        participants: dict[str, list[dict]] = {}
        for row in people:
            participants.setdefault(row.conversation_id, []).append({
                "person_id": row.person_id, "given_name": row.given_name, "family_name": row.family_name,
                "role": row.role})
        return [{"conversation_id": conversation_id, "participants": participants.get(conversation_id, []),
                 "last_message_at": heads[conversation_id].last_message_at,
                 "last_message": latest.get(conversation_id)}
                for conversation_id in conversation_ids if conversation_id in heads]

    def languages_of(self, person_ids: Sequence[str]) -> dict[str, str]:
        """Each known person's language (the projection's), to show messages in."""
        if not person_ids:
            return {}
        with self.session.begin():
            return dict(self.session.execute(
                select(recipients.c.person_id, recipients.c.language)
                .where(recipients.c.person_id.in_(sorted(set(person_ids))))).all())

    # --- replies ---

    def latest_sms_to_each(self, phones: Collection[str]) -> dict[str, tuple[str, str]]:
        """Per phone, (conversation id, person id) of the latest conversation message that went to it by SMS."""
        if not phones:
            return {}
        with self.session.begin():
            rows = self.session.execute(
                select(deliveries.c.address, conversation_messages.c.conversation_id, deliveries.c.person_id)
                .distinct(deliveries.c.address)
                .join(deliveries, deliveries.c.communication_id == conversation_messages.c.communication_id)
                .join(communications, communications.c.id == deliveries.c.communication_id)
                .where(deliveries.c.address.in_(sorted(set(phones))), deliveries.c.channel == Channel.SMS.value,
                       communications.c.kind == Communication.MESSAGE.value)
                .order_by(deliveries.c.address, deliveries.c.created_at.desc(), deliveries.c.id.desc())).all()
        return {row.address: (row.conversation_id, row.person_id) for row in rows}

    def sharers_of_each(self, pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """Per (conversation id, phone), the participants whose mobile is that phone."""
        if not pairs:
            return {}
        wanted = set(pairs)
        with self.session.begin():
            rows = self.session.execute(
                select(conversation_participants.c.conversation_id, recipients.c.mobile_phone,
                       conversation_participants.c.person_id)
                .join(recipients, recipients.c.person_id == conversation_participants.c.person_id)
                .where(conversation_participants.c.conversation_id.in_(sorted({c for c, _ in wanted})),
                       recipients.c.mobile_phone.in_(sorted({p for _, p in wanted})))).all()
        found: dict[tuple[str, str], list[str]] = {}
        for conversation_id, phone, person_id in rows:
            if (conversation_id, phone) in wanted:
                found.setdefault((conversation_id, phone), []).append(person_id)
        return {pair: sorted(people) for pair, people in found.items()}


def _message_row(message: NewMessage) -> dict:
    return {"id": message.id, "conversation_id": message.conversation_id, "author_id": message.author_id,
            "possible_author_ids": list(message.possible_author_ids), "via": message.via, "text": message.text,
            "attachments": [dict(a) for a in message.attachments], "communication_id": message.communication_id,
            "source_ref": message.source_ref, "created_at": message.created_at}


def _message(row) -> dict:
    return as_shown({"message_id": row["id"], "conversation_id": row["conversation_id"], "author_id": row["author_id"],
            "possible_author_ids": list(row["possible_author_ids"] or ()), "via": row["via"], "text": row["text"],
            "attachments": list(row["attachments"] or ()), "communication_id": row["communication_id"],
            "created_at": row["created_at"]}, row["hidden_at"] is not None)

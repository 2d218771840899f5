"""A person's app inbox in SQL: their items newest first with counts, opening one, marking all read;
and, for delivery reports, how many of a communication's items were read."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from services.notify.adapters.tables import (
    communication_translations,
    communications,
    conversation_messages,
    inbox_items,
    recipients,
)
from services.notify.domain.delivery import Communication
from services.notify.domain.inbox import INBOX_KINDS, InboxFilter, InboxItem
from services.notify.domain.translation import CommunicationTranslation, TranslationOutcome, language_key
from shared.contracts.identity import DEFAULT_LANGUAGE
from shared.db import as_utc, read_one_snapshot

_KINDS = [kind.value for kind in INBOX_KINDS]
_SENDER = recipients.alias("sender")
_ITEM_COLUMNS = (communications.c.id, communications.c.kind, communications.c.subject, communications.c.body,
                 communications.c.priority, communications.c.sender_id, inbox_items.c.created_at,
                 inbox_items.c.read_at, conversation_messages.c.hidden_at,
                 _SENDER.c.language.label("original_language"),
                 communication_translations.c.language.label("translated_language"),
                 communication_translations.c.outcome.label("translation_outcome"),
                 communication_translations.c.subject.label("translated_subject"),
                 communication_translations.c.body.label("translated_body"),
                 communication_translations.c.reason.label("translation_reason"))


class InboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def inbox_page(self, person_id: str, wanted: InboxFilter, *, page: int,
                   per_page: int) -> tuple[list[InboxItem], int, int]:
        """A page of the person's items newest first; how many match the filter; how many are unread."""
        where = _mine(person_id)
        if wanted.kind is not None:
            where.append(communications.c.kind == wanted.kind.value)
        if wanted.unread_only:
            where.append(inbox_items.c.read_at.is_(None))
        order = (inbox_items.c.created_at.desc(), inbox_items.c.communication_id.desc())
        counted = select(func.count(), func.sum(case((inbox_items.c.read_at.is_(None), 1), else_=0))) \
            .select_from(inbox_items.join(communications, communications.c.id == inbox_items.c.communication_id))
        with self.session.begin():
            read_one_snapshot(self.session)
            language = self._language_of(person_id)
            items = [_item(row, language) for row in self.session.execute(
                _items(language).where(*where).order_by(*order).limit(per_page).offset((page - 1) * per_page))]
            total = self.session.execute(counted.where(*where)).one()[0]
            unread = self.session.execute(counted.where(*_mine(person_id))).one()[1] or 0
        return items, total, unread

    def open_item(self, person_id: str, communication_id: str, *, now: datetime) -> InboxItem | None:
        """The person's item, read from now on (the first opening's time is kept); None when not theirs."""
        with self.session.begin():
            self.session.execute(
                update(inbox_items)
                .where(inbox_items.c.person_id == person_id, inbox_items.c.communication_id == communication_id,
                       inbox_items.c.read_at.is_(None))
                .values(read_at=now))
            language = self._language_of(person_id)
            row = self.session.execute(
                _items(language).where(*_mine(person_id), inbox_items.c.communication_id == communication_id)
            ).one_or_none()
        return None if row is None else _item(row, language)

    def _language_of(self, person_id: str) -> str:
        """The reader's language (the projection's), in the caller's transaction."""
        return self.session.execute(select(recipients.c.language).where(recipients.c.person_id == person_id)
                                    ).scalar() or DEFAULT_LANGUAGE

    def mark_all_read(self, person_id: str, *, now: datetime, kind: Communication | None = None) -> int:
        """Every unread item of the person's (of one kind, when given) read now; how many."""
        where = [inbox_items.c.person_id == person_id, inbox_items.c.read_at.is_(None)]
        kinds = [kind.value] if kind is not None else _KINDS
        where.append(inbox_items.c.communication_id.in_(
            select(communications.c.id).where(communications.c.id == inbox_items.c.communication_id,
                                              communications.c.kind.in_(kinds))))
        with self.session.begin():
            return self.session.execute(update(inbox_items).where(*where).values(read_at=now)).rowcount

    def read_counts(self, communication_id: str) -> tuple[int, int]:
        """(read, unread) items of one communication: the report's app line."""
        with self.session.begin():
            read, unread = self.session.execute(
                select(func.count(inbox_items.c.read_at), func.count() - func.count(inbox_items.c.read_at))
                .where(inbox_items.c.communication_id == communication_id)).one()
        return read or 0, unread or 0

    def read_times(self, communication_id: str, person_ids: Sequence[str]) -> dict[str, datetime | None]:
        """When each of these people read the communication (None: not yet); people without an item left out."""
        if not person_ids:
            return {}
        with self.session.begin():
            rows = self.session.execute(
                select(inbox_items.c.person_id, inbox_items.c.read_at)
                .where(inbox_items.c.communication_id == communication_id,
                       inbox_items.c.person_id.in_(sorted(set(person_ids))))).all()
        return {person_id: as_utc(read_at) for person_id, read_at in rows}


def _items(language: str):
    # A conversation message's item shows the notice while a moderator keeps the message hidden; the
    # sender's language is the original's (as translation_source reads it); the translation is the one
    # stored for the reader's language when the communication was sent.
    return select(*_ITEM_COLUMNS).select_from(
        inbox_items.join(communications, communications.c.id == inbox_items.c.communication_id)
        .outerjoin(conversation_messages, conversation_messages.c.communication_id == communications.c.id)
        .outerjoin(_SENDER, _SENDER.c.person_id == communications.c.sender_id)
        .outerjoin(communication_translations,
                   and_(communication_translations.c.communication_id == communications.c.id,
                        communication_translations.c.language == language_key(language))))


def _mine(person_id: str) -> list:
    return [inbox_items.c.person_id == person_id, communications.c.kind.in_(_KINDS)]


def _item(row, language: str) -> InboxItem:
    translation = None if row.translated_language is None else CommunicationTranslation(
        row.translated_language, TranslationOutcome(row.translation_outcome), row.translated_subject,
        row.translated_body, row.translation_reason)
    return InboxItem(row.id, Communication(row.kind), row.subject, row.body, row.priority, row.sender_id,
                     as_utc(row.created_at), as_utc(row.read_at), hidden=row.hidden_at is not None,
                     original_language=row.original_language or DEFAULT_LANGUAGE, reader_language=language,
                     translation=translation)

"""What the audience preview reads, and only reads: the audience as the planner sees it, with languages."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify.adapters.plan_recipients_sql import members, select_members
from services.notify.adapters.tables import recipients
from services.notify.domain.audience_preview import PreviewMember
from shared.contracts.common import MAX_PAGE_ROWS
from shared.contracts.identity import DEFAULT_LANGUAGE


class PreviewRepository:
    def __init__(self, session: Session):
        self.session = session

    def audience_members(self, person_ids: Sequence[str]) -> tuple[list[PreviewMember], int]:
        """The people notify can plan for, a page of ids per query, and how many of the ids it cannot
        (unknown to it, or archived)."""
        found: list[PreviewMember] = []
        with self.session.begin():
            for start in range(0, len(person_ids), MAX_PAGE_ROWS):
                page = list(person_ids[start:start + MAX_PAGE_ROWS])
                people = select(recipients.c.person_id).where(recipients.c.person_id.in_(page)).subquery()
                languages = dict(self.session.execute(
                    select(recipients.c.person_id, recipients.c.language)
                    .where(recipients.c.person_id.in_(page))).all())
                found += [PreviewMember(member.contact, member.recipient,
                                        languages.get(member.contact.person_id) or DEFAULT_LANGUAGE)
                          for member in members(self.session.execute(select_members(people)).all())]
        return found, len(set(person_ids)) - len(found)

    def language_of(self, person_id: str) -> str:
        with self.session.begin():
            language = self.session.execute(
                select(recipients.c.language).where(recipients.c.person_id == person_id)).scalar()
        return language or DEFAULT_LANGUAGE

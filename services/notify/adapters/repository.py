"""The recipient projection in SQL: a page of rows per unit of work, never a statement per row."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from datetime import datetime

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from services.notify.adapters.tables import district_languages, recipient_schools, recipients
from services.notify.domain.recipients import Recipient
from shared.bulk_sql import insert_rows
from shared.db import dialect_insert

# What a projected page replaces in a recipient's row: every column but its key.
RECIPIENT_COLUMNS = tuple(column.name for column in recipients.columns if column.name != "person_id")


class _CreatedMeanwhile(Exception):
    """Another page inserted a person this page was about to create: its transaction is given up."""


class RecipientRepository:
    def __init__(self, session: Session):
        self.session = session

    def update_page(self, person_ids: Sequence[str],
                    update: Callable[[Mapping[str, Recipient]], Sequence[Recipient]], *, now: datetime) -> int:
        try:
            with self.session.begin():
                return self._create_with_known_held(person_ids, update, now)
        except _CreatedMeanwhile:
            pass
        with self.session.begin():
            # Rows must exist before they can be locked: two pages creating the same person at
            # once would otherwise each start from a blank row and the later would erase the other.
            # The columns' server defaults make these new rows blank recipients.
            insert_rows(self.session, recipients, [{"person_id": person_id} for person_id in sorted(person_ids)],
                        conflict=("person_id",))
            current = self._select(person_ids, for_update=True)
            changes = update(current)
            self._store(changes, current, now)
        return len(changes)

    def _create_with_known_held(self, person_ids: Sequence[str],
                                update: Callable[[Mapping[str, Recipient]], Sequence[Recipient]],
                                now: datetime) -> int:
        """The page applied with its new people written once, as they end up: the known ones held, the others
        inserted whole. Raises _CreatedMeanwhile when another page created one of them first.

        In a full sync most of a page is new: a blank row written, locked, then every column and index entry
        written again cost as much as the rest of the page. Here a new row is written once; if another page
        inserted the same person meanwhile, this page gives up all it holds (it must not wait for the other's
        rows while holding its own) and update_page applies it the careful way."""
        current = self._select(person_ids, for_update=True)
        unknown = {person_id: Recipient(person_id) for person_id in person_ids if person_id not in current}
        current |= unknown
        changes = update(current)
        new = {recipient.person_id: recipient for recipient in changes if recipient.person_id in unknown}
        # In id order: two pages inserting some of the same new people wait for each other in one order, not in a cycle.
        rows = [_recipient_row(new.get(person_id, blank), now) for person_id, blank in sorted(unknown.items())]
        if insert_rows(self.session, recipients, rows, conflict=("person_id",)) != len(rows):
            raise _CreatedMeanwhile()
        # The new rows are written; their schools are stored like any move from none.
        self._store([recipient for recipient in changes if recipient.person_id not in new], current, now)
        self._store_schools([recipient for recipient in new.values() if recipient.school_ids], {})
        return len(changes)

    def find(self, person_ids: Sequence[str]) -> list[Recipient]:
        with self.session.begin():
            return list(self._select(person_ids, for_update=False).values())

    def district_default_languages(self, district_ids: Sequence[str]) -> dict[str, str]:
        if not district_ids:
            return {}
        with nullcontext() if self.session.in_transaction() else self.session.begin():
            return dict(self.session.execute(
                select(district_languages.c.district_id, district_languages.c.default_language)
                .where(district_languages.c.district_id.in_(sorted(set(district_ids))))).all())

    def set_district_default_language(self, district_id: str, language: str, *, now: datetime) -> int:
        with self.session.begin():
            upsert = self._dialect_insert(district_languages)
            self.session.execute(upsert.values(district_id=district_id, default_language=language, updated_at=now)
                                 .on_conflict_do_update(index_elements=["district_id"],
                                                        set_={"default_language": language, "updated_at": now}))
            return self.session.execute(
                update(recipients).where(recipients.c.district_id == district_id, recipients.c.joined.is_(False),
                                         recipients.c.language != language)
                .values(language=language, updated_at=now)).rowcount

    def _select(self, person_ids: Sequence[str], *, for_update: bool) -> dict[str, Recipient]:
        # One query for the page: the join repeats a recipient once per school.
        query = (
            select(recipients, recipient_schools.c.school_id)
            .outerjoin(recipient_schools, recipient_schools.c.person_id == recipients.c.person_id)
            .where(recipients.c.person_id.in_(person_ids))
            .order_by(recipients.c.person_id, recipient_schools.c.school_id)
        )
        if for_update:
            # Held until commit, so a concurrent page for the same people waits instead of
            # overwriting this one's fields with what it read before this one committed.
            query = query.with_for_update(of=recipients)
        rows_by_person: dict[str, dict] = {}
        schools_by_person: dict[str, list[str]] = {}
        for row in self.session.execute(query).mappings():
            rows_by_person.setdefault(row["person_id"], dict(row))
            schools = schools_by_person.setdefault(row["person_id"], [])
            if row["school_id"] is not None:
                schools.append(row["school_id"])
        return {
            person_id: _recipient(row, schools_by_person[person_id])
            for person_id, row in rows_by_person.items()
        }

    def _store(self, changes: Sequence[Recipient], current: dict[str, Recipient], now: datetime) -> None:
        if not changes:
            return
        # Every changed row exists and is locked; the upsert is only the fast way to update many:
        # psycopg2 runs an executemany UPDATE as one round trip per row, while this is one statement.
        insert_rows(self.session, recipients, [_recipient_row(recipient, now) for recipient in changes],
                    conflict=("person_id",), replace=RECIPIENT_COLUMNS)
        self._store_schools([recipient for recipient in changes
                             if recipient.school_ids != current[recipient.person_id].school_ids], current)

    def _store_schools(self, moved: Sequence[Recipient], current: Mapping[str, Recipient]) -> None:
        """Replace the school rows of the `moved` recipients (those of `current` had rows before)."""
        had_rows = [recipient.person_id for recipient in moved
                    if recipient.person_id in current and current[recipient.person_id].school_ids]
        if had_rows:
            self.session.execute(delete(recipient_schools).where(recipient_schools.c.person_id.in_(had_rows)))
        memberships = [{"person_id": recipient.person_id, "school_id": school_id}
                       for recipient in moved for school_id in recipient.school_ids]
        insert_rows(self.session, recipient_schools, memberships)

    def _dialect_insert(self, table: Table):
        return dialect_insert(self.session, table)


def _recipient_row(recipient: Recipient, now: datetime) -> dict:
    return {
        "person_id": recipient.person_id,
        "district_id": recipient.district_id,
        "given_name": recipient.given_name,
        "family_name": recipient.family_name,
        "email": recipient.email,
        "mobile_phone": recipient.mobile_phone,
        "account_status": recipient.account_status,
        "roles": list(recipient.roles),
        "kinds": list(recipient.kinds),
        "student_account_enabled": recipient.student_account_enabled,
        "joined": recipient.joined,
        "archived": recipient.archived,
        "in_directory": recipient.in_directory,
        "language": recipient.language,
        "updated_at": now,
    }


def _recipient(row: dict, school_ids: list[str]) -> Recipient:
    return Recipient(
        person_id=row["person_id"],
        district_id=row["district_id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        email=row["email"],
        mobile_phone=row["mobile_phone"],
        account_status=row["account_status"],
        roles=tuple(row["roles"]),
        kinds=tuple(row["kinds"]),
        school_ids=tuple(school_ids),
        student_account_enabled=row["student_account_enabled"],
        joined=row["joined"],
        archived=row["archived"],
        in_directory=row["in_directory"],
        language=row["language"],
    )

"""Preferences users chose and the districts' defaults, in SQL."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from services.notify.adapters.tables import district_settings, preferences, recipients
from services.notify.domain.recipients import is_student
from shared.db import dialect_insert


@dataclass(frozen=True, slots=True)
class StoredPreference:
    person_id: str
    chosen: str | None  # None: never chose
    chosen_at: datetime | None
    district_default: str | None  # None: the district never set one (or notify does not know the person yet)
    student: bool  # a student's default is Email+app, not the district's (False for a person notify never heard of)


@dataclass(frozen=True, slots=True)
class StoredDistrictSettings:
    district_id: str
    default_preference: str | None
    updated_at: datetime | None
    updated_by: str | None


class PreferencesRepository:
    def __init__(self, session: Session):
        self.session = session

    def preferences_of(self, person_ids: Sequence[str]) -> dict[str, StoredPreference]:
        """Each person's choice, their district's default and whether they are a student; people notify never
        heard of included."""
        with self.session.begin():
            chosen = {row.person_id: row for row in self.session.execute(
                select(preferences.c.person_id, preferences.c.preference, preferences.c.chosen_at)
                .where(preferences.c.person_id.in_(person_ids)))}
            known = {row.person_id: row for row in self.session.execute(
                select(recipients.c.person_id, recipients.c.kinds, district_settings.c.default_preference)
                .outerjoin(district_settings, district_settings.c.district_id == recipients.c.district_id)
                .where(recipients.c.person_id.in_(person_ids)))}
        return {person_id: StoredPreference(
            person_id,
            chosen[person_id].preference if person_id in chosen else None,
            chosen[person_id].chosen_at if person_id in chosen else None,
            known[person_id].default_preference if person_id in known else None,
            person_id in known and is_student(known[person_id].kinds)) for person_id in person_ids}

    def set_preference(self, person_id: str, preference: str, *, chosen_by: str, now: datetime) -> None:
        upsert = self._insert(preferences)
        with self.session.begin():
            self.session.execute(upsert.on_conflict_do_update(
                index_elements=["person_id"],
                set_={"preference": upsert.excluded.preference, "chosen_at": upsert.excluded.chosen_at,
                      "chosen_by": upsert.excluded.chosen_by}),
                {"person_id": person_id, "preference": preference, "chosen_at": now, "chosen_by": chosen_by})

    def district_settings(self, district_id: str) -> StoredDistrictSettings:
        with self.session.begin():
            row = self.session.execute(select(district_settings).where(
                district_settings.c.district_id == district_id)).one_or_none()
        if row is None:
            return StoredDistrictSettings(district_id, None, None, None)
        return StoredDistrictSettings(row.district_id, row.default_preference, row.updated_at, row.updated_by)

    def set_district_default(self, district_id: str, preference: str, *, updated_by: str,
                             now: datetime) -> StoredDistrictSettings:
        upsert = self._insert(district_settings)
        with self.session.begin():
            self.session.execute(upsert.on_conflict_do_update(
                index_elements=["district_id"],
                set_={"default_preference": upsert.excluded.default_preference,
                      "updated_at": upsert.excluded.updated_at, "updated_by": upsert.excluded.updated_by}),
                {"district_id": district_id, "default_preference": preference, "updated_at": now,
                 "updated_by": updated_by})
        return StoredDistrictSettings(district_id, preference, now, updated_by)

    def _insert(self, table: Table):
        return dialect_insert(self.session, table)

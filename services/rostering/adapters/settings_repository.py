"""Each district's sync settings in the rostering database; a district never saved has the defaults.

The source's secrets are stored only as the sealed token the settings carry; which of them are set is kept
beside it in the clear, so answering the settings never needs the key.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from services.rostering.adapters.tables import district_settings
from services.rostering.domain.settings import SyncSettings
from shared.contracts.rostering import PROVIDER_SOURCES
from shared.db import as_utc, dialect_insert
from shared.outbox import Announce, nothing_to_announce

COLUMNS = ("daily_sync", "sync_manages_guardians", "unarchive_classrooms_that_reappear",
           "sync_updates_contact_details_of_active_users", "enable_student_accounts_automatically",
           "mass_change_threshold", "source", "connection", "sealed_secrets", "daily_time", "time_zone", "region",
           "updated_by", "updated_at")


class SettingsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, district_id: str) -> SyncSettings:
        row = self.session.execute(select(district_settings)
                                   .where(district_settings.c.district_id == district_id)).mappings().first()
        self.session.commit()
        return SyncSettings(district_id) if row is None else _settings(row)

    def save(self, settings: SyncSettings, *, announce: Announce = nothing_to_announce) -> None:
        """The settings, with the events `announce` stages (the audit of the change)."""
        values = {name: getattr(settings, name) for name in COLUMNS}
        values["connection"] = dict(settings.connection)
        values["secret_names"] = sorted(settings.secrets_set)
        statement = dialect_insert(self.session, district_settings).values(district_id=settings.district_id, **values)
        self.session.execute(statement.on_conflict_do_update(index_elements=[district_settings.c.district_id],
                                                             set_=values))
        announce()
        self.session.commit()

    def scheduled(self) -> list[tuple[SyncSettings, date | None]]:
        """Districts the daily schedule starts, with the local day it last started each one on."""
        rows = self.session.execute(select(district_settings).where(
            district_settings.c.daily_sync.is_(True), district_settings.c.source.in_(PROVIDER_SOURCES))
            .order_by(district_settings.c.district_id)).mappings().all()
        self.session.commit()
        return [(_settings(row), row["last_scheduled_on"]) for row in rows]

    def with_source(self, source: str) -> list[SyncSettings]:
        """Every district whose settings name `source`, whatever its daily sync (SFTP drops are picked up as they
        come)."""
        rows = self.session.execute(select(district_settings).where(district_settings.c.source == source)
                                    .order_by(district_settings.c.district_id)).mappings().all()
        self.session.commit()
        return [_settings(row) for row in rows]

    def last_scheduled_on(self, district_id: str) -> date | None:
        day = self.session.execute(select(district_settings.c.last_scheduled_on)
                                   .where(district_settings.c.district_id == district_id)).scalar()
        self.session.commit()
        return day

    def claim_scheduled_day(self, district_id: str, day: date) -> bool:
        """Whether this caller may start the district's run of `day`: one claim a day wins, even when several
        rostering instances ask at once (the update is conditional on the day not yet claimed)."""
        claimed = self.session.execute(
            update(district_settings)
            .where(district_settings.c.district_id == district_id,
                   or_(district_settings.c.last_scheduled_on.is_(None),
                       district_settings.c.last_scheduled_on < day))
            .values(last_scheduled_on=day)).rowcount
        self.session.commit()
        return claimed == 1


def _settings(row) -> SyncSettings:
    values = {name: row[name] for name in COLUMNS if name not in ("updated_at", "connection")}
    return SyncSettings(row["district_id"], **values, connection=dict(row["connection"] or {}),
                        secrets_set=frozenset(row["secret_names"] or ()), updated_at=as_utc(row["updated_at"]))

"""Registered push devices in SQL: a person registers and removes theirs; workers read the tokens of a
page of people and forget the ones FCM reports stale."""
from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.notify.adapters.tables import devices
from shared.db import as_utc, dialect_insert


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    person_id: str
    token: str
    platform: str
    created_at: datetime
    last_seen_at: datetime


class DevicesRepository:
    def __init__(self, session: Session):
        self.session = session

    def register(self, person_id: str, token: str, platform: str, *, now: datetime, keep: int) -> Device:
        """The device of this token, now the person's (it moves from whoever had it); the person's least
        recently seen devices beyond `keep` are forgotten."""
        insert = dialect_insert(self.session, devices)
        upsert = insert.on_conflict_do_update(
            index_elements=["token"],
            set_={"person_id": insert.excluded.person_id, "platform": insert.excluded.platform,
                  "last_seen_at": insert.excluded.last_seen_at})
        with self.session.begin():
            self.session.execute(upsert.values(id=uuid.uuid4().hex, person_id=person_id, token=token,
                                               platform=platform, created_at=now, last_seen_at=now))
            surplus = select(devices.c.id).where(devices.c.person_id == person_id) \
                .order_by(devices.c.last_seen_at.desc(), devices.c.id).offset(keep)
            surplus_ids = list(self.session.execute(surplus).scalars())
            if surplus_ids:
                self.session.execute(delete(devices).where(devices.c.id.in_(surplus_ids)))
            row = self.session.execute(select(devices).where(devices.c.token == token)).one()
        return _device(row)

    def devices_of(self, person_id: str) -> list[Device]:
        with self.session.begin():
            rows = self.session.execute(select(devices).where(devices.c.person_id == person_id)
                                        .order_by(devices.c.last_seen_at.desc(), devices.c.id)).all()
        return [_device(row) for row in rows]

    def remove(self, person_id: str, device_id: str) -> bool:
        """Only the person's own device; whether there was one."""
        with self.session.begin():
            return self.session.execute(delete(devices).where(
                devices.c.person_id == person_id, devices.c.id == device_id)).rowcount > 0


def tokens_of(session: Session, person_ids: Collection[str]) -> dict[str, list[str]]:
    """Each person's device tokens, in the caller's transaction; people without devices left out."""
    if not person_ids:
        return {}
    rows = session.execute(select(devices.c.person_id, devices.c.token)
                           .where(devices.c.person_id.in_(sorted(set(person_ids))))
                           .order_by(devices.c.person_id, devices.c.token)).all()
    found: dict[str, list[str]] = {}
    for person_id, token in rows:
        found.setdefault(person_id, []).append(token)
    return found


def forget_tokens(session: Session, tokens: Sequence[str]) -> int:
    """Delete the devices of stale tokens, in the caller's transaction; how many."""
    if not tokens:
        return 0
    return session.execute(delete(devices).where(devices.c.token.in_(sorted(set(tokens))))).rowcount


def _device(row) -> Device:
    return Device(row.id, row.person_id, row.token, row.platform, as_utc(row.created_at), as_utc(row.last_seen_at))

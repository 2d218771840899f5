"""Credential health for profiles, Reset Status and STOP / START, in SQL.

Health belongs to a credential (kind, address), not to a person: no row means
good. Each change here reads the row under a lock and decides with the pure
rules of domain.credential_status inside the same transaction, so two
concurrent changes to one credential apply one after the other.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.orm import Session

from services.notify.adapters.tables import credential_health, deliveries, recipients, status_resets
from services.notify.domain.delivery import PROVIDER_CHANNELS, CredentialKind, CredentialState, DeliveryStatus
from shared.db import dialect_insert
from shared.outbox import Announce, nothing_to_announce

_PROVIDER_CHANNELS = [channel.value for channel in PROVIDER_CHANNELS]
CredentialKey = tuple[CredentialKind, str]


@dataclass(frozen=True, slots=True)
class PersonCredentials:
    person_id: str
    email: str | None
    mobile_phone: str | None

    def address(self, kind: CredentialKind) -> str | None:
        return self.email if kind is CredentialKind.EMAIL else self.mobile_phone


@dataclass(frozen=True, slots=True)
class Health:
    state: CredentialState
    reason: str | None
    updated_at: datetime | None


GOOD = Health(CredentialState.GOOD, None, None)


@dataclass(frozen=True, slots=True)
class CredentialReport:
    """One credential of one person, as a profile shows it."""

    person_id: str
    kind: CredentialKind
    address: str
    health: Health
    last_status: str | None


@dataclass(frozen=True, slots=True)
class ResetRecord:
    previous: Health
    reset_at: datetime


class CredentialsRepository:
    def __init__(self, session: Session):
        self.session = session

    def credentials_of(self, person_ids: Sequence[str]) -> dict[str, PersonCredentials]:
        with self.session.begin():
            rows = self.session.execute(
                select(recipients.c.person_id, recipients.c.email, recipients.c.mobile_phone)
                .where(recipients.c.person_id.in_(person_ids)))
            return {row.person_id: PersonCredentials(row.person_id, row.email, row.mobile_phone) for row in rows}

    def reports_of(self, people: Collection[PersonCredentials]) -> list[CredentialReport]:
        """Each person's email and mobile with its health and the latest delivery status on it, in order."""
        keys = [(kind, address) for person in people for kind in CredentialKind
                if (address := person.address(kind)) is not None]
        with self.session.begin():
            health = self._health(keys)
            latest = self._latest_statuses([person.person_id for person in people])
        return [CredentialReport(person.person_id, kind, address, health.get((kind, address), GOOD),
                                 latest.get((person.person_id, address)))
                for person in people for kind in CredentialKind if (address := person.address(kind)) is not None]

    def health_of(self, keys: Collection[CredentialKey]) -> dict[CredentialKey, Health]:
        with self.session.begin():
            return self._health(keys)

    def health_in_transaction(self, keys: Collection[CredentialKey]) -> dict[CredentialKey, Health]:
        """health_of inside the caller's open transaction (it sees that transaction's own writes)."""
        return self._health(keys)

    def reset(self, kind: CredentialKind, address: str, *, check: Callable[[CredentialState], None],
              reset_by: str, reason: str | None, now: datetime,
              announce: Announce = nothing_to_announce) -> ResetRecord:
        """Clear the credential back to good and record who, when and why, with the events `announce` stages;
        `check` may refuse (and roll back)."""
        with self.session.begin():
            previous = self._locked_health(kind, address)
            check(previous.state)
            announce()
            self._store_state(kind, address, CredentialState.GOOD, None, now)
            self.session.execute(status_resets.insert().values(
                id=uuid.uuid4().hex, kind=kind.value, address=address, previous_state=previous.state.value,
                previous_reason=previous.reason, reset_by=reset_by, reason=reason, reset_at=now))
        return ResetRecord(previous, now)

    def change_state(self, kind: CredentialKind, address: str,
                     decide: Callable[[CredentialState], tuple[CredentialState, str | None]], *,
                     now: datetime,
                     announce_change: Callable[[Health], None] = lambda after: None) -> tuple[Health, Health]:
        """Apply `decide` (current state -> new state and reason) under a lock; (before, after). A change is
        announced (`announce_change(after)`, which stages its events) inside the change's transaction."""
        with self.session.begin():
            before = self._locked_health(kind, address)
            state, reason = decide(before.state)
            if state is before.state:
                return before, before
            self._store_state(kind, address, state, reason, now)
            after = Health(state, reason, now)
            announce_change(after)
        return before, after

    # --- SQL pieces. ---

    def _health(self, keys: Collection[CredentialKey]) -> dict[CredentialKey, Health]:
        if not keys:
            return {}
        rows = self.session.execute(
            select(credential_health.c.kind, credential_health.c.address, credential_health.c.state,
                   credential_health.c.reason, credential_health.c.updated_at)
            .where(tuple_(credential_health.c.kind, credential_health.c.address).in_(
                [(kind.value, address) for kind, address in keys])))
        return {(CredentialKind(row.kind), row.address): Health(CredentialState(row.state), row.reason, row.updated_at)
                for row in rows}

    def _latest_statuses(self, person_ids: Sequence[str]) -> dict[tuple[str, str], str]:
        newest_first = func.row_number().over(partition_by=(deliveries.c.person_id, deliveries.c.address),
                                              order_by=(deliveries.c.updated_at.desc(), deliveries.c.id))
        ranked = (select(deliveries.c.person_id, deliveries.c.address, deliveries.c.status,
                         newest_first.label("newest"))
                  .where(deliveries.c.person_id.in_(person_ids), deliveries.c.channel.in_(_PROVIDER_CHANNELS),
                         deliveries.c.address.is_not(None),
                         # A skipped delivery never reached the credential: it says nothing about it.
                         deliveries.c.status != DeliveryStatus.SKIPPED.value)
                  .subquery())
        rows = self.session.execute(select(ranked.c.person_id, ranked.c.address, ranked.c.status)
                                    .where(ranked.c.newest == 1))
        return {(row.person_id, row.address): row.status for row in rows}

    def _locked_health(self, kind: CredentialKind, address: str) -> Health:
        row = self.session.execute(
            select(credential_health.c.state, credential_health.c.reason, credential_health.c.updated_at)
            .where(credential_health.c.kind == kind.value, credential_health.c.address == address)
            .with_for_update()).one_or_none()
        return GOOD if row is None else Health(CredentialState(row.state), row.reason, row.updated_at)

    def _store_state(self, kind: CredentialKind, address: str, state: CredentialState, reason: str | None,
                     now: datetime) -> None:
        # A state set by hand or by text starts the count of soft failures afresh.
        upsert = self._insert(credential_health)
        self.session.execute(upsert.on_conflict_do_update(
            index_elements=["kind", "address"],
            set_={"state": upsert.excluded.state, "reason": upsert.excluded.reason,
                  "soft_failures": upsert.excluded.soft_failures, "updated_at": upsert.excluded.updated_at}),
            {"kind": kind.value, "address": address, "state": state.value, "reason": reason, "soft_failures": 0,
             "updated_at": now})

    def _insert(self, table: Table):
        return dialect_insert(self.session, table)

"""Credential health for profiles, and Reset Status.

Reset Status clears *bad* so later communications are attempted again (they
revert from the fallback channel to the preferred one); it sends nothing,
deletes nothing and is recorded. Who may reset is the gateway's decision
(Rostering Administrator, School-Wide Communications, Users Manager, admins).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Protocol

from services.notify.adapters.credentials_repository import (
    CredentialKey,
    CredentialReport,
    Health,
    PersonCredentials,
    ResetRecord,
)
from services.notify.domain.credential_status import ResetRefused, check_reset
from services.notify.domain.delivery import CredentialKind, CredentialState
from services.notify.domain.email_suppression import SuppressionLift, SuppressionsUnavailable, plan_lift
from services.notify.ports import EmailSuppressions
from shared.contracts import notify
from shared.contracts.errors import InvalidRequest, NotFound, ProviderUnavailable
from shared.outbox import Announce, nothing_to_announce

Clock = Callable[[], datetime]
Publish = Callable[..., None]


class CredentialStore(Protocol):
    def credentials_of(self, person_ids: Sequence[str]) -> dict[str, PersonCredentials]: ...

    def reports_of(self, people: Collection[PersonCredentials]) -> list[CredentialReport]: ...

    def health_of(self, keys: Collection[CredentialKey]) -> dict[CredentialKey, Health]: ...

    def reset(self, kind: CredentialKind, address: str, *, check: Callable[[CredentialState], None],
              reset_by: str, reason: str | None, now: datetime,
              announce: Announce = nothing_to_announce) -> ResetRecord: ...

    def change_state(self, kind: CredentialKind, address: str,
                     decide: Callable[[CredentialState], tuple[CredentialState, str | None]], *,
                     now: datetime, announce_change: Callable[[Health], None] = ...) -> tuple[Health, Health]: ...


def get_credential_health(request: dict, *, credentials: CredentialStore) -> dict:
    """Each known person's email and mobile, in the order asked; people notify does not know are left out."""
    person_ids = list(dict.fromkeys(request["person_ids"]))
    found = credentials.credentials_of(person_ids)
    people = [found[person_id] for person_id in person_ids if person_id in found]
    return {"credentials": [{
        "person_id": report.person_id, "kind": report.kind.value, "address": report.address,
        "state": report.health.state.value, "reason": report.health.reason, "last_status": report.last_status,
        "updated_at": report.health.updated_at,
    } for report in credentials.reports_of(people)]}


def reset_credential_status(request: dict, *, credentials: CredentialStore, suppressions: EmailSuppressions | None,
                            publish: Publish, clock: Clock) -> dict:
    person_id, kind = request["person_id"], CredentialKind(request["kind"])
    person = credentials.credentials_of([person_id]).get(person_id)
    if person is None:
        raise NotFound("No such person.", fields={"person_id": ["notify knows no one with this id"]})
    address = person.address(kind)
    if address is None:
        raise InvalidRequest(f"This person has no {_noun(kind)}.", fields={"kind": [f"no {_noun(kind)} on file"]})
    check = lambda state: _check_or_refuse(kind, state)  # noqa: E731 - once before the provider, again when saved
    lift = None
    if kind is CredentialKind.EMAIL and suppressions is not None:
        health = credentials.health_of([(kind, address)]).get((kind, address))
        check(health.state if health else CredentialState.GOOD)
        lift = _lift_suppressions(suppressions, address)
    record = credentials.reset(
        kind, address, check=check, reset_by=request["reset_by"], reason=request["reason"], now=clock(),
        announce=lambda: publish(notify.CREDENTIAL_STATUS_CHANGED, {
            "kind": kind.value, "address": address, "state": CredentialState.GOOD.value, "reason": None}))
    return {"person_id": person_id, "kind": kind.value, "address": address,
            "previous_state": record.previous.state.value, "previous_reason": record.previous.reason,
            "state": CredentialState.GOOD.value, "reset_by": request["reset_by"], "reason": request["reason"],
            "reset_at": record.reset_at, "provider_suppressions": lift.as_dict() if lift else None}


def _check_or_refuse(kind: CredentialKind, state: CredentialState) -> None:
    try:
        check_reset(kind, state)
    except ResetRefused as refused:
        raise InvalidRequest(f"Reset Status does not apply: {refused.reason}.", fields={"kind": [refused.reason]}) \
            from None


def _lift_suppressions(suppressions: EmailSuppressions, address: str) -> SuppressionLift:
    try:
        lift = plan_lift(suppressions.lists_holding(address))
        for list_name in lift.lifted:
            suppressions.remove(address, list_name)
    except SuppressionsUnavailable as unavailable:
        raise ProviderUnavailable(
            f"The email provider could not take this address off its bounce lists, so nothing was reset "
            f"(a retry would be dropped); try again: {unavailable}", fields={"kind": [str(unavailable)]}) from None
    return lift


def _noun(kind: CredentialKind) -> str:
    return "email address" if kind is CredentialKind.EMAIL else "mobile phone"

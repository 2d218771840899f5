"""Use cases of a district's sync settings: read them, change them (secrets sealed, the directory told what
the sync owns, the change audited through DISTRICT_SYNC_SETTINGS_CHANGED)."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from marshmallow import ValidationError

from services.rostering.domain.district_match import connected_connection
from services.rostering.domain.settings import InvalidSetting, SyncSettings, changed_secrets, secret_names
from services.rostering.ports import Clock, DistrictSettings, Publish
from shared.contracts import rostering
from shared.contracts.errors import InvalidRequest
from shared.contracts.rostering_settings import check_connection
from shared.sealed_secrets import SealedSecrets, SecretsUnavailable

# Who changed what is the audit entry itself, not part of what changed.
_NOT_AUDITED = ("updated_by", "updated_at")


def new_change_id() -> str:
    return uuid.uuid4().hex


def get_district_sync_settings(request: dict, *, settings: DistrictSettings) -> dict:
    return settings.get(request["district_id"]).as_payload()


def connect_district(request: dict, *, settings: DistrictSettings, secrets: SealedSecrets, directory: Any,
                     publish: Publish, clock: Clock, new_id: Callable[[], str] = new_change_id) -> dict:
    """A district that connects its provider first: made in the directory under its provider's id of it (found
    there when it is already), then its settings saved as update_district_sync_settings saves them. The settings
    are checked before the district is made, so a refused request makes nothing."""
    changes = {name: value for name, value in request.items() if name not in ("source_id", "name")}
    try:
        connection = connected_connection(changes.get("source"), changes.get("connection"), request["source_id"])
    except InvalidSetting as invalid:
        raise InvalidRequest(invalid.reason, fields={invalid.field: [invalid.reason]}) from None
    if connection:
        changes["connection"] = connection
    _changed(SyncSettings(request["source_id"]), changes, clock)
    district = directory.upsert_district({"source_id": request["source_id"], "name": request["name"]})
    return update_district_sync_settings({**changes, "district_id": district["id"]}, settings=settings,
                                         secrets=secrets, directory=directory, publish=publish, clock=clock,
                                         new_id=new_id)


def update_district_sync_settings(request: dict, *, settings: DistrictSettings, secrets: SealedSecrets,
                                  directory: Any, publish: Publish, clock: Clock,
                                  new_id: Callable[[], str] = new_change_id) -> dict:
    current = settings.get(request["district_id"])
    changes = {name: value for name, value in request.items() if name != "district_id"}
    updated, connection_changes = _changed(current, changes, clock)
    secrets_given = sorted(name for name in secret_names(updated.source) if name in connection_changes)
    if updated.source != current.source or secrets_given:
        updated = replace(updated, sealed_secrets=_sealed(current, updated, connection_changes, secrets))
    settings.save(updated, announce=lambda: _audit(current, updated, secrets_given, publish, new_id))
    # The directory locks what the sync owns as soon as the district syncs, not at its next run.
    directory.set_district_sync(updated.ownership())
    return updated.as_payload()


def _changed(current: SyncSettings, request: dict, clock: Clock) -> tuple[SyncSettings, dict]:
    """The settings with a request's changes laid over them, and the connection changes as the source reads
    them; InvalidRequest naming the field when they cannot be."""
    changes = {name: value for name, value in request.items() if name != "changed_by"}
    connection_changes = changes.get("connection") or {}
    try:
        if connection_changes:
            # Kept as read: a port given as text (schoolctl --set) is kept a number.
            connection_changes = changes["connection"] = check_connection(changes.get("source", current.source),
                                                                          connection_changes)
        return current.changed(changes, by=request["changed_by"], at=clock()), connection_changes
    except ValidationError as invalid:
        raise InvalidRequest("the settings are not valid", fields=invalid.messages) from None
    except InvalidSetting as invalid:
        raise InvalidRequest(invalid.reason, fields={invalid.field: [invalid.reason]}) from None


def _sealed(current: SyncSettings, updated: SyncSettings, connection_changes: dict,
            secrets: SealedSecrets) -> str | None:
    try:
        kept = secrets.open(current.sealed_secrets) if updated.source == current.source else {}
        return secrets.seal(changed_secrets(current, updated, kept, connection_changes))
    except SecretsUnavailable as unavailable:
        raise InvalidRequest(str(unavailable), fields={"connection": [str(unavailable)]}) from None


def _audit(current: SyncSettings, updated: SyncSettings, secrets_given: list[str], publish: Publish,
           new_id: Callable[[], str]) -> None:
    before, after = current.as_payload(), updated.as_payload()
    changed = [name for name in after if name not in _NOT_AUDITED and before.get(name) != after[name]]
    if not changed and not secrets_given:
        return
    publish(rostering.DISTRICT_SYNC_SETTINGS_CHANGED, {
        "change_id": new_id(), "district_id": updated.district_id, "changed_by": updated.updated_by,
        "changed_at": updated.updated_at, "before": {name: before.get(name) for name in changed},
        # A secret replaced by another still reads `_set: true`: the entry names it as given, never its value.
        "after": {**{name: after[name] for name in changed},
                  **({"secrets_given": secrets_given} if secrets_given else {})}})

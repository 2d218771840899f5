"""A district's sync settings: where its roster comes from, when it syncs, what the sync owns, how it treats
what reappears, when it stops to ask.

The names follow the rostering provider setup screens: "Enable Daily sync", "Allow sync to manage
Guardians" (else guardians come from a guardians.csv or by hand), "Unarchive classrooms that reappear",
"Allow the sync to update contact details of active users", and for SFTP districts "enable student accounts
automatically". The mass-change threshold is the share of the district's people or enrollments a run may
archive before it waits for approval (DESIGN.md).

The source's secrets (a ClassLink client secret, a Clever token, an SFTP password) are kept apart from
these settings, sealed (adapters/secret_box.py): the settings know only which secrets are set.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from shared.contracts.rostering import (
    CLASSLINK,
    CLEVER,
    NOTICE_FIELDS,
    ONEROSTER_CSV,
    PROVIDER_SOURCES,
    SFTP,
    SOURCE_CONNECTIONS,
    SOURCE_LABELS,
    valid_daily_time,
    valid_time_zone,
)

from .guard import DEFAULT_THRESHOLD

DEFAULT_DAILY_TIME = "02:00"
# What a district must have told before a sync from its source can start.
REQUIRED_CONNECTION = {CLASSLINK: ("tenant_id", "application_id", "server_url", "client_id", "client_secret"),
                       CLEVER: ("district_id", "token"), SFTP: ("host", "username", "folder", "host_key")}
# Changed only through their own rules, never laid over by a request.
_KEPT = {"district_id", "updated_by", "updated_at", "connection", "secrets_set", "sealed_secrets"}
_NOT_ANSWERED = {"connection", "secrets_set", "sealed_secrets"}


class InvalidSetting(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class SyncSettings:
    district_id: str
    daily_sync: bool = False
    sync_manages_guardians: bool = True
    unarchive_classrooms_that_reappear: bool = True
    sync_updates_contact_details_of_active_users: bool = False
    enable_student_accounts_automatically: bool = False
    mass_change_threshold: float = DEFAULT_THRESHOLD
    source: str | None = ONEROSTER_CSV
    connection: Mapping[str, str] = field(default_factory=dict)  # the source's fields that are not secret
    secrets_set: frozenset[str] = frozenset()  # which of the source's secrets are kept (sealed, elsewhere)
    daily_time: str = DEFAULT_DAILY_TIME
    time_zone: str = "UTC"
    region: str = "US"
    updated_by: str | None = None
    updated_at: datetime | None = None
    # The source's secrets as one sealed token (shared/sealed_secrets.py): opaque here, never answered.
    sealed_secrets: str | None = field(default=None, repr=False)

    def changed(self, changes: Mapping, *, by: str, at: datetime) -> SyncSettings:
        """These settings with `changes` laid over them.

        A new source starts with no connection; `connection` fields given are laid over the source's
        (null removes one). Secrets among them are only noted as set here: the caller seals their values.
        Turning the daily sync on needs a source it can read with everything it needs.
        """
        threshold = changes.get("mass_change_threshold", self.mass_change_threshold)
        if not 0 < threshold <= 1:
            raise InvalidSetting("mass_change_threshold",
                                 f"{threshold} is not a share: give a number above 0 and at most 1 (0.10 is 10 %)")
        for name, check in (("daily_time", valid_daily_time), ("time_zone", valid_time_zone)):
            if name in changes and not check(changes[name]):
                raise InvalidSetting(name, f"{changes[name]!r} is not a valid {name.replace('_', ' ')}")
        known = {f.name for f in fields(self)} - _KEPT
        updated = replace(self, **{name: value for name, value in changes.items() if name in known},
                          updated_by=by, updated_at=at)
        source_changed = updated.source != self.source
        connection = {} if source_changed else dict(self.connection)
        secrets = set() if source_changed else set(self.secrets_set)
        secrets_of_source = secret_names(updated.source)
        for name, value in (changes.get("connection") or {}).items():
            if name not in _connection_names(updated.source):
                raise InvalidSetting(f"connection.{name}", f"{name} is not a setting of the source "
                                                           f"{updated.source or 'none'}")
            if name in secrets_of_source:
                (secrets.add if value else secrets.discard)(name)
            elif value is None:
                connection.pop(name, None)
            else:
                connection[name] = value
        updated = replace(updated, connection=connection, secrets_set=frozenset(secrets))
        updated.check_notices()
        if updated.daily_sync:
            updated.check_complete()
        return updated

    def check_complete(self) -> None:
        """InvalidSetting naming the first thing a sync from this source still needs."""
        if self.source is None:
            raise InvalidSetting("source", "the daily sync needs a source: oneroster_csv, classlink, clever or sftp")
        told = set(self.connection) | self.secrets_set
        missing = [name for name in REQUIRED_CONNECTION.get(self.source, ()) if name not in told]
        if missing:
            raise InvalidSetting(f"connection.{missing[0]}", f"the {SOURCE_LABELS[self.source]} source needs "
                                                              f"{', '.join(missing)} before the daily sync is on")

    def check_notices(self) -> None:
        """InvalidSetting naming the first field an SFTP notices folder still needs, once any of it is given."""
        told = set(self.connection) | self.secrets_set
        if self.source != SFTP or not told & set(NOTICE_FIELDS):
            return
        missing = [name for name in NOTICE_FIELDS if name not in told]
        if missing:
            raise InvalidSetting(f"connection.{missing[0]}", f"SFTP notices need {', '.join(missing)} as well "
                                                              "(or none of the notices fields)")

    @property
    def fetched(self) -> bool:
        """The daily schedule reads the provider itself, rather than being handed packages or drops."""
        return self.daily_sync and self.source in PROVIDER_SOURCES

    def as_payload(self) -> dict:
        """What the API answers: every setting, the connection without its secrets, only whether each is set."""
        payload = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_ANSWERED}
        payload["connection"] = {**self.connection,
                                 **{f"{name}_set": name in self.secrets_set for name in secret_names(self.source)}}
        return payload

    def ownership(self) -> dict:
        """What the directory locks against changes by hand: nothing unless the district syncs daily."""
        source = SOURCE_LABELS[self.source] if self.daily_sync and self.source else None
        return {"district_id": self.district_id, "source": source,
                "manages_guardians": self.sync_manages_guardians,
                "updates_contact_details_of_active_users": self.sync_updates_contact_details_of_active_users}


def changed_secrets(current: SyncSettings, updated: SyncSettings, kept: Mapping[str, str],
                    connection_changes: Mapping) -> dict[str, str]:
    """The source's secrets after a change: the kept ones (none when the source changed) with those given laid
    over them, an empty or null one removed."""
    secrets = {} if updated.source != current.source else dict(kept)
    for name in secret_names(updated.source):
        if name in connection_changes:
            if connection_changes[name]:
                secrets[name] = connection_changes[name]
            else:
                secrets.pop(name, None)
    return secrets


def _connection_names(source: str | None) -> set[str]:
    schema = SOURCE_CONNECTIONS.get(source)
    return set(schema().fields) if schema else set()


def secret_names(source: str | None) -> tuple[str, ...]:
    """The connection fields of `source` that are secrets: sealed when kept, never answered."""
    schema = SOURCE_CONNECTIONS.get(source)
    return tuple(sorted(name for name, declared in schema().fields.items() if declared.metadata.get("secret"))) \
        if schema else ()


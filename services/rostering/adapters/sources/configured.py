"""Which source each district syncs from, as its sync settings say (rostering's database), secrets opened from
their sealed form only to build the connection.

A district's settings name the source (`classlink`, `clever`, `sftp`, or `oneroster_csv` for packages handed
to `import_package`) and its connection; `schoolctl roster settings` and the gateway's
`/api/v1/rostering/settings` change them. Adding a source is one builder in SOURCE_BUILDERS beside its
adapter. Nothing here is ever answered back through an API.

An SFTP district is not synced on request: rostering's timers poll its inbox (services/rostering/sftp_pickup.py)
and, when its settings name a notices folder, that folder (services/rostering/sftp_notices.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.rostering.domain.errors import UnknownSource
from services.rostering.domain.settings import REQUIRED_CONNECTION
from services.rostering.ports import DistrictSettings, ProviderSource, Reader, RosterSource
from shared.contracts.rostering import (
    CLASSLINK,
    CLEVER,
    NOTICE_FIELDS,
    SFTP,
    SOURCE_LABELS,
    SYNCED_SOURCES,
)
from shared.sealed_secrets import SealedSecrets, SecretsUnavailable

from .classlink.connection import ClassLinkConnection
from .classlink.source import ClassLinkSource
from .clever.connection import CleverConnection
from .clever.source import CleverSource
from .oneroster_csv.reader import read_package
from .rest_roster import KeptRoster, Parse
from .sftp.connection import NoticeFolder, SftpConnection
from .sftp.drop import GuardiansManaged, KeptDrop

log = logging.getLogger(__name__)

CONNECTION_FIELDS = ("tenant_id", "application_id", "server_url", "client_id", "version", "auth", "token_url")
CLEVER_FIELDS = ("district_id", "api_url")
SFTP_FIELDS = ("host", "username", "folder", "host_key")


def _read_package(path: str, region: str):
    return read_package(path, region=region)


def _guardians_always_managed(_snapshot) -> bool:
    return True


class ConfiguredSources:
    """The settings are read when a district's source is asked for, so a broken one fails only its syncs."""

    def __init__(self, settings: DistrictSettings, secrets: SealedSecrets, *, parse: Parse | None = None,
                 read: Reader | None = None, guardians_managed: GuardiansManaged | None = None) -> None:
        self._settings, self._secrets, self._parse = settings, secrets, parse
        self._read = read or _read_package
        self._guardians_managed = guardians_managed or _guardians_always_managed

    def describe(self, district: str) -> str:
        """What a run synced on request names as its source; an SFTP district is not synced on request."""
        connection = self._provider(district)
        if isinstance(connection, CleverConnection):
            return f"Clever district {connection.district_id}"
        return f"ClassLink tenant {connection.tenant_id} (OneRoster {connection.version})"

    def for_district(self, district: str, *, changed_since: datetime | None,
                     after_event: str | None = None) -> ProviderSource:
        connection = self._provider(district)
        if isinstance(connection, CleverConnection):
            return CleverSource(connection, after_event=after_event, parse=self._parse)
        return ClassLinkSource(connection, changed_since=changed_since, parse=self._parse)

    def kept(self, district: str, content: bytes) -> RosterSource:
        if self._settings.get(district).source == SFTP:
            return KeptDrop(f"SFTP inbox {self.sftp_connection(district).address}", content, read=self._read,
                            guardians_managed=self._guardians_managed)
        return KeptRoster(self.describe(district), content, parse=self._parse)

    def region_of(self, district: str) -> str:
        return self._settings.get(district).region

    def sftp_inboxes(self) -> dict[str, SftpConnection]:
        """Every district whose source is SFTP; one configured unusably is logged and left out."""
        inboxes = {}
        for settings in self._settings.with_source(SFTP):
            try:
                inboxes[settings.district_id] = self.sftp_connection(settings.district_id)
            except UnknownSource as unusable:
                log.warning("SFTP inbox of district %s not polled: %s", settings.district_id, unusable)
        return inboxes

    def notice_folders(self) -> dict[str, NoticeFolder]:
        """Every SFTP district with a notices folder; one configured unusably is logged and left out."""
        folders = {}
        for district, inbox in self.sftp_inboxes().items():
            entry = self._entry(district)
            if not any(entry.get(name) for name in NOTICE_FIELDS):
                continue
            try:
                folders[district] = notice_folder(district, entry, inbox)
            except UnknownSource as unusable:
                log.warning("SFTP notices folder of district %s not polled: %s", district, unusable)
        return folders

    def sftp_connection(self, district: str) -> SftpConnection:
        connection = self._connection(district)
        if not isinstance(connection, SftpConnection):
            raise UnknownSource(f"district {district} does not drop its roster on SFTP")
        return connection

    def _provider(self, district: str) -> ClassLinkConnection | CleverConnection:
        connection = self._connection(district)
        if isinstance(connection, SftpConnection):
            raise UnknownSource(f"district {district}'s roster is picked up from its SFTP inbox when the SIS drops "
                                "it; it cannot be synced on request")
        return connection

    def _entry(self, district: str) -> dict[str, Any]:
        """The district's source and connection, its secrets opened."""
        settings = self._settings.get(district)
        if settings.source is None:
            raise UnknownSource(f"no source is configured for district {district}")
        if settings.source not in SYNCED_SOURCES:
            raise UnknownSource(f"district {district} syncs from {SOURCE_LABELS[settings.source]} packages, which "
                                "are imported (schoolctl roster import), not read by rostering")
        try:
            secrets = self._secrets.open(settings.sealed_secrets)
        except SecretsUnavailable as unavailable:
            raise UnknownSource(f"district {district}'s source secrets cannot be read: {unavailable}") from None
        return {"source": settings.source, **settings.connection, **secrets}

    def _connection(self, district: str) -> ClassLinkConnection | CleverConnection | SftpConnection:
        entry = self._entry(district)
        source = entry["source"]
        missing = [name for name in REQUIRED_CONNECTION[source] if not entry.get(name)]
        if missing:
            raise UnknownSource(f"district {district}'s {SOURCE_LABELS[source]} connection needs "
                                f"{', '.join(missing)} (set in its sync settings)")
        return SOURCE_BUILDERS[source](district, entry)


def classlink_connection(district: str, entry: Mapping[str, Any]) -> ClassLinkConnection:
    return _built(district, SOURCE_LABELS[CLASSLINK], ClassLinkConnection, client_secret=entry["client_secret"],
                  **_present(entry, CONNECTION_FIELDS))


def clever_connection(district: str, entry: Mapping[str, Any]) -> CleverConnection:
    return _built(district, SOURCE_LABELS[CLEVER], CleverConnection, token=entry["token"],
                  **_present(entry, CLEVER_FIELDS))


def sftp_connection(district: str, entry: Mapping[str, Any]) -> SftpConnection:
    secrets = _present(entry, ("password", "private_key"))
    if not secrets:
        raise UnknownSource(f"district {district}'s SFTP password or private key is not set")
    port = entry.get("port")
    return _built(district, SOURCE_LABELS[SFTP], SftpConnection, **secrets, **_present(entry, SFTP_FIELDS),
                  **({} if port is None else {"port": port}))


def notice_folder(district: str, entry: Mapping[str, Any], inbox: SftpConnection) -> NoticeFolder:
    """The district's notices folder on its SFTP server (the inbox's connection, another folder)."""
    missing = [name for name in NOTICE_FIELDS if not entry.get(name)]
    if missing:
        raise UnknownSource(f"district {district}'s notices need {', '.join(missing)}")
    return NoticeFolder(replace(inbox, folder=str(entry["notices_folder"])), subject=str(entry["notices_subject"]),
                        body=str(entry["notices_body"]), client_id=str(entry["notices_client_id"]),
                        client_secret=str(entry["notices_client_secret"]),
                        priority=bool(entry.get("notices_priority", False)))


def _present(entry: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(entry[name]) for name in names if entry.get(name) is not None}


def _built(district: str, label: str, connection: Callable[..., Any], **values: Any) -> Any:
    try:
        return connection(**values)
    except (TypeError, ValueError) as unusable:
        raise UnknownSource(f"district {district}'s {label} configuration cannot be used: {unusable}") from None


SOURCE_BUILDERS: dict[str, Callable[[str, Mapping[str, Any]], Any]] = {
    CLASSLINK: classlink_connection, CLEVER: clever_connection, SFTP: sftp_connection}

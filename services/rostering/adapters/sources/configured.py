"""Which provider each district syncs from, as the operator configured it, secrets from the environment.

Until districts keep their source in their settings, the sources are a YAML file named by
ROSTERING_SOURCES_FILE (ClassLink, Clever or SFTP):

    districts:
      lincoln:                      # the key `sync_district` and `schoolctl` name the district by
        source: classlink
        tenant_id: "1234"           # the District Tenant ID
        application_id: "5678"
        server_url: https://...     # the tenant's OneRoster server, up to /ims
        version: "1.1"              # or "1.2"
        auth: oauth1                # or oauth2, with token_url
        client_id: KEY
        client_secret_env: LINCOLN_CLASSLINK_SECRET
      jefferson:
        source: clever
        district_id: 5b2ad81a709e300001e2cd7a  # Clever's id of the district
        token_env: JEFFERSON_CLEVER_TOKEN       # the district-app token Clever issued
        api_url: https://...                   # optional: Clever's API, up to /v3.0
      springfield:
        source: sftp                # a OneRoster CSV package (and guardians.csv) dropped in an SFTP inbox
        host: sftp.springfield.example
        port: 22
        username: springfield
        password_env: SPRINGFIELD_SFTP_PASSWORD     # or private_key_env: the key's text (OpenSSH or PEM)
        folder: /inbox
        host_key: "ssh-ed25519 AAAA..."             # pins the server; without it any key is accepted
        region: US                  # phone numbers without a country code
        notices:                    # optional: automated announcements from CSVs dropped in another folder
          folder: /notices
          subject: "Attendance: {Student Name}"             # {Column} is the row's cell of that column
          body: "{Student Name} was marked {Status} on {Date}."
          client_id: lincoln-notices                        # a service credential with announcements:send
          client_secret_env: LINCOLN_NOTICES_SECRET
          priority: false

The file never holds a secret, only the name of the environment variable that does; nothing here is
ever answered back through an API. An SFTP district is not synced on request: rostering's timer polls its
inbox (services/rostering/sftp_pickup.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from services.rostering.domain.errors import UnknownSource
from services.rostering.ports import ProviderSource, Reader, RosterSource

from .classlink.connection import ClassLinkConnection
from .classlink.source import ClassLinkSource
from .clever.connection import CleverConnection
from .clever.source import CleverSource
from .oneroster_csv.reader import read_package
from .rest_roster import KeptRoster, Parse
from .sftp.connection import NoticeFolder, SftpConnection
from .sftp.drop import GuardiansManaged, KeptDrop

log = logging.getLogger(__name__)

SOURCES_FILE_VARIABLE = "ROSTERING_SOURCES_FILE"
CLASSLINK = "classlink"
CLEVER = "clever"
SFTP = "sftp"
SOURCES = (CLASSLINK, CLEVER, SFTP)
CONNECTION_FIELDS = ("tenant_id", "application_id", "server_url", "client_id", "version", "auth", "token_url")
CLEVER_FIELDS = ("district_id", "api_url")
SFTP_FIELDS = ("host", "username", "folder", "host_key")
DEFAULT_REGION = "US"


def _read_package(path: str, region: str):
    return read_package(path, region=region)


def _guardians_always_managed(_snapshot) -> bool:
    return True


class ConfiguredSources:
    """The file is read when a district's source is first asked for, so a broken one fails only syncs."""

    def __init__(self, environ: Mapping[str, str] = os.environ,
                 districts: Mapping[str, Mapping[str, Any]] | None = None, *, parse: Parse | None = None,
                 read: Reader | None = None, guardians_managed: GuardiansManaged | None = None) -> None:
        self._environ, self._districts, self._parse = environ, districts, parse
        self._read = read or _read_package
        self._guardians_managed = guardians_managed or _guardians_always_managed

    def _all(self) -> Mapping[str, Any]:
        if self._districts is None:
            path = self._environ.get(SOURCES_FILE_VARIABLE)
            try:
                document = yaml.safe_load(Path(path).read_text()) if path else None
            except (OSError, yaml.YAMLError) as unreadable:
                raise UnknownSource(f"the rostering sources file cannot be read: {unreadable}") from None
            districts = document.get("districts") if isinstance(document, dict) else None
            self._districts = districts if isinstance(districts, Mapping) else {}
        return self._districts

    def _entry(self, district: str, *, source: str | None = None) -> Mapping[str, Any]:
        entry = self._all().get(district)
        if not isinstance(entry, Mapping):
            raise UnknownSource(f"no source is configured for district {district}")
        if entry.get("source") not in SOURCES or (source is not None and entry.get("source") != source):
            raise UnknownSource(f"district {district}'s source {entry.get('source')!r} is not one rostering can "
                                f"sync from (expected {source or ' or '.join(SOURCES)})")
        return entry

    def describe(self, district: str) -> str:
        """What a run synced on request names as its source; an SFTP district is not synced on request."""
        self._not_sftp(district)
        connection = self._connection(district)
        if isinstance(connection, CleverConnection):
            return f"Clever district {connection.district_id}"
        return f"ClassLink tenant {connection.tenant_id} (OneRoster {connection.version})"

    def for_district(self, district: str, *, changed_since: datetime | None,
                     after_event: str | None = None) -> ProviderSource:
        self._not_sftp(district)
        connection = self._connection(district)
        if isinstance(connection, CleverConnection):
            return CleverSource(connection, after_event=after_event, parse=self._parse)
        return ClassLinkSource(connection, changed_since=changed_since, parse=self._parse)

    def kept(self, district: str, content: bytes) -> RosterSource:
        if self._entry(district).get("source") == SFTP:
            return KeptDrop(f"SFTP inbox {self.sftp_connection(district).address}", content, read=self._read,
                            guardians_managed=self._guardians_managed)
        return KeptRoster(self.describe(district), content, parse=self._parse)

    def _not_sftp(self, district: str) -> None:
        if self._entry(district).get("source") == SFTP:
            raise UnknownSource(f"district {district}'s roster is picked up from its SFTP inbox when the SIS drops "
                                "it; it cannot be synced on request")

    def region_of(self, district: str) -> str:
        return str(self._entry(district).get("region") or DEFAULT_REGION)

    def sftp_inboxes(self) -> dict[str, SftpConnection]:
        """Every district that drops its roster on SFTP; one configured unusably is logged and left out."""
        try:
            districts = [name for name, entry in self._all().items()
                         if isinstance(entry, Mapping) and entry.get("source") == SFTP]
        except UnknownSource as unreadable:
            log.warning("no SFTP inbox polled: %s", unreadable)
            return {}
        inboxes = {}
        for district in districts:
            try:
                inboxes[str(district)] = self.sftp_connection(str(district))
            except UnknownSource as unusable:
                log.warning("SFTP inbox of district %s not polled: %s", district, unusable)
        return inboxes

    def notice_folders(self) -> dict[str, NoticeFolder]:
        """Every SFTP district with a notices folder; one configured unusably is logged and left out."""
        folders = {}
        for district in self.sftp_inboxes():
            notices = self._entry(district).get("notices")
            if notices is None:
                continue
            try:
                folders[district] = self._notice_folder(district, notices)
            except UnknownSource as unusable:
                log.warning("SFTP notices folder of district %s not polled: %s", district, unusable)
        return folders

    def _notice_folder(self, district: str, notices: Any) -> NoticeFolder:
        if not isinstance(notices, Mapping):
            raise UnknownSource(f"district {district}'s notices must be a mapping (folder, subject, body, ...)")
        missing = [name for name in ("folder", "subject", "body", "client_id", "client_secret_env")
                   if not notices.get(name)]
        if missing:
            raise UnknownSource(f"district {district}'s notices need {', '.join(missing)}")
        secret = self._environ.get(str(notices["client_secret_env"]))
        if not secret:
            raise UnknownSource(f"district {district}'s notices secret is not set (the environment variable "
                                f"{notices['client_secret_env']})")
        return NoticeFolder(replace(self.sftp_connection(district), folder=str(notices["folder"])),
                            subject=str(notices["subject"]), body=str(notices["body"]),
                            client_id=str(notices["client_id"]), client_secret=secret,
                            priority=bool(notices.get("priority", False)))

    def sftp_connection(self, district: str) -> SftpConnection:
        entry = self._entry(district, source=SFTP)
        secrets = {name: self._environ.get(entry[f"{name}_env"]) for name in ("password", "private_key")
                   if entry.get(f"{name}_env")}
        if not any(secrets.values()):
            raise UnknownSource(f"district {district}'s SFTP password or private key is not set (the environment "
                                "variable named by password_env or private_key_env)")
        try:
            return SftpConnection(port=int(entry.get("port", 22)), **secrets,
                                  **{name: str(entry[name]) for name in SFTP_FIELDS if entry.get(name) is not None})
        except (TypeError, ValueError) as unusable:
            raise UnknownSource(f"district {district}'s SFTP configuration cannot be used: {unusable}") from None

    def _connection(self, district: str) -> ClassLinkConnection | CleverConnection:
        entry = self._entry(district)
        if entry.get("source") == CLEVER:
            return self._clever(district, entry)
        entry = self._entry(district, source=CLASSLINK)
        secret_variable = entry.get("client_secret_env")
        secret = self._environ.get(secret_variable) if secret_variable else None
        if not secret:
            raise UnknownSource(f"district {district}'s ClassLink secret is not set (the environment variable "
                                f"{secret_variable or 'named by client_secret_env'})")
        try:
            return ClassLinkConnection(client_secret=secret, **{name: str(entry[name]) for name in CONNECTION_FIELDS
                                                                if entry.get(name) is not None})
        except (TypeError, ValueError) as unusable:
            raise UnknownSource(f"district {district}'s ClassLink configuration cannot be used: {unusable}") from None

    def _clever(self, district: str, entry: Mapping[str, Any]) -> CleverConnection:
        token_variable = entry.get("token_env")
        token = self._environ.get(token_variable) if token_variable else None
        if not token:
            raise UnknownSource(f"district {district}'s Clever token is not set (the environment variable "
                                f"{token_variable or 'named by token_env'})")
        try:
            return CleverConnection(token=token, **{name: str(entry[name]) for name in CLEVER_FIELDS
                                                    if entry.get(name) is not None})
        except (TypeError, ValueError) as unusable:
            raise UnknownSource(f"district {district}'s Clever configuration cannot be used: {unusable}") from None

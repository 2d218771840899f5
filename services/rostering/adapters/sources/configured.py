"""Which provider each district syncs from, as the operator configured it, secrets from the environment.

Until districts keep their source in their settings, the sources are a YAML file named by
ROSTERING_SOURCES_FILE (ClassLink or Clever):

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

The file never holds a secret, only the name of the environment variable that does; nothing here is
ever answered back through an API.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from services.rostering.domain.errors import UnknownSource
from services.rostering.ports import ProviderSource, RosterSource

from .classlink.connection import ClassLinkConnection
from .classlink.source import ClassLinkSource
from .clever.connection import CleverConnection
from .clever.source import CleverSource
from .rest_roster import KeptRoster, Parse

SOURCES_FILE_VARIABLE = "ROSTERING_SOURCES_FILE"
CLASSLINK = "classlink"
CLEVER = "clever"
CONNECTION_FIELDS = ("tenant_id", "application_id", "server_url", "client_id", "version", "auth", "token_url")
CLEVER_FIELDS = ("district_id", "api_url")


class ConfiguredSources:
    """The file is read when a district's source is first asked for, so a broken one fails only syncs."""

    def __init__(self, environ: Mapping[str, str] = os.environ,
                 districts: Mapping[str, Mapping[str, Any]] | None = None, *, parse: Parse | None = None) -> None:
        self._environ, self._districts, self._parse = environ, districts, parse

    def _entry(self, district: str) -> Any:
        if self._districts is None:
            path = self._environ.get(SOURCES_FILE_VARIABLE)
            try:
                document = yaml.safe_load(Path(path).read_text()) if path else None
            except (OSError, yaml.YAMLError) as unreadable:
                raise UnknownSource(f"the rostering sources file cannot be read: {unreadable}") from None
            districts = document.get("districts") if isinstance(document, dict) else None
            self._districts = districts if isinstance(districts, Mapping) else {}
        return self._districts.get(district)

    def describe(self, district: str) -> str:
        connection = self._connection(district)
        if isinstance(connection, CleverConnection):
            return f"Clever district {connection.district_id}"
        return f"ClassLink tenant {connection.tenant_id} (OneRoster {connection.version})"

    def for_district(self, district: str, *, changed_since: datetime | None,
                     after_event: str | None = None) -> ProviderSource:
        connection = self._connection(district)
        if isinstance(connection, CleverConnection):
            return CleverSource(connection, after_event=after_event, parse=self._parse)
        return ClassLinkSource(connection, changed_since=changed_since, parse=self._parse)

    def kept(self, district: str, content: bytes) -> RosterSource:
        return KeptRoster(self.describe(district), content, parse=self._parse)

    def _connection(self, district: str) -> ClassLinkConnection | CleverConnection:
        entry = self._entry(district)
        if not isinstance(entry, Mapping):
            raise UnknownSource(f"no source is configured for district {district}")
        if entry.get("source") == CLEVER:
            return self._clever(district, entry)
        if entry.get("source") != CLASSLINK:
            raise UnknownSource(f"district {district}'s source {entry.get('source')!r} is not one rostering can "
                                f"sync from (expected {CLASSLINK} or {CLEVER})")
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

"""Which source each district syncs from, as its sync settings say (rostering's database), secrets opened from
their sealed form only to build the connection.

A district's settings name the source (`classlink`, `clever`, `sftp`, or `oneroster_csv` for packages handed
to `import_package`) and its connection; `schoolctl roster settings` and the gateway's
`/api/v1/rostering/settings` change them. Adding a source is one builder in SOURCE_BUILDERS beside its
adapter. Nothing here is ever answered back through an API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from services.rostering.domain.errors import UnknownSource
from services.rostering.ports import DistrictSettings, RosterSource
from shared.contracts.rostering import CLASSLINK, SOURCE_LABELS, SYNCED_SOURCES
from shared.sealed_secrets import SealedSecrets, SecretsUnavailable

from .classlink.connection import ClassLinkConnection
from .classlink.source import ClassLinkSource, KeptRoster, Parse

CONNECTION_FIELDS = ("tenant_id", "application_id", "server_url", "client_id", "version", "auth", "token_url")


class ConfiguredSources:
    """The settings are read when a district's source is asked for, so a broken one fails only its syncs."""

    def __init__(self, settings: DistrictSettings, secrets: SealedSecrets, *, parse: Parse | None = None) -> None:
        self._settings, self._secrets, self._parse = settings, secrets, parse

    def describe(self, district: str) -> str:
        connection = self._connection(district)
        return f"ClassLink tenant {connection.tenant_id} (OneRoster {connection.version})"

    def for_district(self, district: str, *, changed_since: datetime | None) -> RosterSource:
        return ClassLinkSource(self._connection(district), changed_since=changed_since, parse=self._parse)

    def kept(self, district: str, content: bytes) -> RosterSource:
        return KeptRoster(self.describe(district), content, parse=self._parse)

    def _entry(self, district: str) -> dict:
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

    def _connection(self, district: str) -> ClassLinkConnection:
        entry = self._entry(district)
        build = SOURCE_BUILDERS.get(entry["source"])
        if build is None:
            raise UnknownSource(f"district {district}'s source {SOURCE_LABELS[entry['source']]} is not one rostering "
                                f"can sync from yet (expected {SOURCE_LABELS[CLASSLINK]})")
        return build(district, entry)


def classlink_connection(district: str, entry: Mapping) -> ClassLinkConnection:
    if not entry.get("client_secret"):
        raise UnknownSource(f"district {district}'s ClassLink client secret is not set")
    try:
        return ClassLinkConnection(client_secret=entry["client_secret"],
                                   **{name: str(entry[name]) for name in CONNECTION_FIELDS
                                      if entry.get(name) is not None})
    except (TypeError, ValueError) as unusable:
        raise UnknownSource(f"district {district}'s ClassLink configuration cannot be used: {unusable}") from None


SOURCE_BUILDERS: dict[str, Callable[[str, Mapping], ClassLinkConnection]] = {CLASSLINK: classlink_connection}

"""A district's ClassLink tenant as a run's source (ports.RosterSource).

A full run reads every collection whole (bulk: what is no longer listed is archived). An incremental
run asks only for what changed after `changed_since` (OneRoster's `dateLastModified` filter): users,
classes, courses and enrollments are then deltas (a record marked tobedeleted is archived, an absent
one is left alone), while orgs and academic sessions, a handful of records, are always read whole so
the district and every school can be found. Deletions a delta cannot show are seen by the weekly full
run (domain/sync_schedule.py).

Everything is fetched before anything is read or applied: a run that fails part way fails as a whole.
What was fetched is what a held run keeps (../rest_roster.py), so approving it applies exactly what was read.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.rostering.domain.snapshot import Snapshot

from ..rest_roster import ALWAYS_WHOLE, COLLECTIONS, Parse, snapshot_of
from .client import RosterServerClient
from .connection import ClassLinkConnection


class ClassLinkSource:
    event_cursor = None  # a OneRoster server has no change feed: incremental runs filter by dateLastModified
    read_leaves_no_cycles = False  # its HTTP client's objects were never checked for cycles

    def __init__(self, connection: ClassLinkConnection, *, changed_since: datetime | None = None,
                 client: RosterServerClient | None = None, parse: Parse | None = None) -> None:
        self._connection, self._changed_since = connection, changed_since
        self._client = client or RosterServerClient(connection)
        self._parse = parse or snapshot_of
        self._fetched: dict[str, Any] | None = None

    @property
    def description(self) -> str:
        since = self._changed_since
        changes = f", changes since {since.isoformat()}" if since is not None else ""
        return f"ClassLink tenant {self._connection.tenant_id} (OneRoster {self._connection.version}{changes})"

    def read(self, region: str) -> Snapshot:
        return self._parse(self._fetch(), region)

    def kept(self) -> bytes:
        return json.dumps(self._fetch(), separators=(",", ":")).encode()

    def _fetch(self) -> dict[str, Any]:
        if self._fetched is None:
            since = self._changed_since
            collections = {name: self._client.collection(name, modified_after=None if name in ALWAYS_WHOLE else since)
                           for name in COLLECTIONS}
            self._fetched = {"version": self._connection.version, "delta": since is not None,
                             "collections": collections}
        return self._fetched

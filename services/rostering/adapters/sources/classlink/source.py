"""A district's ClassLink tenant as a run's source (ports.RosterSource).

A full run reads every collection whole (bulk: what is no longer listed is archived). An incremental
run asks only for what changed after `changed_since` (OneRoster's `dateLastModified` filter): users,
classes, courses and enrollments are then deltas (a record marked tobedeleted is archived, an absent
one is left alone), while orgs and academic sessions, a handful of records, are always read whole so
the district and every school can be found. Deletions a delta cannot show are seen by the weekly full
run (domain/sync_schedule.py).

Everything is fetched before anything is read or applied: a run that fails part way fails as a whole.
What was fetched is what a held run keeps, so approving it applies exactly what was read.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any, Callable

from services.rostering.domain.collector import collector_paused
from services.rostering.domain.errors import SourceRejected
from services.rostering.domain.findings import Findings
from services.rostering.domain.package_files import (
    CLASSES,
    COURSES,
    ENROLLMENTS,
    ORGS,
    ROLES,
    SESSIONS,
    USERS,
    V1_2,
)
from services.rostering.domain.roster_assembly import EntityFiles, assemble
from services.rostering.domain.snapshot import BULK, DELTA, Snapshot
from services.rostering.domain.values import PhoneNormaliser

from .client import RosterServerClient
from .connection import ClassLinkConnection
from .json_records import LAYOUTS, JsonRecords, user_roles

# The REST collections in reading order, and the package file each stands for in the Snapshot.
COLLECTIONS = {"orgs": ORGS, "academicSessions": SESSIONS, "courses": COURSES, "classes": CLASSES,
               "users": USERS, "enrollments": ENROLLMENTS}
ALWAYS_WHOLE = ("orgs", "academicSessions")
# What a run's report calls each collection: the endpoint the records came from.
REPORT_NAMES = (*((file, f"/{name}") for name, file in COLLECTIONS.items()), (ROLES, "/users (roles)"))


# Reads what was fetched into a Snapshot: snapshot_of, or the service's way of running it off the event loop.
Parse = Callable[[dict, str], Snapshot]


class ClassLinkSource:
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


class KeptRoster:
    """What a held ClassLink run fetched, as the source its approval applies."""

    def __init__(self, description: str, content: bytes, *, parse: Parse | None = None) -> None:
        self.description, self._content, self._parse = description, content, parse or snapshot_of

    def read(self, region: str) -> Snapshot:
        try:
            fetched = json.loads(self._content)
        except ValueError as unreadable:
            raise SourceRejected(f"the roster kept with this run cannot be read again: {unreadable}") from None
        return self._parse(fetched, region)

    def kept(self) -> bytes:
        return self._content


def snapshot_of(fetched: dict[str, Any], region: str) -> Snapshot:
    """What was fetched, read under the shared OneRoster rules; a finding's line is the record's position, and a
    run's report names the collection by its endpoint (report_names)."""
    version, collections = fetched["version"], fetched["collections"]
    streams: dict[str, tuple[str, JsonRecords]] = {}
    for name, file in COLLECTIONS.items():
        mode = DELTA if fetched["delta"] and name not in ALWAYS_WHOLE else BULK
        streams[file] = (mode, JsonRecords(file, LAYOUTS[name], collections[name]))
    if version == V1_2:
        streams[ROLES] = (streams[USERS][0], JsonRecords(ROLES, LAYOUTS["roles"], user_roles(collections["users"])))
    findings = Findings()
    files = EntityFiles(version, findings, streams.get, streams.__contains__)
    with collector_paused():
        snapshot = assemble(files, PhoneNormaliser(region))
    return replace(snapshot, report_names=REPORT_NAMES)

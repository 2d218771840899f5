"""A REST provider's roster as fetched, read into a Snapshot: OneRoster REST collections under the shared rules.

A source (ClassLink, Clever) fetches the whole roster before anything is read, as
`{"version", "delta", "collections": {orgs, academicSessions, courses, classes, users, enrollments}}`,
optionally with `report_names` (what a run's report calls each collection, the OneRoster endpoints when
absent). On a delta read the orgs and academic sessions, a handful of records, are still read whole, so
the district and every school can be found. What was fetched is also what a held run keeps: approving
the run reads it again (KeptRoster), so it applies exactly what was read.
"""

from __future__ import annotations

import json
from dataclasses import replace
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
from services.rostering.domain.people_read_before import PeopleReadBefore
from services.rostering.domain.roster_assembly import EntityFiles, assemble
from services.rostering.domain.snapshot import BULK, DELTA, RowProblem, Snapshot
from services.rostering.domain.values import PhoneNormaliser

from .classlink.json_records import LAYOUTS, JsonRecords, user_roles

# The REST collections in reading order, and the package file each stands for in the Snapshot.
COLLECTIONS = {"orgs": ORGS, "academicSessions": SESSIONS, "courses": COURSES, "classes": CLASSES,
               "users": USERS, "enrollments": ENROLLMENTS}
ALWAYS_WHOLE = ("orgs", "academicSessions")
# What a run's report calls each collection: the endpoint the records came from.
REPORT_NAMES = (*((file, f"/{name}") for name, file in COLLECTIONS.items()), (ROLES, "/users (roles)"))


# Reads what was fetched into a Snapshot: snapshot_of, or the service's way of running it off the event loop.
Parse = Callable[[dict, str], Snapshot]


class KeptRoster:
    """What a held run fetched from its provider, as the source its approval applies."""

    read_leaves_no_cycles = False  # as the providers' own sources

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


def snapshot_of(fetched: dict[str, Any], region: str, read_before: PeopleReadBefore | None = None) -> Snapshot:
    """What was fetched, read under the shared OneRoster rules; a finding's line is the record's position, and a
    run's report names the collection by its endpoint (report_names: ClassLink's, unless what was fetched names
    its own, as a Clever read laid out as OneRoster collections does). `read_before`: as read_package's."""
    version, collections = fetched["version"], fetched["collections"]
    streams: dict[str, tuple[str, JsonRecords]] = {}
    for name, file in COLLECTIONS.items():
        mode = DELTA if fetched["delta"] and name not in ALWAYS_WHOLE else BULK
        layout = LAYOUTS[name]
        if name == "users" and version == V1_2:
            # 1.2 keeps a user's roles inside the user: a role column would warn on every run that it moved.
            layout = {column: cell for column, cell in layout.items() if column != "role"}
        streams[file] = (mode, JsonRecords(file, layout, collections[name]))
    if version == V1_2:
        streams[ROLES] = (streams[USERS][0], JsonRecords(ROLES, LAYOUTS["roles"], user_roles(collections["users"])))
    findings = Findings()
    files = EntityFiles(version, findings, streams.get, streams.__contains__)
    with collector_paused():
        snapshot = assemble(files, PhoneNormaliser(region), read_before)
    names = fetched.get("report_names")
    named = _record_ids(collections, version, {p.file for p in (*snapshot.problems, *snapshot.warnings)})
    return replace(snapshot, report_names=tuple(map(tuple, names)) if names else REPORT_NAMES,
                   problems=_naming_records(snapshot.problems, named),
                   warnings=_naming_records(snapshot.warnings, named))


def _record_ids(collections: dict[str, Any], version: str, files: set[str]) -> dict[str, list[Any]]:
    """For each of `files` (those with findings), the id of each record by its position: what a finding's line
    points at (a 1.2 user's role is its user's)."""
    named = {file: [_object_id(item) for item in collections[name]]
             for name, file in COLLECTIONS.items() if file in files}
    if version == V1_2 and ROLES in files:
        named[ROLES] = [role["userSourcedId"] for role in user_roles(collections["users"])]
    return named


def _object_id(item: Any) -> Any:
    return item.get("sourcedId") if isinstance(item, dict) else None


def _naming_records(problems: tuple[RowProblem, ...], named: dict[str, list[Any]]) -> tuple[RowProblem, ...]:
    """Each finding about one record with the record's id: a provider's records have no lines to look up."""
    return tuple(replace(problem, source_id=_id_at(named.get(problem.file), problem.line)) for problem in problems)


def _id_at(ids: list[Any] | None, position: int | None) -> str | None:
    if ids is None or position is None or not 1 <= position <= len(ids):
        return None
    found = ids[position - 1]
    return found if isinstance(found, str) and found else None

"""A district's Clever data as a run's source (ports.RosterSource).

A full run reads the district, schools, terms, sections and users (by role: students, teachers, staff,
district admins, contacts; a person with several roles is read once) whole. Before it reads sections
and users it notes the district's newest event: the next, incremental run asks Clever's events API
only for what came after it (`after_event`), and reads users and sections as deltas built from those
events, while the district, schools and terms, a handful of records, are read whole. A change made while a full run
reads is thus read again by the next run, which is harmless; one missed would not be. Deletions are
events too, and the weekly full run (domain/sync_schedule.py) catches anything else.

`event_cursor`, once read, is where the next incremental run starts: the last event this run read (or
the newest one when the full read began; "" when the district had none, meaning its whole feed; None
when the application has no events for the district, so its next run is a full one again).

Everything is fetched, Clever's objects laid out as OneRoster 1.2 collections (oneroster_objects.py),
before anything is read or applied; what was fetched is what a held run keeps (../rest_roster.py).
"""

from __future__ import annotations

import json
from typing import Any

from services.rostering.domain.collector import collector_paused
from services.rostering.domain.package_files import CLASSES, COURSES, ENROLLMENTS, ORGS, ROLES, SESSIONS, USERS, V1_2
from services.rostering.domain.snapshot import Snapshot

from ..rest_roster import Parse, snapshot_of
from .client import CleverClient
from .connection import CleverConnection
from .oneroster_objects import CLEVER_ROLES, changes_of, roster_of

# What a run's report calls each collection: the Clever endpoint its records came from.
REPORT_NAMES = ((ORGS, "/districts, /schools"), (SESSIONS, "/terms"), (COURSES, "/courses"),
                (CLASSES, "/sections"), (USERS, "/users"), (ROLES, "/users (roles)"),
                (ENROLLMENTS, "/sections (teachers, students)"))
DELTA_REPORT_NAMES = ((ORGS, "/districts, /schools"), (SESSIONS, "/terms"), (COURSES, "/courses"),
                      (CLASSES, "/events (sections)"), (USERS, "/events (users)"), (ROLES, "/events (users' roles)"),
                      (ENROLLMENTS, "/events (sections' teachers, students)"))


class CleverSource:
    read_leaves_no_cycles = False  # its HTTP client's objects were never checked for cycles
    def __init__(self, connection: CleverConnection, *, after_event: str | None = None,
                 client: CleverClient | None = None, parse: Parse | None = None) -> None:
        self._connection, self._after_event = connection, after_event
        self._client = client or CleverClient(connection)
        self._parse = parse or snapshot_of
        self._fetched: dict[str, Any] | None = None
        self._cursor: str | None = None

    @property
    def description(self) -> str:
        after = self._after_event
        changes = "" if after is None else f", events after {after}" if after else ", every event"
        return f"Clever district {self._connection.district_id}{changes}"

    @property
    def event_cursor(self) -> str | None:
        """Where the next incremental run starts (None until the roster was read, or without events)."""
        return self._cursor

    def read(self, region: str) -> Snapshot:
        return self._parse(self._fetch(), region)

    def kept(self) -> bytes:
        return json.dumps(self._fetch(), separators=(",", ":")).encode()

    def _fetch(self) -> dict[str, Any]:
        if self._fetched is None:
            client, after = self._client, self._after_event
            districts, schools, terms = (client.collection(name) for name in ("districts", "schools", "terms"))
            if after is None:
                cursor = client.newest_event()
                sections, users = client.collection("sections"), self._users()
                with collector_paused():  # a district's worth of new objects, and no cycles among them
                    collections = roster_of(districts=districts, schools=schools, terms=terms, sections=sections,
                                            users=users)
            else:
                events = client.events_after(after)
                cursor = str(events[-1].get("id") or after) if events else after
                whole = roster_of(districts=districts, schools=schools, terms=terms, sections=(), users=())
                with collector_paused():
                    changes = changes_of(events)
                collections = {"orgs": whole["orgs"], "academicSessions": whole["academicSessions"], "courses": [],
                               **changes}
            self._fetched = {"version": V1_2, "delta": after is not None, "collections": collections,
                             "report_names": DELTA_REPORT_NAMES if after is not None else REPORT_NAMES}
            self._cursor = cursor
        return self._fetched

    def _users(self) -> list[dict]:
        """Every user, read role by role; one with several roles is listed under each, and kept once."""
        users: dict[Any, dict] = {}
        for role in CLEVER_ROLES:
            for user in self._client.collection("users", role=role):
                users.setdefault(user.get("id"), user)
        return list(users.values())

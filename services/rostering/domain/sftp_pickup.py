"""Which uploads in a district's SFTP inbox are complete enough to pick up (no I/O: the listing comes in).

An SIS drops a OneRoster CSV package (a .zip, or a folder of CSV files) and, for districts whose sync does
not manage guardians, a guardians.csv. SFTP has no "upload finished" signal, so an upload is taken as
complete when either
  - a marker names it: `roster.zip.done` or `roster.done` beside `roster.zip`, `guardians.csv.done`; or
  - it looks the same on two polls in a row (size, and for a folder each file's name and size) and is not
    empty.
A claim left in processing/ for hours (the poller's process stopped mid-run) is dropped back into the inbox.
Names a client uses while writing (`.part`, `.filepart`, `.tmp`, or starting with a dot) are never taken.

A poll picks up at most one package, the oldest complete one, together with guardians.csv. When a
guardians.csv is there but still being written, the package waits for it: the two are one drop. A
guardians.csv with no package waits for the next package.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .guardian_file import GUARDIANS_FILE

# How a pickup stages a drop locally: the package as package.zip or package/, beside guardians.csv.
PACKAGE_ZIP, PACKAGE_FOLDER = "package.zip", "package"
MARKER_SUFFIX = ".done"
PROCESSING, PROCESSED, FAILED = "processing", "processed", "failed"
OUTCOME_FOLDERS = (PROCESSING, PROCESSED, FAILED)
IN_PROGRESS_SUFFIXES = (".part", ".filepart", ".tmp", ".partial", ".crdownload")

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
STAMPED = re.compile(r"^(?P<at>\d{8}T\d{6}Z)-[0-9a-f]{8}-(?P<name>.+)$")
# An import of the largest district takes minutes; a claim this old was left by a poller that stopped.
STALE_CLAIM = timedelta(hours=6)

# What an upload looked like on one poll: its size, and for a folder its files' (name, size).
Signature = tuple[int, tuple[tuple[str, int], ...]]


@dataclass(frozen=True)
class Entry:
    """One name in the inbox as the SFTP listing shows it."""

    name: str
    size: int
    modified: int  # seconds since the epoch, as SFTP lists it
    is_folder: bool = False
    files: tuple[tuple[str, int], ...] = ()  # a folder's files, (name, size)

    @property
    def signature(self) -> Signature:
        return (self.size if not self.is_folder else sum(size for _, size in self.files), tuple(sorted(self.files)))

    @property
    def empty(self) -> bool:
        return not self.files if self.is_folder else self.size == 0


@dataclass(frozen=True)
class Pickup:
    """What this poll takes (package and guardians.csv, either may be None), and what it remembers."""

    package: Entry | None
    guardians: Entry | None
    markers: tuple[str, ...]  # the `.done` markers of what is taken, removed once it is claimed
    waiting: tuple[str, ...]  # uploads seen but not yet complete, for the log
    seen: dict[str, Signature]


def is_package(entry: Entry) -> bool:
    return entry.is_folder or entry.name.lower().endswith(".zip")


def is_guardians(entry: Entry) -> bool:
    return not entry.is_folder and entry.name.lower() == GUARDIANS_FILE


def _ignored(name: str) -> bool:
    lowered = name.lower()
    return name.startswith(".") or lowered.endswith(IN_PROGRESS_SUFFIXES) or lowered in OUTCOME_FOLDERS


def _markers_of(entry: Entry, marker_names: set[str]) -> tuple[str, ...]:
    stem = entry.name.rsplit(".", 1)[0] if "." in entry.name and not entry.is_folder else entry.name
    candidates = {entry.name + MARKER_SUFFIX, stem + MARKER_SUFFIX}
    return tuple(sorted(name for name in marker_names if name.lower() in {c.lower() for c in candidates}))


def _complete(uploads: list[Entry], marker_names: set[str], seen: Mapping[str, Signature]) -> list[Entry]:
    return [entry for entry in uploads
            if _markers_of(entry, marker_names) or (not entry.empty and seen.get(entry.name) == entry.signature)]


def _listed(entries: Iterable[Entry]) -> tuple[list[Entry], set[str]]:
    listed = [entry for entry in entries if not _ignored(entry.name)]
    markers = {entry.name for entry in listed if not entry.is_folder and entry.name.lower().endswith(MARKER_SUFFIX)}
    return [entry for entry in listed if entry.name not in markers], markers


def _oldest(entries: Iterable[Entry]) -> Entry | None:
    return min(entries, key=lambda entry: (entry.modified, entry.name), default=None)


def choose(entries: Iterable[Entry], seen: Mapping[str, Signature]) -> Pickup:
    """The roster drop this poll takes, given the inbox's listing and what the previous poll saw."""
    listed, marker_names = _listed(entries)
    uploads = [entry for entry in listed if is_package(entry) or is_guardians(entry)]
    ready = _complete(uploads, marker_names, seen)
    waiting = tuple(sorted(entry.name for entry in uploads if entry not in ready))
    now_seen = {entry.name: entry.signature for entry in uploads}
    guardians = next((entry for entry in uploads if is_guardians(entry)), None)
    package = _oldest(entry for entry in ready if is_package(entry))
    if package is None or (guardians is not None and guardians not in ready):
        return Pickup(None, None, (), waiting, now_seen)
    markers = _markers_of(package, marker_names) + (_markers_of(guardians, marker_names) if guardians else ())
    return Pickup(package, guardians, markers, waiting, now_seen)


def choose_file(entries: Iterable[Entry], seen: Mapping[str, Signature], *, suffix: str) -> Pickup:
    """The oldest complete file named `*<suffix>` (a notices CSV), under the same rules, as the Pickup's package."""
    listed, marker_names = _listed(entries)
    uploads = [entry for entry in listed if not entry.is_folder and entry.name.lower().endswith(suffix)]
    ready = _complete(uploads, marker_names, seen)
    waiting = tuple(sorted(entry.name for entry in uploads if entry not in ready))
    chosen = _oldest(ready)
    markers = _markers_of(chosen, marker_names) if chosen is not None else ()
    return Pickup(chosen, None, markers, waiting, {entry.name: entry.signature for entry in uploads})


def claim_stamp(moment: datetime, token: str) -> str:
    """What a claimed upload's name starts with: when it was claimed (UTC) and a token of the run."""
    return f"{moment.astimezone(timezone.utc):{STAMP_FORMAT}}-{token[:8]}"


def stale_claims(claimed: Iterable[str], *, now: datetime, max_age: timedelta = STALE_CLAIM) -> list[tuple[str, str]]:
    """Uploads claimed into processing/ longer than `max_age` ago, whose poller stopped before filing them (its
    process ended mid-run): (claimed name, the name to drop it back into the inbox as, to be picked up again)."""
    stale = []
    for name in claimed:
        match = STAMPED.match(name)
        if match is None:
            continue
        claimed_at = datetime.strptime(match.group("at"), STAMP_FORMAT).replace(tzinfo=timezone.utc)
        if now - claimed_at > max_age:
            stale.append((name, match.group("name")))
    return stale


def stamped(stamp: str, name: str) -> str:
    """The name an upload is filed under in processing/, processed/ or failed/: a drop named the same every day
    never overwrites the last one."""
    return f"{stamp}-{name}"


def report_name(stamped_package: str) -> str:
    return f"{stamped_package}.report.json"

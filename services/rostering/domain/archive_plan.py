"""What a sync run archives: what a full (bulk) file no longer lists, and what any file marks tobedeleted.

Archiving is keyed like everything rostering applies: by the source's ids, for the records earlier runs
applied (their remembered keys) and for every tombstone. A record that disappears is archived, never
deleted, so history and delivery records survive; one that reappears is sent again and unarchived.
Schools are never archived by a sync (a school's history is the district's), only reported.

The plan is pure: the snapshot, what earlier runs applied, and the keys of this run in; rows out,
each saying what it archives, from which file and line, and why.
"""
from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass

from .snapshot import Snapshot

PEOPLE, CLASSROOMS, ENROLLMENTS, GUARDIAN_LINKS = "people", "classrooms", "enrollments", "guardian_links"
# In the order they are archived: people first, so that archiving the enrollments and links of people
# who left changes no current audience and the directory has nothing more to rebuild for them.
ARCHIVED_ENTITIES = (PEOPLE, CLASSROOMS, ENROLLMENTS, GUARDIAN_LINKS)
FILE_OF = {PEOPLE: "users.csv", GUARDIAN_LINKS: "users.csv", CLASSROOMS: "classes.csv",
           ENROLLMENTS: "enrollments.csv"}
ENTITY_OF_FILE = {"users.csv": PEOPLE, "classes.csv": CLASSROOMS, "enrollments.csv": ENROLLMENTS}
LINK_SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class ArchiveRow:
    """One record to archive: its entity, its key as rostering remembers it, where it was found, why."""

    entity: str
    key: str
    file: str
    line: int | None
    reason: str


def listed_keys(snapshot: Snapshot, entity: str) -> list[str]:
    """The keys this run lists of one entity, as the apply stages name them, in the source's order (repeats
    included)."""
    if entity == GUARDIAN_LINKS:
        return [link_key(link.guardian_source_id, link.student_source_id) for link in snapshot.guardian_links]
    records = {PEOPLE: snapshot.people, CLASSROOMS: snapshot.classes, ENROLLMENTS: snapshot.enrollments}[entity]
    return [record.source_id for record in records]


def link_key(guardian_source_id: str, student_source_id: str) -> str:
    return f"{guardian_source_id}{LINK_SEPARATOR}{student_source_id}"


def plan_archives(snapshot: Snapshot, remembered: Mapping[str, Iterable[str]]) -> list[ArchiveRow]:
    """Rows to archive: remembered keys a full file of their entity no longer lists, then tombstones; an
    entity at a time, people first (plan_entity).

    `remembered` maps each entity to the keys earlier runs applied (each read once).
    """
    return [row for entity in ARCHIVED_ENTITIES
            for row in plan_entity(snapshot, entity, remembered.get(entity, ()), set(listed_keys(snapshot, entity)))]


def plan_entity(snapshot: Snapshot, entity: str, remembered: Iterable[str], listed: Container[str]) -> list[ArchiveRow]:
    """One entity's rows to archive, by key: its tombstones this run does not list, then the keys it
    remembers (each read once, as they are compared) that a full file of the entity no longer lists.

    `listed` is the set of listed_keys(snapshot, entity). A key is archived once, tombstone first (it names a
    line); a tombstone for a record this run also lists is not archived.
    """
    rows: dict[str, ArchiveRow] = {}
    for tombstone in snapshot.tombstones:
        if ENTITY_OF_FILE.get(tombstone.file) == entity and tombstone.source_id not in listed:
            rows.setdefault(tombstone.source_id, ArchiveRow(
                entity, tombstone.source_id, tombstone.file, tombstone.line,
                f"marked {tombstone.status} in {tombstone.file}"))
    file = FILE_OF[entity]
    if file in snapshot.full_snapshot_files:
        reason = f"no longer in the full {file}"  # one string for the entity's rows, not one per row
        # Only the keys no longer listed are kept: `remembered` may be read as it is compared (archiving.plan).
        for key in remembered:
            if key not in listed:
                rows.setdefault(key, ArchiveRow(entity, key, file, None, reason))
    return [rows[key] for key in sorted(rows)]


def split_link_keys(keys: Iterable[str], person_keys: Container[str]) -> dict[str, tuple[str, str]]:
    """(guardian, student) source ids of remembered link keys.

    Source ids may themselves hold the separator, so a key is split where both halves are people this
    district ever had; a key no split explains is left out (its people are gone, and so is the link).
    """
    pairs = {}
    for key in keys:
        parts = key.split(LINK_SEPARATOR)
        for cut in range(1, len(parts)):
            guardian, student = LINK_SEPARATOR.join(parts[:cut]), LINK_SEPARATOR.join(parts[cut:])
            if guardian in person_keys and student in person_keys:
                pairs[key] = (guardian, student)
                break
    return pairs


def digest(rows: Iterable[ArchiveRow]) -> str:
    """What a held run's archives were, in a few bytes: an approval applies only this very set."""
    hashed = hashlib.blake2b(digest_size=16)
    for row in sorted({(row.entity, row.key) for row in rows}):
        hashed.update(f"{row[0]}\x1f{row[1]}\x1e".encode())
    return hashed.hexdigest()

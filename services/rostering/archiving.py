"""Archiving what a run no longer lists: checked with the directory (a dry run), judged by the mass-change
guard, and only then applied.

The plan (domain/archive_plan.py) names rows by the source's ids. The directory answers, for each,
whether it would archive it now (done), has already (already) or never had it (not_found), with the
names, kinds and schools that make the diff readable. The guard weighs what would really be archived
against the district's current counts. Applying sends the same rows again for real, a page per call,
and forgets them from what the district's imports applied, so a record that comes back is sent again.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.rostering.domain import mapping
from services.rostering.domain.archive_plan import (
    ARCHIVED_ENTITIES,
    CLASSROOMS,
    ENROLLMENTS,
    ENTITY_OF_FILE,
    FILE_OF,
    GUARDIAN_LINKS,
    PEOPLE,
    ArchiveRow,
    digest,
    listed_keys,
    plan_entity,
    split_link_keys,
)
from services.rostering.domain.applied_rows import AppliedRow, keys_digest
from services.rostering.domain.guard import CheckedRow, GuardVerdict, diff_summary, judge
from services.rostering.domain.snapshot import Snapshot
from services.rostering.domain.stage_summaries import KeptDigests
from services.rostering.ports import AppliedRows
from services.rostering.sending import PAGES_IN_FLIGHT, calling

ARCHIVE_PAGE = 2000
NOT_FOUND = "not_found"
WOULD_ARCHIVE = "done"
# The entity under which a completed run remembers, per archived entity its full files listed, a digest of the keys
# they listed (in their order). Once a run completes, every key remembered of such an entity is one it listed (the
# rest were forgotten as stale or archived), so a run listing the very same keys has nothing of it to archive and
# need not read its remembered keys. Forgotten before any row of a run is sent (started): a run that fails part way
# leaves none.
LISTED_KEYS = "listed_keys"
# The name the enrollments' listed keys' digest is kept under, with the enrollments (KeptDigests).
ENROLLMENTS_LISTED_DIGEST = "enrollments listed keys digest"


@dataclass(frozen=True)
class ArchivePlan:
    rows: list[ArchiveRow]
    # Link key -> (guardian, student) source ids, for each link row that can be named (split_link_keys). Split
    # when planned: the plan is kept through the run, a district's person keys need not be.
    link_pairs: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Entity -> the digest of the keys its full file lists: what the run remembers once it completes.
    listed_digests: dict[str, bytes] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return digest(self.rows)


@dataclass(frozen=True)
class ArchiveCheck:
    checked: list[CheckedRow]
    verdict: GuardVerdict
    diff: dict | None

    @property
    def changes(self) -> list[dict]:
        return list(self.each_change())

    def each_change(self) -> Iterator[dict]:
        """The change rows one at a time: a district's 100,000 are stored as they are built (HeldRuns)."""
        return (row.as_change() for row in self.checked)


NOTHING = ArchiveCheck([], GuardVerdict(False, 0.0, 0.0, 0.0, None), None)


# The order the entities are planned in: an entity's listed keys are held only while it is planned, and the
# people's (every person key, to split link keys) only until the links are planned, not through the enrollments.
PLANNED = (PEOPLE, GUARDIAN_LINKS, CLASSROOMS, ENROLLMENTS)


def plan(snapshot: Snapshot, applied: AppliedRows, district_key: str,
         kept_digests: KeptDigests | None = None) -> ArchivePlan:
    """What this run archives, an entity at a time; remembered keys are read only for entities listed by a full
    file, and not even then when the last completed run's full file listed the very same keys (LISTED_KEYS).
    Given `kept_digests`, the digest of the enrollments' keys is taken from there when a run kept it with these very
    enrollments (_enrollments_listed_digest). Changes nothing."""
    full = snapshot.full_snapshot_files
    kept = applied.load(district_key, LISTED_KEYS) if any(FILE_OF[entity] in full for entity in PLANNED) else {}
    tombstoned = {ENTITY_OF_FILE.get(tombstone.file) for tombstone in snapshot.tombstones}
    planned: dict[str, list[ArchiveRow]] = {}
    digests: dict[str, bytes] = {}
    # Every person key this district's imports ever applied or this run lists (how link keys are split): those
    # this run lists, and those remembered that it does not.
    people_listed: list[str] = []
    people_unlisted: list[str] = []
    link_pairs: dict[str, tuple[str, str]] = {}
    for entity in PLANNED:
        # The enrollments' keys (a district's half a million) are listed only when compared or tombstoned, if their
        # digest can be kept.
        in_order = None if entity == ENROLLMENTS and kept_digests is not None else listed_keys(snapshot, entity)
        # Listed as last time: everything remembered of the entity is listed again, so nothing of it is archived.
        # Otherwise its remembered keys are read as they are compared: a district's half a million enrollment keys
        # are never held at once, only those no longer listed.
        remembered: Iterable[str] = ()
        compared = False
        if FILE_OF[entity] in full:
            digests[entity] = keys_digest(in_order) if in_order is not None else _enrollments_listed_digest(
                snapshot, kept_digests)
            if entity not in kept or kept[entity].fingerprint != digests[entity]:
                remembered, compared = applied.keys(district_key, entity), True
        if compared or entity in tombstoned:
            listed = set(in_order if in_order is not None else listed_keys(snapshot, entity))
            if entity == PEOPLE:
                remembered = [key for key in remembered if key not in listed]  # those listed are in `listed` already
            planned[entity] = plan_entity(snapshot, entity, remembered, listed)
            del listed
        else:  # nothing to compare and nothing marked for deletion: no set of its keys is needed
            planned[entity] = []
        if entity == PEOPLE:
            people_listed, people_unlisted = in_order, list(remembered)
        del in_order, remembered
        if entity == GUARDIAN_LINKS:
            if planned[entity]:
                link_pairs = split_link_keys([row.key for row in planned[entity]], {*people_listed, *people_unlisted})
            people_listed, people_unlisted = [], []
    return ArchivePlan([row for entity in ARCHIVED_ENTITIES for row in planned[entity]], link_pairs, digests)


def _enrollments_listed_digest(snapshot: Snapshot, kept: KeptDigests) -> bytes:
    """keys_digest of the enrollments' listed keys: their own ids, in order, so a function of the enrollments alone,
    kept with them (the read kept for the next, EnrollmentsReadBefore) and taken by a run given the very same ones
    (enrollments.csv with the last read's bytes, taken whole): 520,000 ids neither listed nor digested again."""
    enrollments = snapshot.enrollments
    made = kept.made_of(enrollments, ENROLLMENTS_LISTED_DIGEST)
    if made is None:
        made = keys_digest(listed_keys(snapshot, ENROLLMENTS))
        kept.keep_made_of(enrollments, ENROLLMENTS_LISTED_DIGEST, made)
    return made


def started(applied: AppliedRows, district_key: str) -> None:
    """The run is about to change what is remembered: no listing digest holds until it completes."""
    applied.forget(district_key, LISTED_KEYS, list(ARCHIVED_ENTITIES))


def check(archives: ArchivePlan, *, district_id: str, directory: Any, threshold: float) -> ArchiveCheck:
    """Ask the directory what each row would do (changing nothing), and judge the whole."""
    if not archives.rows:
        return NOTHING
    checked = list(_ask_all(directory, district_id, archives, archives.rows, dry_run=True))
    with calling("directory.get_district_counts"):
        counts = directory.get_district_counts({"district_id": district_id})
    with calling("directory.get_schools"):
        schools = directory.get_schools({"district_id": district_id})["schools"]
    verdict = judge(checked, counts, threshold)
    return ArchiveCheck(checked, verdict, diff_summary(checked, counts, verdict,
                                                       {school["id"]: school["name"] for school in schools}))


def apply(archives: ArchivePlan, checked: ArchiveCheck | None, *, district_id: str, district_key: str,
          directory: Any, applied: AppliedRows) -> None:
    """Archive what the check found current (every planned row when there was no check: an approved run,
    whose rows the directory answers again); forget every planned key, gone from the source either way."""
    rows = archives.rows
    if checked is not None:
        would = {(row.row.entity, row.row.key) for row in checked.checked if row.outcome == WOULD_ARCHIVE}
        rows = [row for row in rows if (row.entity, row.key) in would]
    deque(_ask_all(directory, district_id, archives, rows, dry_run=False), maxlen=0)  # the answers are not kept
    for entity, planned in _by_entity(archives.rows):
        applied.forget(district_key, entity, [row.key for row in planned])
    applied.remember(district_key, LISTED_KEYS, {entity: AppliedRow(listed_digest, None)
                                                 for entity, listed_digest in archives.listed_digests.items()})


def _ask_all(directory: Any, district_id: str, archives: ArchivePlan, rows: Sequence[ArchiveRow], *,
             dry_run: bool) -> Iterator[CheckedRow]:
    """Every row, a page per call, entity by entity in plan order, a few calls in flight at a time, each
    row with its answer as the answers come (read them through: the calls go as they are read).

    An entity's pages go only once the entity before it is answered: the directory relies on people
    being archived before their enrollments and links.
    """
    for entity, entity_rows in _by_entity(rows):
        pages = list(mapping.pages(entity_rows, ARCHIVE_PAGE))
        for window in mapping.pages(pages, PAGES_IN_FLIGHT):
            asked = [_send(directory, district_id, entity, page, archives.link_pairs, dry_run=dry_run)
                     for page in window]
            for page, (reply, unresolved) in zip(window, asked):
                with calling("directory.archive_synced_records"):
                    answers = {answer["key"]: answer for answer in reply.result()["results"]} if reply else {}
                for row in page:
                    yield _checked(row, None if row.key in unresolved else answers.get(row.key))


def _send(directory: Any, district_id: str, entity: str, rows: Sequence[ArchiveRow],
          link_pairs: dict[str, tuple[str, str]], *, dry_run: bool) -> tuple[Any, set[str]]:
    """The pending reply for one page (None when no row could be named), and the keys left unresolved."""
    request: dict = {"district_id": district_id, "entity": entity, "dry_run": dry_run}
    unresolved: set[str] = set()
    if entity == GUARDIAN_LINKS:
        unresolved = {row.key for row in rows if row.key not in link_pairs}
        request["links"] = [{"guardian_source_id": g, "student_source_id": s}
                            for g, s in (link_pairs[row.key] for row in rows if row.key in link_pairs)]
    else:
        request["source_ids"] = [row.key for row in rows]
    if not (request.get("links") or request.get("source_ids")):
        return None, unresolved
    with calling("directory.archive_synced_records"):
        return directory.archive_synced_records.call_async(request), unresolved


def _checked(row: ArchiveRow, answer: dict | None) -> CheckedRow:
    if answer is None:
        return CheckedRow(row, NOT_FOUND, None, (), ())
    return CheckedRow(row, answer["outcome"], answer["name"], tuple(answer["kinds"]), tuple(answer["school_ids"]))


def _by_entity(rows: Iterable[ArchiveRow]) -> list[tuple[str, list[ArchiveRow]]]:
    grouped: dict[str, list[ArchiveRow]] = {}
    for row in rows:
        grouped.setdefault(row.entity, []).append(row)
    return [(entity, grouped[entity]) for entity in ARCHIVED_ENTITIES if entity in grouped]

"""Archiving what a run no longer lists: checked with the directory (a dry run), judged by the mass-change
guard, and only then applied.

The plan (domain/archive_plan.py) names rows by the source's ids. The directory answers, for each,
whether it would archive it now (done), has already (already) or never had it (not_found), with the
names, kinds and schools that make the diff readable. The guard weighs what would really be archived
against the district's current counts. Applying sends the same rows again for real, a page per call,
and forgets them from what the district's imports applied, so a record that comes back is sent again.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from services.rostering.domain import mapping
from services.rostering.domain.archive_plan import (
    ARCHIVED_ENTITIES,
    FILE_OF,
    GUARDIAN_LINKS,
    PEOPLE,
    ArchiveRow,
    current_keys,
    digest,
    plan_archives,
    split_link_keys,
)
from services.rostering.domain.guard import CheckedRow, GuardVerdict, diff_summary, judge
from services.rostering.domain.snapshot import Snapshot
from services.rostering.ports import AppliedRows
from services.rostering.sending import calling

ARCHIVE_PAGE = 1000
NOT_FOUND = "not_found"
WOULD_ARCHIVE = "done"


@dataclass(frozen=True)
class ArchivePlan:
    rows: list[ArchiveRow]
    # Every person key this district's imports ever applied or this one lists: how link keys are split.
    person_keys: frozenset[str]

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
        return [row.as_change() for row in self.checked]


NOTHING = ArchiveCheck([], GuardVerdict(False, 0.0, 0.0, 0.0, None), None)


def plan(snapshot: Snapshot, applied: AppliedRows, district_key: str) -> ArchivePlan:
    """What this run archives; remembered keys are read only for entities listed by a full file."""
    full = snapshot.full_snapshot_files
    remembered = {entity: applied.keys(district_key, entity) for entity in ARCHIVED_ENTITIES
                  if FILE_OF[entity] in full}
    person_keys = frozenset(remembered.get(PEOPLE, ())) | current_keys(snapshot)[PEOPLE]
    return ArchivePlan(plan_archives(snapshot, remembered), person_keys)


def check(archives: ArchivePlan, *, district_id: str, directory: Any, threshold: float) -> ArchiveCheck:
    """Ask the directory what each row would do (changing nothing), and judge the whole."""
    if not archives.rows:
        return NOTHING
    checked = []
    for entity, rows in _by_entity(archives.rows):
        for page in mapping.pages(rows, ARCHIVE_PAGE):
            checked += _ask(directory, district_id, entity, page, archives.person_keys, dry_run=True)
    with calling("directory.get_district_counts"):
        counts = directory.get_district_counts({"district_id": district_id})
    with calling("directory.get_schools"):
        schools = directory.get_schools({"district_id": district_id})["schools"]
    verdict = judge(checked, counts, threshold)
    return ArchiveCheck(checked, verdict, diff_summary(checked, counts, verdict,
                                                       {school["id"]: school["name"] for school in schools}))


def apply(archives: ArchivePlan, checked: ArchiveCheck, *, district_id: str, district_key: str, directory: Any,
          applied: AppliedRows) -> None:
    """Archive what the check found current; forget every planned key, gone from the source either way."""
    would = {(row.row.entity, row.row.key) for row in checked.checked if row.outcome == WOULD_ARCHIVE}
    for entity, rows in _by_entity(archives.rows):
        for page in mapping.pages([row for row in rows if (entity, row.key) in would], ARCHIVE_PAGE):
            _ask(directory, district_id, entity, page, archives.person_keys, dry_run=False)
        applied.forget(district_key, entity, [row.key for row in rows])


def _ask(directory: Any, district_id: str, entity: str, rows: Sequence[ArchiveRow], person_keys: frozenset[str], *,
         dry_run: bool) -> list[CheckedRow]:
    request: dict = {"district_id": district_id, "entity": entity, "dry_run": dry_run}
    unresolved: list[ArchiveRow] = []
    if entity == GUARDIAN_LINKS:
        pairs = split_link_keys([row.key for row in rows], person_keys)
        unresolved = [row for row in rows if row.key not in pairs]
        request["links"] = [{"guardian_source_id": g, "student_source_id": s}
                            for g, s in (pairs[row.key] for row in rows if row.key in pairs)]
    else:
        request["source_ids"] = [row.key for row in rows]
    answers = {}
    if request.get("links") or request.get("source_ids"):
        with calling("directory.archive_synced_records"):
            answers = {answer["key"]: answer for answer in directory.archive_synced_records(request)["results"]}
    checked = []
    for row in rows:
        answer = answers.get(row.key)
        if answer is None or row in unresolved:
            checked.append(CheckedRow(row, NOT_FOUND, None, (), ()))
        else:
            checked.append(CheckedRow(row, answer["outcome"], answer["name"], tuple(answer["kinds"]),
                                      tuple(answer["school_ids"])))
    return checked


def _by_entity(rows: Iterable[ArchiveRow]) -> list[tuple[str, list[ArchiveRow]]]:
    grouped: dict[str, list[ArchiveRow]] = {}
    for row in rows:
        grouped.setdefault(row.entity, []).append(row)
    return [(entity, grouped[entity]) for entity in ARCHIVED_ENTITIES if entity in grouped]

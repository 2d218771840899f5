"""The mass-change guard: a run that would archive too much of a district waits for an administrator.

DESIGN.md (Rostering): a run that would archive more than a configurable share of the district
(default 10 %) stops and waits for an administrator to confirm it, showing the diff. The share is
taken of the district's current people and of its current enrollments, separately: a package that
lost its enrollments file is as dangerous as one that lost half its users. Only what would really be
archived counts (not what is already archived, nor ids the directory never had).

The diff is what an administrator decides on: how many of each kind per school, and every row with
its file and line.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .archive_plan import CLASSROOMS, ENROLLMENTS, GUARDIAN_LINKS, PEOPLE, ArchiveRow

DEFAULT_THRESHOLD = 0.10
WOULD_ARCHIVE = "done"
NO_SCHOOL = ""


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """An archive row with what the directory said of it (a dry run)."""

    row: ArchiveRow
    outcome: str  # done (would be archived), already, not_found
    name: str | None
    kinds: tuple[str, ...]
    school_ids: tuple[str, ...]

    def as_change(self) -> dict:
        return {"entity": self.row.entity, "key": self.row.key, "file": self.row.file, "line": self.row.line,
                "reason": self.row.reason, "outcome": self.outcome, "name": self.name, "kinds": list(self.kinds),
                "school_ids": list(self.school_ids)}


@dataclass(frozen=True)
class GuardVerdict:
    hold: bool
    threshold: float
    people_share: float
    enrollments_share: float
    message: str | None


def judge(rows: Iterable[CheckedRow], counts: Mapping, threshold: float) -> GuardVerdict:
    archiving = archive_counts(rows)
    people_share = _share(archiving[PEOPLE], counts["people"])
    enrollments_share = _share(archiving[ENROLLMENTS], counts["enrollments"])
    over = [f"{archiving[entity]:,} of {counts[entity]:,} current {entity} ({share:.1%})"
            for entity, share in ((PEOPLE, people_share), (ENROLLMENTS, enrollments_share)) if share > threshold]
    message = None
    if over:
        message = (f"held for approval: this run would archive {' and '.join(over)}, more than the district's "
                   f"limit of {threshold:.0%}; an administrator approves or rejects it")
    return GuardVerdict(bool(over), threshold, people_share, enrollments_share, message)


def archive_counts(rows: Iterable[CheckedRow]) -> dict[str, int]:
    counted = {PEOPLE: 0, CLASSROOMS: 0, ENROLLMENTS: 0, GUARDIAN_LINKS: 0}
    for checked in rows:
        if checked.outcome == WOULD_ARCHIVE:
            counted[checked.row.entity] += 1
    return counted


def diff_summary(rows: Iterable[CheckedRow], counts: Mapping, verdict: GuardVerdict,
                 school_names: Mapping[str, str]) -> dict:
    """Counts by school and kind of what would be archived, beside the district's current counts."""
    rows = list(rows)
    by_school: dict[str, dict[str, int]] = {}
    for checked in rows:
        if checked.outcome != WOULD_ARCHIVE:
            continue
        columns = checked.kinds if checked.row.entity == PEOPLE else (checked.row.entity,)
        for school_id in checked.school_ids or (NO_SCHOOL,):
            tally = by_school.setdefault(school_id, {})
            for column in columns:
                tally[column] = tally.get(column, 0) + 1
    return {
        "threshold": verdict.threshold,
        "people_share": round(verdict.people_share, 4),
        "enrollments_share": round(verdict.enrollments_share, 4),
        "current": {PEOPLE: counts["people"], ENROLLMENTS: counts["enrollments"]},
        "archiving": archive_counts(rows),
        "by_school": [{"school_id": school_id or None, "school_name": school_names.get(school_id),
                       "counts": tally}
                      for school_id, tally in sorted(by_school.items(),
                                                     key=lambda item: school_names.get(item[0], item[0]))],
    }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0

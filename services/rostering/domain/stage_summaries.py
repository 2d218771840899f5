"""The summaries of the enrollments and guardian links, the stages remembered whole that are made ahead, taken
straight from the snapshot's records as columns (mapping.enrollment_columns, mapping.guardian_link_columns): the
digest rows_digest gives their rows, their keys as the stages name them, and their count, with no dict per row.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from . import mapping
from .applied_rows import StageSummary, summarised
from .archive_plan import LINK_SEPARATOR
from .snapshot import Snapshot


def enrollments_summary(snapshot: Snapshot, unmapped: list[mapping.Unmapped], *,
                        pause: Callable[[], object] = lambda: None) -> StageSummary:
    """The enrollments' summary; the enrollments no class role fits are added to `unmapped`."""
    return summarised(mapping.enrollment_columns(snapshot, unmapped), _enrollment_keys, pause=pause)


def guardian_links_summary(snapshot: Snapshot, *, pause: Callable[[], object] = lambda: None) -> StageSummary:
    return summarised(mapping.guardian_link_columns(snapshot), _link_keys, pause=pause)


def _enrollment_keys(columns: list[list]) -> list[str]:
    return columns[0]  # ENROLLMENT_FIELDS start with the source id


def _link_keys(columns: list[list]) -> Iterable[str]:
    return map(LINK_SEPARATOR.join, zip(columns[0], columns[1]))  # a guardian:student pair

"""The summaries of the enrollments and guardian links, the stages remembered whole that are made ahead, taken
straight from the snapshot's records as columns (mapping.enrollment_columns, mapping.guardian_link_columns): the
digest rows_digest gives their rows, their keys as the stages name them, and their count, with no dict per row.

The enrollments' digest is kept with the enrollments it was made of (KeptDigests: the read kept for the next,
enrollments_read_before.py) when their rows are theirs alone (every role names a class role): a run given the same
enrollments (enrollments.csv with the last read's bytes, taken whole) takes it instead of digesting 520,000 rows
again. Their keys and count follow from the enrollments then (every one is a row).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Protocol

from . import mapping
from .applied_rows import StageSummary, summarised
from .archive_plan import LINK_SEPARATOR
from .snapshot import Enrollment, Snapshot

ENROLLMENTS_DIGEST = "enrollments stage digest"
_source_ids = attrgetter("source_id")


class KeptDigests(Protocol):
    """Digests kept with the very enrollments they were made of (EnrollmentsReadBefore)."""

    def made_of(self, enrollments: tuple[Enrollment, ...], name: str) -> bytes | None: ...

    def keep_made_of(self, enrollments: tuple[Enrollment, ...], name: str, value: bytes) -> None: ...


def enrollments_summary(snapshot: Snapshot, unmapped: list[mapping.Unmapped], *,
                        pause: Callable[[], object] = lambda: None, kept: KeptDigests | None = None) -> StageSummary:
    """The enrollments' summary; the enrollments no class role fits are added to `unmapped`. Given `kept`, the
    digest of these very enrollments is taken from there when a run kept it, and kept when it may be."""
    enrollments = snapshot.enrollments
    digest = kept.made_of(enrollments, ENROLLMENTS_DIGEST) if kept is not None else None
    if digest is not None:
        # Kept only when every role is named: every enrollment is a row, keyed by its own id (enrollment_columns).
        return StageSummary(digest, frozenset(map(_source_ids, enrollments)), len(enrollments))
    summary = summarised(mapping.enrollment_columns(snapshot, unmapped), _enrollment_keys, pause=pause)
    if kept is not None and not unmapped and mapping.every_role_named(enrollments):
        kept.keep_made_of(enrollments, ENROLLMENTS_DIGEST, summary.digest)
    return summary


def guardian_links_summary(snapshot: Snapshot, *, pause: Callable[[], object] = lambda: None) -> StageSummary:
    return summarised(mapping.guardian_link_columns(snapshot), _link_keys, pause=pause)


def _enrollment_keys(columns: list[list]) -> list[str]:
    return columns[0]  # ENROLLMENT_FIELDS start with the source id


def _link_keys(columns: list[list]) -> Iterable[str]:
    return map(LINK_SEPARATOR.join, zip(columns[0], columns[1]))  # a guardian:student pair

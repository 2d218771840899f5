"""The directory process's one KeptViewerFacts (domain/kept_facts.py), told of every write.

Every entrypoint but the reads below may write what viewers' facts are read from (an RPC, an event
handled, a queued bulk action): it drops every kept fact as its worker starts and again when it is done.
Config DIRECTORY_SCOPE_CACHE_SECONDS (default 5; 0 keeps nothing) bounds how long another directory
process's writes go unseen.
"""
from __future__ import annotations

from collections.abc import Mapping

from nameko.extensions import DependencyProvider

from services.directory.domain.kept_facts import KeptViewerFacts
from shared.contracts import directory

SECONDS_SETTING = "DIRECTORY_SCOPE_CACHE_SECONDS"
DEFAULT_SECONDS = 5.0
# The entrypoints that only read: they leave the kept facts alone.
READS = frozenset(method.name for method in (
    directory.check_health, directory.get_schools, directory.search_people, directory.get_student_profile,
    directory.get_person_profile, directory.resolve_audience, directory.list_teachers_of, directory.get_job,
    directory.get_district_counts, directory.get_audit_log, directory.get_district))


# Another directory process's writes may go unseen this long at most: it must stay a few seconds.
MAX_SECONDS = 30.0


def scope_cache_seconds(config: Mapping) -> float:
    raw = config.get(SECONDS_SETTING, DEFAULT_SECONDS)
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds <= MAX_SECONDS:
        raise ValueError(f"{SECONDS_SETTING} must be a number of seconds from 0 (keep nothing) to "
                         f"{MAX_SECONDS:.0f}, not {raw!r}")
    return seconds


class ViewerFactsKept(DependencyProvider):
    def setup(self) -> None:
        self.kept = KeptViewerFacts(scope_cache_seconds(self.container.config))

    def worker_setup(self, worker_ctx) -> None:
        if worker_ctx.entrypoint.method_name not in READS:
            self.kept.changed()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        if worker_ctx.entrypoint.method_name not in READS:
            self.kept.changed()

    def get_dependency(self, worker_ctx) -> KeptViewerFacts:
        return self.kept

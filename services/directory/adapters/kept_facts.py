"""The directory process's one KeptViewerFacts (domain/kept_facts.py), told of every write.

Every entrypoint but the reads below may write what viewers' facts are read from (an RPC, an event
handled, a queued bulk action): it drops every kept fact as its worker starts and again when it is done.
Config DIRECTORY_SCOPE_CACHE_SECONDS (default 5; 0 keeps nothing) bounds how long another directory
process's writes go unseen.
"""
from __future__ import annotations

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


class ViewerFactsKept(DependencyProvider):
    def setup(self) -> None:
        seconds = float(self.container.config.get(SECONDS_SETTING, DEFAULT_SECONDS))
        if not seconds >= 0:
            raise ValueError(f"{SECONDS_SETTING} must be 0 or more seconds, not {seconds!r}")
        self.kept = KeptViewerFacts(seconds)

    def worker_setup(self, worker_ctx) -> None:
        if worker_ctx.entrypoint.method_name not in READS:
            self.kept.changed()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        if worker_ctx.entrypoint.method_name not in READS:
            self.kept.changed()

    def get_dependency(self, worker_ctx) -> KeptViewerFacts:
        return self.kept

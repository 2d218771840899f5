"""Student accounts a sync enables by itself: the district's "enable student accounts automatically" (the SFTP
districts' setting in the provider setup screens, honoured for any district that turns it on).

Every student the roster lists is enabled once: what a run enabled (or found enabled) is remembered beside its
applied rows, so later runs send only students not enabled yet, and a run that failed before enabling them
leaves them for the next. A full run asks again for every student.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .applied_rows import AppliedRow
from .run import EntityCounts, Refusal, Tally
from .snapshot import STUDENT, Person

# What the applied rows remember enablements under, and how a run's counts and findings name them.
STUDENT_ACCOUNTS = "student_accounts"
ENABLED, ALREADY_ENABLED = "enabled", "already_enabled"
# Remembered with no fingerprint of its own: the person id it was enabled under is what counts.
_ENABLED = b""


def students_to_enable(people: Iterable[Person], person_ids: Mapping[str, str],
                       remembered: Mapping[str, AppliedRow]) -> list[tuple[str, str]]:
    """(source id, person id) of each student the directory holds whose account no run enabled yet."""
    wanted = []
    for person in people:
        person_id = person_ids.get(person.source_id)
        if STUDENT not in person.kinds or person_id is None:
            continue
        known = remembered.get(person.source_id)
        if known is None or known.target_id != person_id:
            wanted.append((person.source_id, person_id))
    return wanted


def enablement_results(results: Iterable[Mapping], source_ids: Mapping[str, str]) -> tuple[Tally, dict[str, AppliedRow]]:
    """A page's answers as counts (enabled: updated, found enabled: unchanged, refused: failed naming the
    student's sourcedId), and the students to remember as enabled."""
    counts = EntityCounts()
    refusals: list[Refusal] = []
    enabled: dict[str, AppliedRow] = {}
    for result in results:
        source_id = source_ids.get(result["key"], result["key"])
        outcome = result["outcome"]
        if outcome in (ENABLED, ALREADY_ENABLED):
            counts.updated += outcome == ENABLED
            counts.unchanged += outcome == ALREADY_ENABLED
            enabled[source_id] = AppliedRow(_ENABLED, result["key"])
        else:
            counts.failed += 1
            refusals.append(Refusal(STUDENT_ACCOUNTS, source_id, None,
                                    f"the student's account was not enabled ({outcome.replace('_', ' ')})"))
    return Tally(counts, {}, refusals), enabled


def added(total: Tally, page: Tally) -> Tally:
    counts = EntityCounts(**{name: getattr(total.counts, name) + getattr(page.counts, name)
                             for name in vars(total.counts)})
    return Tally(counts, {}, total.refusals + page.refusals)

"""Archiving: what archiving or unarchiving one person or classroom by hand does, item by item.

Archiving never deletes (DESIGN.md, Directory): an archived person keeps their history, links and
enrollments, but leaves every audience, every default search and sign-in; unarchiving restores them.
The rules are checked in this order, so an item outside the viewer's scope reveals nothing about
itself: not found (or not visible), then yourself, then already in that state, then schools the
viewer does not manage, then the sync's lock.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.common import ALREADY, DONE, NOT_FOUND, REFUSED

from services.directory.domain import visibility as v
from services.directory.domain.sync_lock import SyncOwnership, record_lock

ARCHIVE, UNARCHIVE = "archive", "unarchive"
NOT_YOURSELF = "you cannot archive or unarchive yourself"


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str | None = None

    def as_result(self, key: str, found_id: str | None) -> dict:
        problems = [{"field": "id", "reason": self.reason}] if self.reason else []
        return {"key": key, "id": found_id if self.outcome != NOT_FOUND else None, "outcome": self.outcome,
                "problems": problems}


@dataclass(frozen=True)
class PersonState:
    """What the rule needs about one person, beyond who may see them."""

    facts: v.PersonFacts
    archived: bool
    managed_by_sync: bool


def person_verdict(*, viewer_id: str, scope: v.Scope, person: PersonState | None, action: str,
                   ownership: SyncOwnership) -> Verdict:
    if person is None or not v.can_see_person(scope, person.facts):
        return Verdict(NOT_FOUND)
    if person.facts.id == viewer_id:
        return Verdict(REFUSED, NOT_YOURSELF)
    if person.archived == (action == ARCHIVE):
        return Verdict(ALREADY)
    outside = unmanaged_schools(scope, person.facts)
    if outside:
        return Verdict(REFUSED, f"also belongs to {len(outside)} school(s) you do not manage: ask a district "
                                "administrator")
    locked = record_lock(ownership, managed_by_sync=person.managed_by_sync, kinds=person.facts.kinds)
    if locked:
        return Verdict(REFUSED, locked)
    return Verdict(DONE)


def unmanaged_schools(scope: v.Scope, person: v.PersonFacts) -> frozenset[str]:
    """Schools the person belongs to (directly or through their children) that the viewer does not run.

    Archiving a person takes them out of every school at once, so a school administrator may archive
    only people wholly within the schools they manage; a district administrator manages them all.
    """
    if scope.whole_district_id == person.district_id:
        return frozenset()
    return (person.school_ids | person.children_school_ids) - scope.classroom_school_ids


@dataclass(frozen=True)
class ClassroomState:
    facts: v.ClassroomFacts
    archived: bool
    managed_by_sync: bool


def classroom_verdict(*, scope: v.Scope, classroom: ClassroomState | None, action: str,
                      ownership: SyncOwnership) -> Verdict:
    if classroom is None or not v.can_see_classroom(scope, classroom.facts):
        return Verdict(NOT_FOUND)
    if classroom.archived == (action == ARCHIVE):
        return Verdict(ALREADY)
    if scope.whole_district_id != classroom.facts.district_id \
            and classroom.facts.school_id not in scope.classroom_school_ids:
        return Verdict(REFUSED, "only the school's administrators may archive its classrooms")
    if ownership.source is not None and classroom.managed_by_sync:
        return Verdict(REFUSED, f"managed by the district's {ownership.source} sync: change it in the SIS "
                                "(manual changes are locked while the district syncs)")
    return Verdict(DONE)


"""What a page of synced people writes besides their rows: school links and reach rows, only where they change.

A person's reach rows copy their name keys, kind flags and archived flag, and follow their schools; a guardian's
rows also follow their students' schools and archived flags. A 1 % delta mostly changes given names: such a
person's school links stay as they are, their reach rows need only the new name, and their guardians' rows stay.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.directory.domain.people import KIND_FLAGS, name_key
from services.directory.domain.upserts import Stored, UpsertPlan

# The values a sync sets that a person's own reach rows copy (the names as their keys).
REACHED_FLAGS = (*KIND_FLAGS.values(), "archived")
REACHED_NAMES = ("given_name", "family_name")


@dataclass(frozen=True)
class PeoplePageWrites:
    school_links: frozenset[str]  # people whose school links are written afresh: new, or their schools changed
    reach: frozenset[str]  # people whose own reach rows are derived afresh: new, or their paths may have changed
    renamed: frozenset[str]  # people whose reach rows change in their names alone: their paths are as they were
    # Students among them whose guardians' reach rows change too (their schools or archived flag did).
    through_students: frozenset[str]


def page_writes(plan: UpsertPlan, stored: Mapping[str, Stored]) -> PeoplePageWrites:
    """`plan` made from `stored`, the page's rows as they were. A new person has no guardian links yet."""
    created = frozenset(row.id for row in plan.creates)
    school_links, reach, renamed, through_students = set(created), set(created), set(), set()
    for row in plan.updates:
        before, after = stored[row.key].values, row.values
        moved = before["school_ids"] != after["school_ids"]
        archived = before["archived"] != after["archived"]
        if moved:
            school_links.add(row.id)
        if moved or archived:
            through_students.add(row.id)
        if moved or archived or any(before[name] != after[name] for name in REACHED_FLAGS):
            reach.add(row.id)
        elif any(name_key(before[name]) != name_key(after[name]) for name in REACHED_NAMES):
            renamed.add(row.id)
    return PeoplePageWrites(*(frozenset(ids) for ids in (school_links, reach, renamed, through_students)))

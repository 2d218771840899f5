"""What applying one page of synced rows changes: created, updated, unchanged or failed, per item.

The caller resolves references first (a classroom's school, an enrollment's
person) and hands over, per item, either the values the row should have or the
problems that stop it. `plan_upserts` compares those values with the rows
already stored under the same keys and says, item by item, what to write.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
FAILED = "failed"


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class Desired:
    """One incoming item: the values its row should hold, or why it cannot be applied."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Stored:
    id: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Row:
    """A row to write: every stored value, with the incoming ones laid over them."""

    id: str
    key: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class ItemOutcome:
    key: str
    id: str | None
    outcome: str
    problems: tuple[Problem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "id": self.id, "outcome": self.outcome,
                "problems": [problem.as_dict() for problem in self.problems]}


@dataclass(frozen=True)
class UpsertPlan:
    creates: tuple[Row, ...]
    updates: tuple[Row, ...]
    outcomes: tuple[ItemOutcome, ...]

    @property
    def changed(self) -> tuple[Row, ...]:
        return self.creates + self.updates

    def results(self) -> dict[str, list[dict[str, Any]]]:
        return {"results": [outcome.as_dict() for outcome in self.outcomes]}


def unknown_reference(field_name: str, what: str, source_id: str) -> Problem:
    return Problem(field_name, f"no {what} with source id {source_id!r} in this district")


def duplicate_key(field_name: str) -> Problem:
    return Problem(field_name, "appears more than once in this page; only its first occurrence was applied")


def plan_upserts(desired: Sequence[Desired], stored: Mapping[str, Stored], *,
                 new_id: Callable[[], str], key_field: str = "source_id") -> UpsertPlan:
    """Decide, per item in page order, what to write. Items whose values equal the stored row are unchanged."""
    creates: list[Row] = []
    updates: list[Row] = []
    outcomes: list[ItemOutcome] = []
    applied: dict[str, str] = {}
    for item in desired:
        existing = stored.get(item.key)
        if item.problems:
            outcomes.append(ItemOutcome(item.key, existing.id if existing else None, FAILED, item.problems))
            continue
        if item.key in applied:
            outcomes.append(ItemOutcome(item.key, applied[item.key], FAILED, (duplicate_key(key_field),)))
            continue
        if existing is None:
            row = Row(new_id(), item.key, dict(item.values))
            creates.append(row)
            outcomes.append(ItemOutcome(item.key, row.id, CREATED))
        elif differs(existing.values, item.values):
            updates.append(Row(existing.id, item.key, {**existing.values, **item.values}))
            outcomes.append(ItemOutcome(item.key, existing.id, UPDATED))
        else:
            outcomes.append(ItemOutcome(item.key, existing.id, UNCHANGED))
        applied[item.key] = outcomes[-1].id
    return UpsertPlan(tuple(creates), tuple(updates), tuple(outcomes))


def differs(stored: Mapping[str, Any], incoming: Mapping[str, Any]) -> bool:
    """Only the fields the item carries count; columns the sync does not own never make a row 'updated'."""
    return any(stored.get(name) != value for name, value in incoming.items())

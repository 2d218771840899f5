"""What reading a package found: row errors, warnings and tombstones, each naming file and line.

A finding's value is shown as cell_rules.shown makes it: a report never
carries a 10 MB cell or raw control characters.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from .cell_rules import shown
from .snapshot import RowProblem, Tombstone


class Findings:
    """Collects findings in the order they are met; a few kinds are reported once per file and column."""

    def __init__(self) -> None:
        self.problems: list[RowProblem] = []
        self.warnings: list[RowProblem] = []
        self.tombstones: list[Tombstone] = []
        # The keys of the warnings said once (warning_once).
        self.said: set[Hashable] = set()
        # How often warning_once was asked, said or not: a row that asked leaned on what earlier rows said.
        self.asked_once = 0

    def problem(self, file: str, line: int | None, column: str | None, value: str | None, reason: str) -> None:
        self.problems.append(RowProblem(file, line, column, shown(value) if value else value, reason))

    def warning(self, file: str, line: int | None, column: str | None, value: str | None, reason: str) -> None:
        self.warnings.append(RowProblem(file, line, column, shown(value) if value else value, reason))

    def warning_once(self, key: Hashable, file: str, line: int | None, column: str | None, value: str | None,
                     reason: str) -> None:
        """A warning that would otherwise repeat on every row: said for the first row only."""
        self.asked_once += 1
        if key not in self.said:
            self.said.add(key)
            self.warning(file, line, column, value, reason)

    def mark(self) -> tuple[int, int, int]:
        """Changes whenever a finding is reported or a warning_once asked: equal marks before and after a row's
        reading say it was read silently, so reading the same cells again would report nothing either."""
        return len(self.problems), len(self.warnings), self.asked_once

    def said_too(self, keys: Iterable[Hashable]) -> None:
        """Warnings said once while the same file was read elsewhere (enrollment_rows.ReadAhead)."""
        self.said.update(keys)

    def file_problem(self, file: str, reason: str, *, value: str | None = None, line: int | None = None) -> None:
        self.problem(file, line, None, value, reason)

    def file_warning(self, file: str, reason: str, *, value: str | None = None, line: int | None = None) -> None:
        self.warning(file, line, None, value, reason)

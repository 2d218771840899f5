"""What a read found, as the plain data an operator command prints: version, files, counts, findings."""

from __future__ import annotations

from .errors import PackageRejected
from .snapshot import RowProblem, Snapshot


def package_report(snapshot: Snapshot) -> dict:
    """The package as read: it can be applied (row errors and warnings allowed)."""
    return {
        "version": snapshot.version,
        "applicable": True,
        "rejected": None,
        "files": {f.name: {"mode": f.mode, "rows": f.rows, "read": f.read} for f in snapshot.files},
        "counts": snapshot.counts(),
        "warnings": [problem_row(warning) for warning in snapshot.warnings],
        "errors": [problem_row(problem) for problem in snapshot.problems],
    }


def rejection_report(rejected: PackageRejected) -> dict:
    """A package that cannot be applied at all: one error saying why."""
    error = RowProblem(rejected.file or "", rejected.line, None, None, rejected.message)
    return {"version": None, "applicable": False, "rejected": rejected.message, "files": {}, "counts": {},
            "warnings": [], "errors": [problem_row(error)]}


def problem_row(problem: RowProblem) -> dict:
    return problem.as_row()

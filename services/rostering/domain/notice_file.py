"""Automated announcements from a CSV the SIS drops (attendance-style notices), read without I/O.

Each row names a student (a column Student ID, any case, spaces or underscores; or studentSourcedId) and the
fields the district's subject and body templates fill in: `{Column Name}` in a template is that row's cell of
the column, matched regardless of case and spaces. One announcement per row goes to that student's guardians.

A template naming a column the file does not have refuses the whole file (nothing is sent: every row would
be wrong the same way). A row without a student, naming a student the district does not hold, or leaving a
field the templates use empty is reported and not sent; the other rows still are.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .snapshot import RowProblem

STUDENT_COLUMNS = ("studentid", "studentsourcedid", "student")
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
SUBJECT_MAX, BODY_MAX = 200, 10_000  # what notify takes


class NoticeFileRefused(ValueError):
    """The file as a whole cannot be sent from (no student column, a template naming a missing column)."""


@dataclass(frozen=True)
class Notice:
    line: int
    student_source_id: str
    subject: str
    body: str


@dataclass(frozen=True)
class NoticeRows:
    notices: tuple[Notice, ...]
    problems: tuple[RowProblem, ...]


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_notices(lines: Iterable[str], *, file: str, subject: str, body: str) -> NoticeRows:
    """The file's rows as notices, each template filled from its row."""
    reader = csv.reader(lines)
    header = [cell.lstrip("\ufeff").strip() for cell in next(reader, [])]
    columns = {_fold(name): index for index, name in reversed(list(enumerate(header)))}
    student = next((columns[name] for name in STUDENT_COLUMNS if name in columns), None)
    if student is None:
        raise NoticeFileRefused(f"{file} has no Student ID column (its header: {', '.join(header) or 'empty'})")
    used = {_fold(name): name for template in (subject, body) for name in PLACEHOLDER.findall(template)}
    missing = sorted(name for folded, name in used.items() if folded not in columns)
    if missing:
        raise NoticeFileRefused(f"the notice templates use {', '.join(missing)}, which {file} has no column for")
    notices: list[Notice] = []
    problems: list[RowProblem] = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue

        def cell(index: int) -> str:
            return cells[index].strip() if index < len(cells) else ""

        student_id = cell(student)
        empty = [name for folded, name in used.items() if not cell(columns[folded])]
        if not student_id:
            problems.append(RowProblem(file, line, header[student], None, "no student named: not sent"))
        elif empty:
            problems.append(RowProblem(file, line, empty[0], None, f"{', '.join(empty)} empty, which the notice "
                                                                    f"needs: not sent"))
        else:
            values = {folded: cell(columns[folded]) for folded in used}

            def fill(template: str) -> str:
                return PLACEHOLDER.sub(lambda match: values[_fold(match.group(1))], template)

            notices.append(Notice(line, student_id, fill(subject)[:SUBJECT_MAX], fill(body)[:BODY_MAX]))
    return NoticeRows(tuple(notices), tuple(problems))


def addressed(rows: NoticeRows, person_ids: Mapping[str, str], *, file: str
              ) -> tuple[list[tuple[Notice, str]], list[RowProblem]]:
    """Each notice with the directory id of its student; a student the district does not hold is a problem."""
    sendable: list[tuple[Notice, str]] = []
    problems = list(rows.problems)
    for notice in rows.notices:
        person_id = person_ids.get(notice.student_source_id)
        if person_id is None:
            problems.append(RowProblem(file, notice.line, "Student ID", notice.student_source_id,
                                       f"no student {notice.student_source_id} in the district: not sent"))
        else:
            sendable.append((notice, person_id))
    return sendable, sorted(problems, key=lambda problem: problem.line or 0)

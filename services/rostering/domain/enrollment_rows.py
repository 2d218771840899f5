"""enrollments.csv's live rows, read where the reader is or read ahead elsewhere and handed over as columns.

Nothing in the shared row rules (EntityFile.rows: duplicates, status,
tombstones, required fields, dateLastModified) depends on another file, so a
second process can apply them to the largest file of a district while the
reader goes through the others. What it hands back, a ReadAhead, is plain data:
the rows' cells as columns (pickled far faster than a tuple per row) and what
the rules found, each finding marked with the row it came before. Replayed, the
reader meets the same rows and the same findings in the same order as if it had
read the file itself, so references to people (known only once users.csv is
read) are resolved by the one loop in enrollment_reader.py either way.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from .findings import Findings
from .records import EntityFile, RecordStream, file_columns
from .snapshot import Extras, RowProblem, Tombstone

# The cells an enrollment is built from, in EnrollmentRow's order.
REFERENCE_COLUMNS = ("classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                     "endDate")
ENROLLMENT_COLUMNS = file_columns(*REFERENCE_COLUMNS)
ENROLLMENT_REQUIRED_COLUMNS = ("sourcedId", "classSourcedId", "userSourcedId")
ENROLLMENT_REQUIRED_FIELDS = ("classSourcedId", "userSourcedId")

# (line, sourcedId, dateLastModified, the REFERENCE_COLUMNS' cells..., extension cells): a live row.
EnrollmentRow = tuple[int, str, "datetime | None", str, str, str, str, str, str, str, Extras]
# Rows handed over a chunk at a time: the reader lets each chunk go once it has built its enrollments, so
# at most one chunk of cells is held beside them.
CHUNK_ROWS = 1 << 16
# Columns whose values repeat from row to row (a student has about five enrollments): one string object
# per value pickles, unpickles and is held once.
_REPEATING = (3, 4, 5, 6, 7, 8, 9)


def enrollments_file(name: str, mode: str, records: RecordStream, findings: Findings) -> EntityFile:
    """enrollments.csv under the shared rules: wherever it is read, opened the same way."""
    return EntityFile(name, mode, records, findings, ENROLLMENT_COLUMNS, ENROLLMENT_REQUIRED_COLUMNS,
                      ENROLLMENT_REQUIRED_FIELDS)


def enrollment_rows(file: EntityFile) -> Iterable[EnrollmentRow]:
    """The file's live rows: read here, or replayed from a ReadAhead standing in for its records."""
    if isinstance(file.records, ReadAhead):
        return file.records.replayed(file.findings) if file.read else ()
    return _rows_read_here(file)


def _rows_read_here(file: EntityFile) -> Iterator[EnrollmentRow]:
    klass, school, user, role, primary, begin, end = map(file.at, REFERENCE_COLUMNS)
    extras, with_extras = file.extras, bool(file.header.extensions)
    for line, cells, source_id, modified in file.rows():
        yield (line, source_id, modified, cells[klass], cells[school], cells[user], cells[role], cells[primary],
               cells[begin], cells[end], extras(cells) if with_extras else ())


@dataclass
class ReadAhead:
    """enrollments.csv as read elsewhere: a RecordStream for the header and count, plus the rows and findings.

    `chunks` hold the rows CHUNK_ROWS at a time, each chunk a tuple of columns; `marks` are (row index,
    problems, warnings, tombstones): before that row, the findings up to those counts were met. `bytes_read`
    is what the read took from the package's byte budget.
    """

    name: str
    header_cells: list[str]
    count: int
    chunks: list[tuple[tuple, ...]] = field(default_factory=list)
    marks: list[tuple[int, int, int, int]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    tombstones: list[Tombstone] = field(default_factory=list)
    said: set[Hashable] = field(default_factory=set)
    bytes_read: int = 0
    cell_limit: int = 0

    @property
    def width(self) -> int:
        return len(self.header_cells)

    def __iter__(self) -> Iterator[tuple[int, list[str], str | None]]:
        raise RuntimeError("a ReadAhead's records were read elsewhere; replay its rows instead")

    def replayed(self, findings: Findings) -> Iterator[EnrollmentRow]:
        """The rows, each finding added to `findings` just before the row it came before, as when read here."""
        rows = self._rows()
        done, replayed = 0, (0, 0, 0)
        for index, *met in self.marks:
            yield from islice(rows, index - done)
            done = index
            replayed = self._replay(findings, replayed, met)
        yield from rows
        self._replay(findings, replayed, (len(self.problems), len(self.warnings), len(self.tombstones)))
        findings.said_too(self.said)

    def _rows(self) -> Iterator[EnrollmentRow]:
        """The rows of each chunk in turn, a chunk let go once its rows are handed out (replayed once only)."""
        chunks, self.chunks = self.chunks[::-1], []
        while chunks:
            yield from zip(*chunks.pop())

    def _replay(self, findings: Findings, since: tuple[int, ...], until: tuple[int, ...]) -> tuple[int, ...]:
        findings.problems.extend(self.problems[since[0]:until[0]])
        findings.warnings.extend(self.warnings[since[1]:until[1]])
        findings.tombstones.extend(self.tombstones[since[2]:until[2]])
        return tuple(until)


def read_ahead(records: RecordStream, mode: str) -> ReadAhead:
    """Read enrollments.csv's rows under the shared rules, for a reader in another process to replay."""
    file = enrollments_file(records.name, mode, records, Findings())
    # The header's own findings are left to the reader, which opens the file with the same header.
    findings = file.findings = Findings()
    problems, warnings, tombstones = findings.problems, findings.warnings, findings.tombstones
    chunks: list[tuple[tuple, ...]] = []
    rows: list[EnrollmentRow] = []
    marks: list[tuple[int, int, int, int]] = []
    met = (0, 0, 0)
    one_of_each: dict[str, str] = {}
    for row in enrollment_rows(file):
        if len(problems) != met[0] or len(warnings) != met[1] or len(tombstones) != met[2]:
            met = (len(problems), len(warnings), len(tombstones))
            marks.append((len(chunks) * CHUNK_ROWS + len(rows), *met))
        rows.append(row)
        if len(rows) == CHUNK_ROWS:
            chunks.append(_columns(rows, one_of_each))
            rows = []
    if rows:
        chunks.append(_columns(rows, one_of_each))
    return ReadAhead(records.name, records.header_cells, records.count, chunks, marks, problems, warnings,
                     tombstones, findings.said)


def _columns(rows: list[EnrollmentRow], one_of_each: dict[str, str]) -> tuple[tuple, ...]:
    share = one_of_each.setdefault
    return tuple(tuple(map(share, column, column)) if at in _REPEATING else column
                 for at, column in enumerate(zip(*rows)))

"""One CSV stream: its header cells, and its records with physical lines (the header is mapped by columns.py).

Records are handed out one at a time (files are never loaded whole) as lists
of trimmed cells, padded to the header's width, each with the physical line
where it starts. csv.reader counts the lines it has consumed, and hands out
a blank line as an empty record, so a record starts on the line after the
previous one ended.

Each record comes with its flaw, if any: a reason it cannot be read (more
cells than the header, a cell too long to parse), or SCREEN, a record that
may hold a control character or an over-long cell and so goes through
cell_rules. Telling that costs a few comparisons per record: the stream says
whether the file holds any control byte, a multi-line record is the only way
to hold a line break, and only a record longer in all than the shortest
limit can hold a cell longer than it.
"""

from __future__ import annotations

import csv
import sys
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from services.rostering.domain.columns import SCREEN
from services.rostering.domain.errors import PackageRejected

# Some quoted cells (long multi-line notes) exceed csv's 128 KiB default; no roster cell is near this.
# A longer cell is a finding on its row (csv.reader raises, and resumes at the next line).
CELL_CHARS = 1 << 20
csv.field_size_limit(CELL_CHARS)
_FIELD_TOO_LONG = "field larger than field limit"

TOO_MANY_CELLS = ("the row has more cells than the header has columns (an unquoted comma shifts every later "
                  "column); row skipped")
CELL_TOO_LONG = (f"a cell of the row is longer than {CELL_CHARS:,} characters, more than a cell may hold; row "
                 "skipped")


class ControlSignal(Protocol):
    """Whether a control byte has been read from the stream yet (package_limits.GuardedStream)."""

    controls: bool


class _Unknown:
    controls = True  # nothing says the stream is free of them: look in every record


class CsvRecords:
    """(line, cells, flaw) for every record after the header; unreadable bytes reject the package."""

    def __init__(self, name: str, stream: Iterable[str], signal: ControlSignal = _Unknown()) -> None:
        self.name = name
        self._reader = csv.reader(stream)
        self._signal = signal
        self.header_cells: list[str] = self._next() or []
        self.count = 0
        # A record with a cell longer than this is flagged SCREEN (EntityFile sets it from its columns).
        self.cell_limit = sys.maxsize

    def __iter__(self) -> Iterator[tuple[int, list[str], str | None]]:
        """(line, cells, flaw): cells hold one cell per header column plus an empty one at the end.

        Absent columns can point at that last, always empty cell, so reading a
        cell never needs a bounds check. A flaw other than SCREEN says why the
        record cannot be read: its columns cannot be trusted.
        """
        reader, signal, limit = self._reader, self._signal, self.cell_limit
        width = len(self.header_cells)
        ended = reader.line_num
        # One guard around the whole loop: a context manager per record costs more than the record.
        with self.unreadable_as_rejection():
            while True:
                try:
                    for cells in reader:
                        start, ended = ended + 1, reader.line_num
                        count = len(cells)
                        if count <= 1 and not "".join(cells).strip():
                            continue  # a blank line
                        self.count += 1
                        cells = list(map(str.strip, cells))
                        flaw = None
                        if count < width:
                            cells.extend([""] * (width - count))
                        elif count > width:
                            # Even empty extra cells: an unquoted comma shifts every later column by one, and
                            # the shifted row ends in whatever the last column held, often nothing.
                            flaw = TOO_MANY_CELLS
                            del cells[width:]
                        cells.append("")
                        # The row's length in all first: a fifth of the cost of its longest cell's.
                        if flaw is None and (start != ended or signal.controls or (
                                len("".join(cells)) > limit and max(map(len, cells)) > limit)):
                            flaw = SCREEN
                        yield start, cells, flaw
                    return
                except csv.Error as exc:
                    if not str(exc).startswith(_FIELD_TOO_LONG):
                        raise
                # The reader dropped the rest of the line and goes on with the next one.
                start, ended = ended + 1, reader.line_num
                self.count += 1
                yield start, [""] * (width + 1), CELL_TOO_LONG

    @property
    def width(self) -> int:
        return len(self.header_cells)

    def _next(self) -> list[str] | None:
        with self.unreadable_as_rejection():
            return next(self._reader, None)

    @contextmanager
    def unreadable_as_rejection(self) -> Iterator[None]:
        try:
            yield
        except (csv.Error, UnicodeDecodeError, OSError, zipfile.BadZipFile, EOFError) as exc:
            line = self._reader.line_num
            raise PackageRejected(f"{self.name} cannot be read at line {line}: {exc}", file=self.name,
                                  line=line) from exc

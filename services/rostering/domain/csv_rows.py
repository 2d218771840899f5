"""One CSV stream: its header mapped to known columns by name, and its records with physical lines.

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
import difflib
import zipfile
import sys
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from .errors import PackageRejected

# OneRoster's extension columns; vendors use `ext_` where the spec says `metadata.`.
EXTENSION_PREFIXES = ("metadata.", "ext_")

# Some quoted cells (long multi-line notes) exceed csv's 128 KiB default; no roster cell is near this.
# A longer cell is a finding on its row (csv.reader raises, and resumes at the next line).
CELL_CHARS = 1 << 20
csv.field_size_limit(CELL_CHARS)
_FIELD_TOO_LONG = "field larger than field limit"

SCREEN = "screen"
TOO_MANY_CELLS = ("the row has more cells than the header has columns (an unquoted comma shifts every later "
                  "column); row skipped")
CELL_TOO_LONG = (f"a cell of the row is longer than {CELL_CHARS:,} characters, more than a cell may hold; row "
                 "skipped")


@dataclass(frozen=True)
class Header:
    """What the header row says: where each known column is, and what else it holds."""

    columns: dict[str, int]
    extensions: tuple[tuple[str, int], ...]
    unknown: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]
    duplicated: tuple[str, ...]
    width: int


def map_header(cells: list[str], known: Collection[str]) -> Header:
    """Known columns by exact name, else by name regardless of case and spaces (reported as renamed)."""
    by_folded = {_fold(name): name for name in known}
    columns: dict[str, int] = {}
    extensions: list[tuple[str, int]] = []
    unknown: list[str] = []
    renamed: list[tuple[str, str]] = []
    duplicated: list[str] = []
    for index, raw in enumerate(cells):
        name = raw.strip()
        if not name:
            continue
        canonical = name if name in known else by_folded.get(_fold(name))
        if canonical is not None:
            if canonical in columns:
                duplicated.append(name)
                continue
            columns[canonical] = index
            if canonical != name:
                renamed.append((name, canonical))
        elif name.lower().startswith(EXTENSION_PREFIXES):
            extensions.append((name, index))
        else:
            unknown.append(name)
    return Header(columns, tuple(extensions), tuple(unknown), tuple(renamed), tuple(duplicated), len(cells))


def suggestions(unknown: Iterable[str], known: Collection[str]) -> str:
    """`name (did you mean x?)` for each unknown column with a close known one."""
    described = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
        described.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return ", ".join(described)


def _fold(name: str) -> str:
    return "".join(name.split()).lower()


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

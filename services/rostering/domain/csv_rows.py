"""One CSV stream: its header mapped to known columns by name, and its records with physical lines.

Records are handed out one at a time (files are never loaded whole) as lists
of trimmed cells, padded to the header's width, each with the physical line
where it starts. csv.reader counts the lines it has consumed, and hands out
a blank line as an empty record, so a record starts on the line after the
previous one ended.
"""

from __future__ import annotations

import csv
import difflib
import zipfile
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import PackageRejected

# OneRoster's extension columns; vendors use `ext_` where the spec says `metadata.`.
EXTENSION_PREFIXES = ("metadata.", "ext_")

# Some quoted cells (long multi-line notes) exceed csv's 128 KiB default; no roster cell is near this.
csv.field_size_limit(16 * 1024 * 1024)


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


class CsvRecords:
    """(line, cells) for every record after the header; unreadable bytes reject the package."""

    def __init__(self, name: str, stream: Iterable[str]) -> None:
        self.name = name
        self._reader = csv.reader(stream)
        self.header_cells: list[str] = self._next() or []
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, list[str], bool]]:
        """(line, cells, overflow): cells hold one cell per header column plus an empty one at the end.

        Absent columns can point at that last, always empty cell, so reading a
        cell never needs a bounds check. `overflow` says the record had
        cells beyond the header: its columns cannot be trusted.
        """
        reader = self._reader
        width = len(self.header_cells)
        ended = reader.line_num
        # One guard around the whole loop: a context manager per record costs more than the record.
        with self.unreadable_as_rejection():
            for cells in reader:
                start, ended = ended + 1, reader.line_num
                count = len(cells)
                if count <= 1 and not "".join(cells).strip():
                    continue  # a blank line
                self.count += 1
                cells = list(map(str.strip, cells))
                overflow = False
                if count < width:
                    cells.extend([""] * (width - count))
                elif count > width:
                    # Even empty extra cells: an unquoted comma shifts every later column by one, and
                    # the shifted row ends in whatever the last column held, often nothing.
                    overflow = True
                    del cells[width:]
                cells.append("")
                yield start, cells, overflow

    def _next(self) -> list[str] | None:
        with self.unreadable_as_rejection():
            return next(self._reader, None)

    @contextmanager
    def unreadable_as_rejection(self) -> Iterator[None]:
        try:
            yield
        except (csv.Error, UnicodeDecodeError, OSError, zipfile.BadZipFile, EOFError) as exc:
            line = self._reader.line_num
            raise PackageRejected(f"{self.name} cannot be read at line {line}: {exc}", file=self.name) from exc

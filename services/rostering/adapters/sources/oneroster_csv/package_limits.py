"""What reading a package may cost: bytes in all, bytes per line, and how far a zip member may expand.

A package comes from outside; these limits keep a broken or hostile one from
exhausting the machine, and each refuses it with a reason before much is read.
The generated 100,000-student district (`schoolctl roster generate --scale
district`) holds 97 MB of CSV and zips to 10.6 MB, its members compressed
2–16 times (enrollments.csv 16:1, the most); a district of a million
students would hold about 1 GB.

- PACKAGE_BYTES, 2 GiB: the most the files a package's read opens may hold,
  zipped or not. A zip's declared sizes are checked before anything is read,
  a folder's file sizes likewise, and the bytes actually read are counted as
  well, so a zip whose headers lie is stopped at the same point.
- ZIP_RATIO, 100, for members declaring more than RATIO_FLOOR (4 MiB): CSV
  compresses 5–20 times, zeros and other bombs about 1,000 times. Small
  members are left alone (a header-only file compresses well, and is small).
- LINE_BYTES, 16 MiB: the longest physical line. A line is held whole in
  memory while it is parsed; no roster line is near this (a row is a few
  hundred bytes, a cell at most csv_rows.CELL_CHARS characters).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from typing import IO

from services.rostering.domain.errors import PackageRejected

GIB = 1 << 30
MIB = 1 << 20
PACKAGE_BYTES = 2 * GIB
ZIP_RATIO = 100
RATIO_FLOOR = 4 * MIB
LINE_BYTES = 16 * MIB
READ_BYTES = 64 * 1024  # bytes read at a time: few enough reads that guarding each costs nothing

# Control characters in UTF-8: C0 controls other than the line breaks (a tab inside a cell is one) and
# DEL are single bytes, C1 controls (U+0080-U+009F) are \xc2\x80-\xc2\x9f; neither occurs inside another
# character's encoding. A byte search per control (memchr) is thirty times faster than one regular
# expression over the read; the C1 pattern runs only on reads holding a \xc2.
_C0_AND_DEL = (*range(0x00, 0x0A), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)
_C1_LEAD = 0xC2
_C1 = re.compile(rb"\xc2[\x80-\x9f]")
_LINE_BREAKS = re.compile(rb"[\r\n]")


class ByteBudget:
    """The bytes a package's read may still take, shared by all its files."""

    def __init__(self, limit: int = PACKAGE_BYTES) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, count: int, file: str) -> None:
        self.spent += count
        if self.spent > self.limit:
            raise PackageRejected(f"the package's files hold more than {_size(self.limit)}, the most a package "
                                  f"may hold (stopped while reading {file})", file=file)


def check_declared_sizes(sizes: Iterable[tuple[str, int, int | None]], limit: int = PACKAGE_BYTES) -> None:
    """(file, size, compressed size or None) of each file to be read: refused when too big or too compressed."""
    total = 0
    for file, size, compressed in sizes:
        total += size
        if compressed is not None and size > RATIO_FLOOR and size > ZIP_RATIO * max(compressed, 1):
            raise PackageRejected(
                f"{file} expands from {compressed:,} to {size:,} bytes, {size // max(compressed, 1):,} times; a "
                f"roster file compresses at most about 20 times, so more than {ZIP_RATIO} times is taken as a zip "
                "bomb", file=file)
    if total > limit:
        raise PackageRejected(f"the package's files hold {total:,} bytes, more than the {_size(limit)} a package "
                              "may hold")


def zip_sizes(members: Iterable[tuple[str, zipfile.ZipInfo]]) -> list[tuple[str, int, int | None]]:
    """(file, declared size, compressed size) of (file name, zip entry) pairs."""
    return [(name, info.file_size, info.compress_size) for name, info in members]


class GuardedStream(io.BufferedIOBase):
    """A file's bytes as they are read: counted against the package's budget, lines measured.

    `controls` turns True once a control byte has been read, before any record
    holding it is parsed: until then no record can hold one (csv_rows reads
    that flag to skip looking for them).
    """

    def __init__(self, inner: IO[bytes], file: str, budget: ByteBudget) -> None:
        super().__init__()
        self._inner, self._file, self._budget = inner, file, budget
        self.controls = False
        self._line = 1
        self._line_bytes = 0  # bytes since the last line break
        self._last = 0  # the last byte read, for a C1 control split between two reads

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._guarded(self._inner.read(-1 if size is None else size))

    def read1(self, size: int = -1) -> bytes:
        return self._guarded(self._inner.read(size if size > 0 else READ_BYTES))

    def _guarded(self, data: bytes) -> bytes:
        if data:
            self._budget.spend(len(data), self._file)
            self._measure_lines(data)
            if not self.controls:
                self.controls = self._holds_controls(data)
        return data

    def _holds_controls(self, data: bytes) -> bool:
        split_c1 = self._last == _C1_LEAD and 0x80 <= data[0] <= 0x9F
        self._last = data[-1]
        return (split_c1 or any(map(data.__contains__, _C0_AND_DEL))
                or (_C1_LEAD in data and _C1.search(data) is not None))

    def _measure_lines(self, data: bytes) -> None:
        first = _LINE_BREAKS.search(data)
        if first is None:
            self._line_bytes += len(data)
        else:
            self._line_bytes += first.start()
        if self._line_bytes > LINE_BYTES:
            raise PackageRejected(f"{self._file} line {self._line} is longer than {_size(LINE_BYTES)}; no roster "
                                  "line is near that long, so the file is taken as broken", file=self._file,
                                  line=self._line)
        if first is not None:
            # Every other line of this read ends inside it, so is shorter than the read.
            self._line += data.count(b"\n")
            self._line_bytes = len(data) - 1 - max(data.rfind(b"\n"), data.rfind(b"\r"))

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


def _size(count: int) -> str:
    if count % GIB == 0:
        return f"{count // GIB} GiB"
    return f"{count // MIB} MiB" if count % MIB == 0 else f"{count:,} bytes"

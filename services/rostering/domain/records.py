"""The rules every OneRoster file shares: which rows are live, which are tombstones, which are errors.

Status rule (the same for every file):
- `active` (or, in a bulk file, empty) is a live row.
- `tobedeleted` is a tombstone: the row is left out of the live records and
  listed for archiving. In a delta file that is what the status means. In a
  bulk file it means the same as the row being missing from the full
  snapshot (archive, never hard-delete); each such row is reported as a warning.
- `inactive` (OneRoster 1.0, still sent by some SIS) is read as `tobedeleted`,
  with a warning.
- Anything else, or no status in a delta file, is a row error.

References: an id must name a live row of the referenced file when that file
is a full (bulk) snapshot; a row it marks for deletion is an error in any
mode; an id missing from a delta file may be a record from an earlier sync
and is accepted; when the referenced file was not read (absent, or rejected
as a whole) ids cannot be checked, which is said once per file and column.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol, TypeVar

from .cell_rules import CellRules, shown
from .columns import SCREEN, Header, map_header, suggestions
from .findings import Findings
from .snapshot import ACTIVE, BULK, TO_BE_DELETED, Extras, Tombstone
from .values import parse_datetime

INACTIVE = "inactive"
UNREAD = "unread"
T = TypeVar("T")

COMMON_COLUMNS = ("sourcedId", "status", "dateLastModified")


# A live row: the line it starts on, its cells (absent columns read as ""), its id and modification
# time. A plain tuple, because a district has a million of them.
Row = tuple[int, list[str], str, "datetime | None"]

# A header wider than this refuses its file: OneRoster's widest file has about 25 columns.
MAX_COLUMNS = 1000

# Parsed values are remembered per file while there are few distinct ones (dates, flags); a
# column of distinct timestamps stops being remembered at this many.
MEMO_LIMIT = 4096


class RecordStream(Protocol):
    """A source's records of one entity as cells under a header: a CSV file, or a REST answer laid out so.

    Iterating yields (line, cells, flaw): `line` where the record is found (a CSV's physical line, a REST
    object's position), cells one per header column plus an always-empty one at the end, and a flaw
    (SCREEN, or why the record cannot be read) or None. `cell_limit` is set by the reader: a record with a
    longer cell must be flagged SCREEN.
    """

    name: str
    header_cells: list[str]
    count: int
    cell_limit: int

    @property
    def width(self) -> int: ...

    def __iter__(self) -> Iterator[tuple[int, list[str], str | None]]: ...


@dataclass
class Target:
    """What references to one file resolve against."""

    noun: str
    file: str
    live: Mapping[str, Any]
    deleted: Mapping[str, str]
    state: str  # bulk, delta, or unread


def unread_target(noun: str, file: str) -> Target:
    return Target(noun, file, {}, {}, UNREAD)


@dataclass
class EntityFile:
    """One file being read under the shared rules; `read` is False once it is rejected as a whole."""

    name: str
    mode: str
    records: RecordStream
    findings: Findings
    known: Collection[str]
    required_columns: tuple[str, ...] = ("sourcedId",)
    required_fields: tuple[str, ...] = ()
    header: Header = field(init=False)
    read: bool = field(init=False, default=True)
    deleted: dict[str, str] = field(init=False, default_factory=dict)
    # Every sourcedId met and the line it was first met on, live or not.
    seen: dict[str, int] = field(init=False, default_factory=dict)
    # Why the whole file was refused, when it was.
    refusal: str | None = field(init=False, default=None)
    _moments: dict[str, datetime] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        width = self.records.width
        if width > MAX_COLUMNS:
            # Refused before the header is mapped: nothing is built per column.
            self.header = Header({}, (), (), (), (), width)
            self._refuse(None, f"the header has {width:,} columns, more than the {MAX_COLUMNS:,} a file may have; "
                               f"no row of {self.name} read")
        else:
            self.header = map_header(self.records.header_cells, self.known)
            self._check_header()
        self._absent = self.header.width  # the index of the always-empty cell
        self._cell_rules = CellRules(self.header, self.required_fields)
        self.records.cell_limit = self._cell_rules.shortest

    def at(self, column: str) -> int:
        """The cell index of a column; an absent column reads as the always-empty cell."""
        return self.header.columns.get(column, self._absent)

    def has(self, column: str) -> bool:
        return column in self.header.columns

    def _check_header(self) -> None:
        header, name = self.header, self.name
        missing = [c for c in self.required_columns if c not in header.columns]
        if missing:
            self._refuse(", ".join(missing), f"required column {', '.join(missing)} missing; no row of {name} read")
            return
        if header.duplicated:
            self._refuse(", ".join(header.duplicated),
                         f"column {', '.join(header.duplicated)} appears twice; no row of {name} read")
            return
        if header.unknown:
            self.findings.warning(name, 1, None, ", ".join(header.unknown),
                                  f"unknown column(s) ignored: {suggestions(header.unknown, self.known)}")
        if header.renamed:
            renamed = ", ".join(f"{given} as {canonical}" for given, canonical in header.renamed)
            self.findings.warning(name, 1, None, ", ".join(given for given, _ in header.renamed),
                                  f"column(s) matched regardless of case or spaces: {renamed}")

    def _refuse(self, value: str | None, reason: str) -> None:
        self.read, self.refusal = False, reason
        self.findings.problem(self.name, 1, None, value, reason)

    # --- rows ------------------------------------------------------------------------

    def rows(self) -> Iterator[Row]:
        """Live rows with a unique sourcedId and every required field; the rest are reported."""
        if not self.read:
            return
        findings, name = self.findings, self.name
        id_at, status_at, modified_at = self.at("sourcedId"), self.at("status"), self.at("dateLastModified")
        required = [(column, self.at(column)) for column in self.required_fields]
        required_at = [index for _, index in required]
        first_seen, moments = self.seen, self._moments
        screen = self._cell_rules.screen
        for line, cells, flaw in self.records:
            if flaw is not None:
                if flaw != SCREEN:
                    findings.problem(name, line, None, None, flaw)
                    continue
                if not screen(name, findings, line, cells):
                    continue
            source_id = cells[id_at]
            if not source_id:
                findings.problem(name, line, "sourcedId", None, "sourcedId is required; row skipped")
                continue
            first = first_seen.setdefault(source_id, line)
            if first != line:
                findings.problem(name, line, "sourcedId", source_id,
                                 f"duplicate sourcedId (first on line {first}); row skipped")
                continue
            raw_modified = cells[modified_at]
            modified = moments.get(raw_modified) if raw_modified else None
            if modified is None and raw_modified:
                modified = self.memo_value(moments, line, "dateLastModified", raw_modified, parse_datetime)
            status = cells[status_at]
            if status != ACTIVE and not self._is_live(line, source_id, status, modified):
                continue
            if required and not all(map(cells.__getitem__, required_at)):
                for column, index in required:
                    if not cells[index]:
                        findings.problem(name, line, column, None, f"{column} is required; row skipped")
                continue
            yield line, cells, source_id, modified

    def _is_live(self, line: int, source_id: str, status: str, modified: datetime | None) -> bool:
        """For a status other than exactly `active`: live, tombstone (False) or error (False)."""
        folded = status.lower()
        if folded == ACTIVE or (not status and self.mode == BULK):
            return True
        if not status:
            self.findings.problem(self.name, line, "status", None,
                                  "status is required in a delta file (active or tobedeleted); row skipped")
            return False
        if folded not in (TO_BE_DELETED, INACTIVE):
            self.findings.problem(self.name, line, "status", status,
                                  f"unknown status {shown(status)} (expected active or tobedeleted); row skipped")
            return False
        self.deleted[source_id] = folded
        self.findings.tombstones.append(Tombstone(self.name, line, source_id, TO_BE_DELETED, modified))
        if folded == INACTIVE:
            self.findings.warning(self.name, line, "status", status,
                                  f"status inactive read as tobedeleted: {source_id} is to be archived")
        elif self.mode == BULK:
            self.findings.warning(self.name, line, "status", status,
                                  f"tobedeleted in a bulk file: {source_id} is left out and will be archived, "
                                  "as if the row were missing")
        return False

    # --- cells -----------------------------------------------------------------------

    def value(self, line: int, column: str, raw: str, parse: Callable[[str], tuple[T, str | None]]) -> T | None:
        """A parsed cell; a tolerated variant is noted once per column, a bad value is a row error."""
        try:
            parsed, note = parse(raw)
        except ValueError as exc:
            self.findings.problem(self.name, line, column, raw, f"{exc}; value ignored")
            return None
        if note is not None:
            self.findings.warning_once((self.name, column, note.partition("(")[2]), self.name, line, column, raw,
                                       f"{raw!r} {note}; later values written the same way in this column are "
                                       "read the same way")
        return parsed

    def memo_value(self, memo: dict[str, T], line: int, column: str, raw: str,
                   parse: Callable[[str], tuple[T, str | None]]) -> T | None:
        """`value`, remembered in `memo` (bad values are not, so each of their rows is reported)."""
        found = memo.get(raw)
        if found is None:
            found = self.value(line, column, raw, parse)
            if found is not None and len(memo) < MEMO_LIMIT:
                memo[raw] = found
        return found

    def refused(self, line: int, column: str, raw: str, why: ValueError) -> None:
        """A value that does not normalise (an email, a phone): reported, the row kept without it."""
        self.findings.problem(self.name, line, column, raw, f"{why}; value ignored, row kept")

    def extras(self, cells: list[str]) -> Extras:
        return tuple((column, cells[index]) for column, index in self.header.extensions if cells[index])

    def resolve(self, line: int, column: str, value: str, target: Target, consequence: str) -> str | None:
        """The referenced id, or None (reported) when it names nothing usable."""
        found = target.live.get(value)
        if found is not None:
            return found.source_id
        status = target.deleted.get(value)
        if status is not None:
            self.findings.problem(self.name, line, column, value,
                                  f"{target.noun} {value} is marked {status} in {target.file}; {consequence}")
            return None
        if target.state == BULK:
            self.findings.problem(self.name, line, column, value, f"unknown {target.noun} {value}; {consequence}")
            return None
        if target.state == UNREAD:
            self.findings.warning_once((self.name, column, target.file), self.name, line, column, value,
                                       f"{target.file} was not read, so {column} values are not checked")
        return value

    def target(self, noun: str, live: Mapping[str, Any]) -> Target:
        return Target(noun, self.name, live, self.deleted, self.mode if self.read else UNREAD)


def file_columns(*columns: str) -> tuple[str, ...]:
    return (*COMMON_COLUMNS, *columns)


"""enrollments.csv read again: the same bytes, resolving to the same people, classes and schools, are the same
enrollments.

A district's nightly package repeats its enrollments.csv byte for byte on most nights: the file changes when
someone joins or leaves a class, not when a name or an email does. It is the largest file (about five rows a
student), read in a child process beside the others (enrollment_rows.py) and resolved here against the people,
classes and schools: a third of a read's CPU, the same rows every night.

What a read of the file makes depends on its bytes (its header, rows, the shared row rules and their findings,
dates and flags), its mode, and what its references resolve to. A read whose file has the same bytes and mode as
the last read's takes that read's enrollments and findings whole when:
- the targets are read the same way (each file bulk, delta or unread, and the same 1.1 aliases: the ids merged
  into another person), and none was unread (an unread file's references are warned of once, not resolved);
- the last read skipped no row for a reference (every finding it made came from the file's own cells);
- every kept enrollment's class, person and school is a live one now, so each row resolves to the very ids it
  did (a live record is found under its own id).
Then a read from nothing would make the same enrollments and report the same findings, in the same order (the
file is read last). Otherwise the file is read here, as it would be, and the kept enrollments are let go before.

One read is kept per process (one district's; another district's file drops it), taken whole by the next read:
its enrollments are the objects that read's snapshot holds, so nothing is held twice during a run.

The kept read also carries what a run worked out of those very enrollments alone (the enrollments' stage digest,
stage_summaries.py): a few bytes, let go with the read, and asked for only by the enrollments they were made of.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter
from typing import Any, NamedTuple

from .enrollment_reader import read_enrollments
from .records import UNREAD, EntityFile, RecordStream, Target
from .snapshot import Enrollment, RowProblem, Tombstone

_CLASS, _PERSON, _SCHOOL = map(attrgetter, ("class_source_id", "person_source_id", "school_source_id"))


class FileBytes(NamedTuple):
    """A file's bytes as the package holds them: their digest and how many there are."""

    digest: bytes
    length: int


class EnrollmentsBasis(NamedTuple):
    """What the file's rows resolve against, besides the ids themselves: each target file's state (bulk, delta
    or unread), the file's own mode, and the 1.1 aliases (an alias resolves to the person it was merged into)."""

    mode: str
    people: str
    classes: str
    orgs: str
    aliases: tuple[tuple[str, str], ...]


class KeptEnrollments(NamedTuple):
    """One read of enrollments.csv: the file (its bytes, declared size, header and record count), what it was
    resolved against (its mode among it), and what it made: the enrollments and the findings its rows reported,
    in order."""

    file: FileBytes
    size: int
    header_cells: tuple[str, ...]
    count: int
    basis: EnrollmentsBasis
    enrollments: tuple[Enrollment, ...]
    problems: tuple[RowProblem, ...]
    warnings: tuple[RowProblem, ...]
    tombstones: tuple[Tombstone, ...]
    said: frozenset
    # What runs worked out of these enrollments alone, by name (EnrollmentsReadBefore.made_of): taken whole with them.
    made: dict[str, bytes]


class EnrollmentsReadBefore:
    """The last read of enrollments.csv that could be kept, for the next read (one per process).

    As PeopleReadBefore: reads run in tpool's real threads, so taking and keeping are each one dict operation.
    """

    def __init__(self) -> None:
        self._slot: dict[str, KeptEnrollments] = {}

    def take(self) -> KeptEnrollments | None:
        """The last read's, or None; either way nothing stays kept."""
        return self._slot.pop("kept", None)

    def keep(self, kept: KeptEnrollments) -> None:
        self._slot["kept"] = kept

    def made_of(self, enrollments: tuple[Enrollment, ...], name: str) -> bytes | None:
        """What a run kept as `name` (keep_made_of) of these very enrollments, while they are the kept read's."""
        kept = self._kept_with(enrollments)
        return kept.made.get(name) if kept is not None else None

    def keep_made_of(self, enrollments: tuple[Enrollment, ...], name: str, value: bytes) -> None:
        """Keep `value`, worked out of `enrollments` alone, with them: only while they are the kept read's."""
        kept = self._kept_with(enrollments)
        if kept is not None:
            kept.made[name] = value

    def _kept_with(self, enrollments: tuple[Enrollment, ...]) -> KeptEnrollments | None:
        # The object itself, which the keeper holds, so no other tuple can be taken for it.
        kept = self._slot.get("kept")
        return kept if kept is not None and kept.enrollments is enrollments else None


class SameBytes:
    """enrollments.csv when its bytes are the last read's: the header and record count without reading it again.

    A RecordStream: iterated (the kept enrollments did not hold), it reads the file here after all.
    """

    def __init__(self, name: str, kept: KeptEnrollments, read_here: Callable[[], RecordStream]) -> None:
        self.name, self.kept, self._read_here = name, kept, read_here
        self.header_cells = list(kept.header_cells)
        self.count = kept.count  # the same bytes hold the same records
        self.cell_limit = sys.maxsize

    @property
    def width(self) -> int:
        return len(self.header_cells)

    def __iter__(self) -> Iterator[tuple[int, list[str], str | None]]:
        records = self._read_here()
        records.cell_limit = self.cell_limit
        return iter(records)


class EnrollmentsAgain:
    """One read's side of EnrollmentsReadBefore: takes the last read's when the file's bytes and mode are the
    same (`same_bytes`: the reader then need not read the file ahead), and keeps what this read makes.

    `file_bytes` digests the package's file (asked at most once, and only when the kept file had the same size,
    or when keeping); `size` is the file's declared size.
    """

    def __init__(self, keeper: EnrollmentsReadBefore, mode: str, size: int,
                 file_bytes: Callable[[], FileBytes | None]) -> None:
        self._keeper, self._size, self._file_bytes = keeper, size, file_bytes
        self._bytes: FileBytes | None = None
        kept = keeper.take()
        if kept is not None and kept.basis.mode == mode and kept.size == size and self.file() == kept.file:
            self._kept: KeptEnrollments | None = kept
        else:
            self._kept = None

    @property
    def same_bytes(self) -> KeptEnrollments | None:
        return self._kept

    def file(self) -> FileBytes | None:
        if self._bytes is None:
            self._bytes = self._file_bytes()
        return self._bytes

    def records(self, name: str, read_here: Callable[[], RecordStream]) -> SameBytes:
        """The file as the last read's (only when `same_bytes`); it holds the kept enrollments from here on."""
        kept, self._kept = self._kept, None
        assert kept is not None
        return SameBytes(name, kept, read_here)

    def let_go(self) -> None:
        """The file is to be read here after all (the package's byte budget has no room for it)."""
        self._kept = None

    def read(self, file: EntityFile, *, orgs: Target, classes: Target, people: Target,
             aliases: Mapping[str, str]) -> tuple[Enrollment, ...]:
        """The file's enrollments: the last read's when they hold (see the module's docstring), else read here."""
        findings, records = file.findings, file.records
        basis = EnrollmentsBasis(file.mode, people.state, classes.state, orgs.state, tuple(aliases.items()))
        if isinstance(records, SameBytes):
            kept = records.kept
            records.kept = None  # let go before the file is read here, if it is
            if (kept is not None and file.read and kept.basis == basis
                    and _still_resolve(kept.enrollments, people.live, classes.live, orgs.live)):
                findings.problems += kept.problems
                findings.warnings += kept.warnings
                findings.tombstones += kept.tombstones
                findings.said_too(kept.said)
                self._keeper.keep(kept)
                return kept.enrollments
            del kept
        problems, warnings, tombstones = len(findings.problems), len(findings.warnings), len(findings.tombstones)
        said = set(findings.said)
        made, skipped = read_enrollments(file, orgs=orgs, classes=classes, people=people)
        enrollments = tuple(made)
        del made
        file_bytes = self.file() if file.read and not skipped and UNREAD not in basis[1:4] else None
        if file_bytes is not None:
            self._keeper.keep(KeptEnrollments(
                file_bytes, self._size, tuple(records.header_cells), records.count, basis, enrollments,
                tuple(findings.problems[problems:]), tuple(findings.warnings[warnings:]),
                tuple(findings.tombstones[tombstones:]), frozenset(findings.said - said), {}))
        return enrollments


def _still_resolve(enrollments: tuple[Enrollment, ...], people: Mapping[str, Any], classes: Mapping[str, Any],
                   orgs: Mapping[str, Any]) -> bool:
    """Whether every enrollment's class, person and school (when it names one) is live now."""
    return (all(map(classes.__contains__, map(_CLASS, enrollments)))
            and all(map(people.__contains__, map(_PERSON, enrollments)))
            and all(map(orgs.__contains__, filter(None, map(_SCHOOL, enrollments)))))

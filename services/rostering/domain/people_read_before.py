"""The people a process's last read of users built, for its next read: a row read again is that person again.

A district's nightly users file repeats nearly all of its rows byte for byte. Building a person from a row
(the context its roles and orgs make, its email and phones normalised, the record itself) was most of the read's
CPU, and most of a 1 % delta's. A person depends on the row's cells and on a few things outside them: the file's
header, the orgs its cells resolve against, the phone region. A row whose cells digest (source_rows.raw_cells_hasher,
computed for every row anyway) as a row the last read built, on the same basis, is therefore the same person,
and is taken from there with its line brought up to date.

What a row's reading reported goes with it (Reported): a row with an email that does not normalise, read again,
reports the same problem on its new line without the validator's second look. A row whose reading leaned on a
warning said once for an earlier row (Findings.mark) is built again each time, so that every read reports exactly
what a read from nothing would. A 1.2 package's roles.csv and userProfiles.csv give people roles from other files:
such reads keep nothing.

One basis is kept per process (one district's people; a read of another district's users drops it first), and
only up to KEPT_PEOPLE_AT_MOST people: between runs the process holds them, and during a run they are the very
objects its snapshot holds.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import NamedTuple

from .findings import Findings
from .records import EntityFile, Target
from .snapshot import Person, RowProblem

# A district of a quarter of a million users keeps about 200 MB of people between its runs.
KEPT_PEOPLE_AT_MOST = 400_000


class PeopleBasis(NamedTuple):
    """What a users row's person depends on besides its own cells."""

    file: str
    header: tuple[str, ...]
    region: str
    org_state: str
    live_orgs: frozenset[str]
    deleted_orgs: frozenset[tuple[str, str]]


class Reported(NamedTuple):
    """A row whose reading reported findings, all on its own line: its person (None: the row was skipped)."""

    person: Person | None
    problems: tuple[RowProblem, ...]
    warnings: tuple[RowProblem, ...]

    def replayed(self, line: int, findings: Findings) -> Person | None:
        """The findings reported once more, on the row's `line` now; the person (its line as it was)."""
        findings.problems += [replace(problem, line=line) for problem in self.problems]
        findings.warnings += [replace(warning, line=line) for warning in self.warnings]
        return self.person


def people_basis(file: EntityFile, orgs: Target, region: str) -> PeopleBasis:
    return PeopleBasis(file.name, tuple(file.records.header_cells), region, orgs.state, frozenset(orgs.live),
                       frozenset(orgs.deleted.items()))


class PeopleReadBefore:
    """The people built by the last read that kept any, by their row's raw digest, with their basis.

    Reads run in threads (eventlet's tpool), two districts' possibly at once: a read takes what is kept (so
    nothing is held twice while it builds its own) and keeps what it built when it is done. Taking and keeping
    are each one operation on a dict, which the interpreter does whole: no lock, which under eventlet's monkey
    patching would be a green one, not meant for the pool's real threads.
    """

    def __init__(self, most: int = KEPT_PEOPLE_AT_MOST) -> None:
        self._most = most
        self._slot: dict[str, tuple[PeopleBasis, Mapping[bytes, Person | Reported]]] = {}

    def take(self, basis: PeopleBasis | None) -> Mapping[bytes, Person | Reported] | None:
        """What the last read built on `basis`, or None; either way nothing stays kept."""
        kept = self._slot.pop("kept", None)
        return kept[1] if kept is not None and basis is not None and kept[0] == basis else None

    def keep(self, basis: PeopleBasis, built: Mapping[bytes, Person | Reported]) -> None:
        if len(built) <= self._most:
            self._slot["kept"] = (basis, built)

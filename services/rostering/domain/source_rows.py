"""Source fingerprints: what a row was built from, digested before it is built (applied_rows.py uses them).

A record's raw cells are digested as they are read, under their file's header;
a stage adds what its row takes from other records, and READING_VERSION.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import repeat
from pathlib import Path

FINGERPRINT_BYTES = 16

# Rows (a row's fields in key order, applied_rows.fingerprint) and cells are written by marshal's version 2: a value's type and contents only, with no
# back-references to objects met twice and no mark for interned strings (both came in version 3), so equal rows
# give equal bytes whichever string objects they share. Values nested in a field (an account's roles) are in the
# order the mapping builds them. About half the cost of a key-sorted JSON encoding (a district has a million
# rows); a later Python that writes version 2 differently only makes every row go once more, as a `full` run does.
MARSHAL_VERSION = 2

# Part of every source fingerprint: raise it whenever reading or mapping turns the same cells into other rows
# (a new rule for emails, a new field sent): every remembered source fingerprint then differs, and each row is
# built and compared by what it sends once more, so none is skipped on the strength of an older rule.
READING_VERSION = 1
# Also part of it, so that a forgotten READING_VERSION cannot leave a new rule unapplied: the text of the code
# that reads and maps records (this package, and the credential rules it uses). Any change to it makes the next
# import build and compare every row once, as a `full` run does.
_READING_CODE = (*sorted(Path(__file__).parent.glob("*.py")), Path(__file__).parents[3] / "shared" / "credentials.py")


def raw_cells_hasher(header: Sequence[str]) -> Callable[[Sequence[str]], bytes]:
    """A digest of one record's cells under `header`: the same cells under other columns differ."""
    under_header = hashlib.blake2b(marshal.dumps(tuple(header), MARSHAL_VERSION), digest_size=FINGERPRINT_BYTES)

    def digest(cells: Sequence[str]) -> bytes:
        hasher = under_header.copy()
        hasher.update(marshal.dumps(cells, MARSHAL_VERSION))
        return hasher.digest()

    return digest


# Contexts kept per stage at most: a district's people share a few hundred (a school's students have one); a
# source whose every record differs only refills the memo.
SHARED_CONTEXTS = 20_000


class SourceFingerprints:
    """Source fingerprints of one stage's rows: READING_VERSION and the reading code's own digest, what a record
    takes from elsewhere (`shared`, plain values many records have alike), what only it has (`own`, its ids,
    marshalled) and its raw digest, hashed in that order (each part but the last marshalled, so none runs into the
    next).

    A district's quarter of a million records share a few hundred contexts (a school's students: one role, one
    org, one school), so the hashing of the version, the code and a context is done once per context and copied
    for each of its records. A stage whose shared part a record's context decides (an account's: the person's
    roles, orgs and schools, with the run's school ids, district and region) gives `shared`, asked once per
    distinct context; by default a context is its shared part itself. `many` makes a stage's fingerprints in one
    loop: per record, building and hashing its shared part, and calls four deep, cost most of their CPU.
    """

    def __init__(self, shared: Callable[[Hashable], tuple] | None = None) -> None:
        self._start = _version_and_code()
        self._shared = shared
        self._started: dict[Hashable, hashlib.blake2b] = {}  # context -> the start with its shared part hashed

    def __call__(self, raw: bytes, context: Hashable, own: str | None = None) -> bytes:
        """One record's fingerprint."""
        return self.many((raw,), (context,), None if own is None else (own,))[0]

    def many(self, raws: Iterable[bytes | None], contexts: Iterable[Hashable],
             owns: Iterable[str | None] | None = None) -> list[bytes | None]:
        """One fingerprint per record, in order: None for a record without its raw digest, or (given `owns`)
        without its own part."""
        started_of, made = self._started, []
        append, dumps = made.append, marshal.dumps
        own_needed = owns is not None
        for raw, context, own in zip(raws, contexts, owns if own_needed else repeat(None)):
            if raw is None or (own_needed and own is None):
                append(None)
                continue
            started = started_of.get(context)
            if started is None:
                started = self._start_context(context)
            hasher = started.copy()
            hasher.update(dumps(own, MARSHAL_VERSION) + raw)
            append(hasher.digest())
        return made

    def _start_context(self, context: Hashable) -> hashlib.blake2b:
        if len(self._started) >= SHARED_CONTEXTS:
            self._started.clear()
        shared = context if self._shared is None else self._shared(context)
        started = self._started[context] = self._start.copy()
        started.update(marshal.dumps(shared, MARSHAL_VERSION))
        return started


def _version_and_code() -> hashlib.blake2b:
    """A hasher holding what every source fingerprint starts with: READING_VERSION and the reading code's digest."""
    return hashlib.blake2b(marshal.dumps((READING_VERSION, reading_code()), MARSHAL_VERSION),
                           digest_size=FINGERPRINT_BYTES)


def source_fingerprint(raw: bytes, shared: tuple, own: str | None = None) -> bytes:
    """One source fingerprint, as SourceFingerprints makes them (a stage makes one of those and asks it for all)."""
    return SourceFingerprints()(raw, shared, own)


@functools.cache
def reading_code() -> bytes:
    """A digest of the reading and mapping code as this process runs it (read once, on first use)."""
    digest = hashlib.blake2b(digest_size=FINGERPRINT_BYTES)
    for path in _READING_CODE:
        digest.update(path.read_bytes())
    return digest.digest()

"""Source fingerprints: what a row was built from, digested before it is built (applied_rows.py uses them).

A record's raw cells are digested as they are read, under their file's header;
a stage adds what its row takes from other records, and READING_VERSION.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
from collections.abc import Callable, Sequence
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


# Contexts marshalled and kept per stage at most: a district's people share a few thousand (a school's students
# have one); a source whose every record differs only refills the memo.
SHARED_CONTEXTS = 20_000


class SourceFingerprints:
    """Source fingerprints of one stage's rows: a record's raw digest, what it takes from elsewhere, READING_VERSION
    and the reading code's own digest.

    A district's quarter of a million records share a few thousand contexts (a school's students: one role, one
    org, one school), so a context is marshalled once and the version and code are hashed once, not for every
    record: a third of the CPU of hashing them all whole.
    """

    def __init__(self) -> None:
        self._start = hashlib.blake2b(marshal.dumps((READING_VERSION, reading_code()), MARSHAL_VERSION),
                                      digest_size=FINGERPRINT_BYTES)
        self._shared: dict[tuple, bytes] = {}

    def __call__(self, raw: bytes, shared: tuple, own: str | None = None) -> bytes:
        """`shared`: plain values many records have alike; `own`: what only this record has (its ids)."""
        packed = self._shared.get(shared)
        if packed is None:
            if len(self._shared) >= SHARED_CONTEXTS:
                self._shared.clear()
            packed = self._shared[shared] = marshal.dumps(shared, MARSHAL_VERSION)
        hasher = self._start.copy()
        hasher.update(marshal.dumps((raw, own), MARSHAL_VERSION))
        hasher.update(packed)
        return hasher.digest()


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

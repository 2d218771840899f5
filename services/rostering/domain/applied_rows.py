"""What a district's earlier imports applied, and which rows of a new import still need sending.

Every row rostering sends to directory or identity is remembered by its key
(the stage's label: a sourcedId, a directory person id, a guardian:student
pair) as a fingerprint of exactly what was sent, plus the id the owning
service gave it. A row whose fingerprint has not changed since it was last
applied is not sent again: re-importing an unchanged district then costs the
read and a comparison, not a round trip per page through every service.

Rows are fingerprinted as sent, so whatever they carry that came from
elsewhere (an account's directory person and school ids) is part of the
fingerprint: a changed id makes the row change.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from .run import SAVED_OUTCOMES, Tally

FINGERPRINT_BYTES = 16

# A row's fields in key order, written by marshal's version 2: a value's type and contents only, with no
# back-references to objects met twice and no mark for interned strings (both came in version 3), so equal rows
# give equal bytes whichever string objects they share. Values nested in a field (an account's roles) are in the
# order the mapping builds them. About half the cost of a key-sorted JSON encoding (a district has a million
# rows); a later Python that writes version 2 differently only makes every row go once more, as a `full` run does.
_MARSHAL_VERSION = 2


class AppliedRow(NamedTuple):
    """One row as last applied: the fingerprint of what was sent, and the id the owning service answered."""

    fingerprint: bytes
    target_id: str | None


def fingerprint(row: Mapping) -> bytes:
    """A compact digest of a row's values and their types; equal rows, equal fingerprints."""
    return hashlib.blake2b(marshal.dumps(sorted(row.items()), _MARSHAL_VERSION), digest_size=FINGERPRINT_BYTES).digest()


@dataclass(frozen=True)
class SendPlan:
    """The rows of one entity to send, and what is known of the ones left out."""

    to_send: list[dict]
    # Key -> fingerprint of every row to send: what to remember once the owning service saved it.
    fingerprints: dict[str, bytes]
    # Key -> the owning service's id, of rows not sent (when the stage hands back ids).
    kept_ids: dict[str, str]
    unsent: int
    # Key of every row, sent or not.
    keys: frozenset[str]


def plan_sends(rows: Sequence[dict], *, key: Callable[[dict], str], applied: Mapping[str, AppliedRow],
               needs_ids: bool = False) -> SendPlan:
    """Split `rows` into those to send and those applied already, exactly as they are.

    With `needs_ids`, a row remembered without an id is sent again: later
    stages need the id, and only the owning service can give it.
    """
    to_send: list[dict] = []
    fingerprints: dict[str, bytes] = {}
    kept_ids: dict[str, str] = {}
    unsent = 0
    keys = set()
    for row in rows:
        row_key = key(row)
        keys.add(row_key)
        digest = fingerprint(row)
        known = applied.get(row_key)
        if known is not None and known.fingerprint == digest and not (needs_ids and known.target_id is None):
            unsent += 1
            if known.target_id is not None:
                kept_ids[row_key] = known.target_id
            continue
        to_send.append(row)
        fingerprints[row_key] = digest
    return SendPlan(to_send, fingerprints, kept_ids, unsent, frozenset(keys))


def applied_by(results: Iterable[Mapping], fingerprints: Mapping[str, bytes], *,
               keep_ids: bool = True) -> dict[str, AppliedRow]:
    """What to remember of a page's per-item results: only the items the owning service saved.

    Ids are kept only with `keep_ids`: where no later stage needs them, they
    would only make a district's million remembered rows slower to read back.

    A failed or refused item is not remembered, so it is sent again next
    time; neither is one the service left alone (`skipped`): why it did may
    change without the row changing.
    """
    remembered = {}
    for result in results:
        digest = fingerprints.get(result["key"])
        if digest is not None and result["outcome"] in SAVED_OUTCOMES:
            remembered[result["key"]] = AppliedRow(digest, result.get("id") if keep_ids else None)
    return remembered


def with_unsent(sent: Tally, plan: SendPlan) -> Tally:
    """The entity's tally over every row: the rows not sent count unchanged, with their remembered ids."""
    counts = replace(sent.counts, unchanged=sent.counts.unchanged + plan.unsent)
    return Tally(counts, {**plan.kept_ids, **sent.ids}, sent.refusals)


def stale_keys(applied: Mapping[str, AppliedRow], current: frozenset[str]) -> list[str]:
    """Remembered keys a full (bulk) file no longer lists: forgetting them makes a row that comes back go again."""
    return [row_key for row_key in applied if row_key not in current]

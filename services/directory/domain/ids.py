"""The directory's row ids: UUIDs (version 7) whose leading 48 bits are the creation time in milliseconds.

Rows a sync creates together get ids next to each other, so every index keyed by an id (a table's primary key,
`enrollments.person_id`, `reach.person_id`, other services' rows keyed by person id) takes a page's new entries
on its last few pages. With random ids (version 4) each new entry landed on a random page of the index: past the
database's buffer cache, a district's full import read, dirtied and wrote back about a page per row inserted.
The remaining 74 bits are random, so an id is no easier to guess than before; what it gives away is when its row
was created.
"""
from __future__ import annotations

VERSION = 7
RANDOM_BITS = 74


def time_ordered_id(milliseconds: int, random_bits: int) -> str:
    """The 32 hex digits of a version 7 UUID: `milliseconds` since the epoch (48 bits), then RANDOM_BITS of
    `random_bits` around the version and variant fields."""
    if not 0 <= milliseconds < 1 << 48 or not 0 <= random_bits < 1 << RANDOM_BITS:
        raise ValueError("milliseconds takes 48 bits and random_bits RANDOM_BITS")
    high, low = random_bits >> 62, random_bits & ((1 << 62) - 1)  # 12 bits after the version, 62 after the variant
    value = milliseconds << 80 | VERSION << 76 | high << 64 | 0b10 << 62 | low
    return f"{value:032x}"

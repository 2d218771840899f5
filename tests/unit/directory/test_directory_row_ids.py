"""The directory's new row ids are version 7 UUIDs: made later, sorted later."""
from __future__ import annotations

import time
import uuid

from services.directory.handlers import new_uuid


def test_an_id_is_a_version_7_uuid_carrying_about_when_it_was_made():
    before = time.time_ns() // 1_000_000
    parsed = uuid.UUID(new_uuid())
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert before <= parsed.int >> 80 <= before + 86_400_000  # ahead by a millisecond per id made within one
    assert len(parsed.hex) == 32


def test_ids_made_one_after_the_other_are_distinct_and_in_order_even_within_a_millisecond():
    made = [new_uuid() for _ in range(10_000)]
    assert len(set(made)) == len(made)
    assert made == sorted(made)

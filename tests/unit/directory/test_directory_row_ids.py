"""Row ids are version 7 UUIDs: created later, sorted later, whatever their random bits."""
from __future__ import annotations

import uuid

import pytest

from services.directory.domain.ids import RANDOM_BITS, time_ordered_id
from services.directory.handlers import new_uuid


def test_an_id_is_a_version_7_uuid_carrying_its_creation_time():
    made = time_ordered_id(1_765_000_000_123, (1 << RANDOM_BITS) - 1)
    parsed = uuid.UUID(made)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert parsed.int >> 80 == 1_765_000_000_123
    assert len(made) == 32 and made == parsed.hex


def test_ids_of_later_milliseconds_sort_after_earlier_ones_whatever_their_random_bits():
    earlier = time_ordered_id(1_765_000_000_000, (1 << RANDOM_BITS) - 1)
    later = time_ordered_id(1_765_000_000_001, 0)
    assert earlier < later


def test_every_random_bit_reaches_the_id():
    ids = {time_ordered_id(0, 1 << bit) for bit in range(RANDOM_BITS)}
    assert len(ids) == RANDOM_BITS and time_ordered_id(0, 0) not in ids


@pytest.mark.parametrize("milliseconds, random_bits", [(-1, 0), (1 << 48, 0), (0, -1), (0, 1 << RANDOM_BITS)])
def test_values_out_of_their_fields_are_refused(milliseconds, random_bits):
    with pytest.raises(ValueError):
        time_ordered_id(milliseconds, random_bits)


def test_the_handlers_ids_are_time_ordered_and_distinct():
    made = [new_uuid() for _ in range(1000)]
    assert len(set(made)) == len(made)
    assert all(uuid.UUID(one).version == 7 for one in made)
    assert [one[:12] for one in made] == sorted(one[:12] for one in made)

import gc
import weakref

import pytest

from services.rostering.domain.collector import collector_paused, long_lived


def test_the_collector_is_paused_inside_and_running_again_after():
    assert gc.isenabled()

    with collector_paused():
        assert not gc.isenabled()

    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_block_keeps_is_left_out_of_collections_until_the_block_ends():
    assert gc.get_freeze_count() == 0
    with long_lived() as heap:
        kept = heap.keep(lambda: [{"row": n} for n in range(1000)])
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(kept)

    assert gc.get_freeze_count() == 0


def test_garbage_the_read_left_in_cycles_is_freed_before_the_freeze_not_kept_until_the_thaw():
    class Node:
        pass

    def read_leaving_a_cycle():
        left_behind = Node()
        left_behind.itself = left_behind  # only the collector can free it
        read_leaving_a_cycle.left = weakref.ref(left_behind)
        return ["snapshot"]

    with long_lived() as heap:
        heap.keep(read_leaving_a_cycle)
        assert read_leaving_a_cycle.left() is None


def test_the_collection_before_the_freeze_walks_only_the_youngest_generation_where_the_read_left_everything():
    generations = []

    def noted(phase, info):
        if phase == "start":
            generations.append(info["generation"])

    def read():
        made = [{"row": n} for n in range(1000)]
        assert gc.get_count()[0] >= len(made)  # paused: all of it still young
        return made

    gc.callbacks.append(noted)
    try:
        with long_lived() as heap:
            heap.keep(read)
    finally:
        gc.callbacks.remove(noted)
    assert generations == [0]


def test_the_heap_thaws_only_when_the_last_of_two_overlapping_blocks_ends():
    with long_lived() as first:
        first.keep(list)
        with long_lived() as second:
            second.keep(list)
        assert gc.get_freeze_count() > 0

    assert gc.get_freeze_count() == 0


def test_a_read_that_fails_freezes_nothing_and_leaves_the_collector_running():
    def failing_read():
        raise ValueError("unreadable")

    with long_lived() as heap, pytest.raises(ValueError):
        heap.keep(failing_read)
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_a_read_known_to_leave_no_cycles_is_frozen_without_a_collection_first():
    collections = []

    def noted(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(noted)
    try:
        with long_lived() as heap:
            kept = heap.keep(lambda: [{"row": n} for n in range(1000)], leaves_no_cycles=True)
            assert gc.get_freeze_count() >= len(kept)
            assert collections == []
    finally:
        gc.callbacks.remove(noted)
    assert gc.get_freeze_count() == 0

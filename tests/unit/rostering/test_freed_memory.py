"""Giving freed memory back to the system: glibc's calls where the C library has them, nothing elsewhere."""
import platform

import pytest

from services.rostering.adapters.freed_memory import ARENAS, M_ARENA_MAX, FreedMemory


class RecordingLibrary:
    """A C library with glibc's two calls, recording them."""

    def __init__(self):
        self.calls = []

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1

    def mallopt(self, parameter, value):
        self.calls.append(("mallopt", parameter, value))
        return 1


class OtherLibrary:
    """A C library without them (musl, macOS, Windows' CRT)."""


def test_freed_memory_goes_back_through_malloc_trim_and_reading_threads_share_heaps():
    library = RecordingLibrary()
    memory = FreedMemory(lambda: library)

    assert memory.share_heaps() and memory.give_back()

    assert library.calls == [("mallopt", M_ARENA_MAX, ARENAS), ("malloc_trim", 0)]


def test_a_c_library_without_glibcs_calls_is_left_alone():
    memory = FreedMemory(OtherLibrary)

    assert (memory.share_heaps(), memory.give_back()) == (False, False)


def test_a_c_library_that_cannot_be_opened_is_left_alone():
    def unopenable():
        raise OSError("no C library here")

    memory = FreedMemory(unopenable)

    assert (memory.share_heaps(), memory.give_back()) == (False, False)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                    reason="malloc_trim is glibc's; other C libraries are the fakes above")
def test_this_process_s_glibc_is_found():
    assert FreedMemory().give_back()

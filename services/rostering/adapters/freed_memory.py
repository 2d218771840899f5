"""Handing back to the system the memory a run freed (glibc's malloc; elsewhere these do nothing).

A district's run builds and drops hundreds of megabytes in one long-lived process. What Python frees inside
malloc's heaps stays in the process until malloc is asked to return it, and every thread that reads a package
(eventlet's tpool has twenty) would keep a heap of its own, each holding what its last read left.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable

# glibc's mallopt parameter for the number of heaps threads may spread over (malloc.h).
M_ARENA_MAX = -8
# The main thread's heap and one for every reading thread: they read one at a time.
ARENAS = 2


def _own_c_library() -> object:
    return ctypes.CDLL(None)  # the symbols the process has loaded: its C library's among them


def _c_function(name: str, library: Callable[[], object]) -> Callable | None:
    """The process's C library function `name`, or None where there is none (not glibc, not a C library
    ctypes can open)."""
    try:
        return getattr(library(), name)
    except (OSError, TypeError, AttributeError):
        return None


class FreedMemory:
    """glibc's two calls a long-lived importing process needs, found once."""

    def __init__(self, library: Callable[[], object] = _own_c_library) -> None:
        self._trim = _c_function("malloc_trim", library)
        self._mallopt = _c_function("mallopt", library)

    def share_heaps(self, arenas: int = ARENAS) -> bool:
        """Threads made from now on share `arenas` heaps at most; whether the C library took it."""
        return self._mallopt is not None and bool(self._mallopt(M_ARENA_MAX, arenas))

    def give_back(self) -> bool:
        """Return the free pages of every heap to the system; whether there was a way to (malloc_trim)."""
        if self._trim is None:
            return False
        self._trim(0)
        return True

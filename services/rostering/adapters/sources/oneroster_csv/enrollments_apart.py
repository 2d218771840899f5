"""enrollments.csv read in a forked child process while this one reads the package's other files.

The read runs in a thread of the rostering service (eventlet's tpool) on one
core; a district's enrollments.csv is a third of it, and nothing in its shared
row rules needs another file (domain/enrollment_rows.py). The child is forked
as soon as the manifest is read, opens the package anew (its own file handles
and byte budget), reads the file's rows, writes them to an unnamed temporary
file as a pickled ReadAhead and leaves with os._exit: it never touches the
parent's sockets, logging, hub or exit handlers. When the child fails in any
way (an exception, a signal, no result within its patience) the reader reads
the file itself, so a broken file is refused exactly as before. The child is
always reaped: killed first when the reader stops early or stops waiting.
When users.csv has a child of its own (users_ahead.py), this one starts
reading once that one is done, so the two share the second core in turn.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from services.rostering.domain.enrollment_rows import ReadAhead, read_ahead
from services.rostering.domain.package_files import ENROLLMENTS

from .forked import forked, stopped
from .package_limits import MIB
from .package_source import PackageSource

# Below this size the file is read in the reader's own process: a fork, and handing the rows back, cost
# about what the second core saves (a district's enrollments.csv holds about 40 MiB).
APART_BYTES = 4 * MIB
# How long the reader waits for the child beyond the time it spent on the other files (the child reads less).
PATIENCE_SECONDS = 60.0
_POLL_SECONDS = 0.002
# How long the child waits at most for the one before it (`after`) before it reads anyway.
AFTER_SECONDS = 30.0


def reads_apart(size: int) -> bool:
    """The one rule: a file this large is read in a child process, where processes can be forked."""
    return size >= APART_BYTES and hasattr(os, "fork")


class EnrollmentsApart:
    """A child process reading one package's enrollments.csv; `result()` once, `close()` always."""

    def __init__(self, path: Path, member: str, mode: str, after: Path | None = None) -> None:
        """`after`: a file whose appearance (or its folder's going) the child waits for before it reads, at most
        AFTER_SECONDS: another child's mark that it is done (users_ahead.py)."""
        self._out = tempfile.TemporaryFile()
        self._started = time.monotonic()
        self._pid = forked(partial(_read, path, member, mode, self._out.fileno(), after))

    def result(self) -> ReadAhead | None:
        """The child's read, or None when it did not end cleanly within its patience."""
        if self._pid is None:
            return None
        patience = time.monotonic() - self._started + PATIENCE_SECONDS
        if self._reaped(patience) != 0:
            return None
        self._out.seek(0)
        try:
            read = pickle.load(self._out)
        except Exception:  # a truncated result (a full disk): read the file here instead
            return None
        return read if isinstance(read, ReadAhead) else None

    def close(self) -> None:
        if self._pid is not None:
            self._stop()
        self._out.close()

    def _reaped(self, patience: float) -> int | None:
        """The child's exit code once it has ended, or None when it is killed for outlasting `patience`."""
        deadline = time.monotonic() + patience
        while self._pid is not None:
            pid, status = os.waitpid(self._pid, os.WNOHANG)
            if pid:
                self._pid = None
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                self._stop()
                return None
            time.sleep(_POLL_SECONDS)
        return None

    def _stop(self) -> None:
        pid, self._pid = self._pid, None
        stopped(pid)


def _read(path: Path, member: str, mode: str, out: int, after: Path | None) -> None:
    """The child: read, and write the result (forked.py sees that it leaves without anything else)."""
    _wait_for(after)
    with ExitStack() as stack:
        source = PackageSource(path, stack)
        read = read_ahead(source.records(member, ENROLLMENTS), mode)
        read.bytes_read = source.bytes_read
    with open(out, "wb", closefd=False) as result:
        pickle.dump(read, result, protocol=pickle.HIGHEST_PROTOCOL)


def _wait_for(mark: Path | None) -> None:
    deadline = time.monotonic() + AFTER_SECONDS
    while mark is not None and mark.parent.exists() and not mark.exists() and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)

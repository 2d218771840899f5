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
"""

from __future__ import annotations

import os
import pickle
import signal
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn

from services.rostering.domain.enrollment_rows import ReadAhead, read_ahead
from services.rostering.domain.package_files import ENROLLMENTS

from .package_limits import MIB
from .package_source import PackageSource

# Below this size the file is read in the reader's own process: a fork, and handing the rows back, cost
# about what the second core saves (a district's enrollments.csv holds about 40 MiB).
APART_BYTES = 4 * MIB
# How long the reader waits for the child beyond the time it spent on the other files (the child reads less).
PATIENCE_SECONDS = 60.0
_POLL_SECONDS = 0.002


def reads_apart(size: int) -> bool:
    """The one rule: a file this large is read in a child process, where processes can be forked."""
    return size >= APART_BYTES and hasattr(os, "fork")


class EnrollmentsApart:
    """A child process reading one package's enrollments.csv; `result()` once, `close()` always."""

    def __init__(self, path: Path, member: str, mode: str) -> None:
        self._out = tempfile.TemporaryFile()
        self._started = time.monotonic()
        self._pid: int | None
        try:
            self._pid = os.fork()
        except OSError:
            self._pid = None  # no process to spare: the reader reads the file itself
        if self._pid == 0:
            _read_and_exit(path, member, mode, self._out.fileno())

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
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)


def _read_and_exit(path: Path, member: str, mode: str, out: int) -> NoReturn:
    """The child: read, write the result, leave without running anything the parent set up for its own exit."""
    code = 1
    try:
        with ExitStack() as stack:
            source = PackageSource(path, stack)
            read = read_ahead(source.records(member, ENROLLMENTS), mode)
            read.bytes_read = source.bytes_read
        with open(out, "wb", closefd=False) as result:
            pickle.dump(read, result, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)  # whatever happened: an exception here is the reader's cue to read the file itself

"""A child process forked to read part of a package beside the reader, and always reaped.

The child leaves with os._exit whatever happens: it never runs the parent's
exit handlers, nor touches its sockets, logging or hub. Forking is refused
quietly (no process to spare): the reader then does the work itself.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable


def forked(work: Callable[[], None]) -> int | None:
    """The child's pid, the child running `work` and leaving (0 when it returned); None when no fork was made."""
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)  # an exception here is the reader's cue to do the work itself
    return pid


def stopped(pid: int) -> None:
    """The child killed, if it still runs, and reaped."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)

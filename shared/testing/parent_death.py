"""Child processes that end when the process that started them ends, however it ends.

A stack's processes (shared/testing/stack.py) are stopped by the stack's own `stop` on the way out of
`running_stack`. A test process that never gets there (pytest-timeout's thread method ends it with `os._exit`, a
group runner or CI kills it, it crashes) left every service running, on its broker vhost and databases, for as
long as the machine stayed up. On Linux the kernel can send a child a signal when its parent dies
(PR_SET_PDEATHSIG): set in the child between fork and exec, it holds whatever way the parent ends, SIGKILL
included, with nothing in the parent that has to run.

The signal is SIGKILL, not SIGTERM: once the parent is gone nobody is left to wait for a graceful stop and
escalate, and a stack whose test timed out has often a process that no longer answers. The kernel watches the
thread that forked the child, not the whole process, so a stack must be started by a thread that outlives it
(the tests and the benchmarks start theirs from the main thread).
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def ending_with_this_process() -> Callable[[], None] | None:
    """A `preexec_fn` for `subprocess.Popen` that has the child killed when this process ends; None (nothing to
    run) where the kernel offers no such signal."""
    if not sys.platform.startswith("linux"):
        return None
    # Looked up here, in the parent: between fork and exec the child should only call, not load libraries.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def end_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        # A parent that died before the line above was asked about nobody: the child was handed to another
        # process already, and would run on.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return end_with_parent

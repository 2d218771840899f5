"""Argon2 off the eventlet hub, and never more of it than the service can afford.

One Argon2id hash with argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes)
takes 0.2-0.8 s of CPU here. Run inline it stalls every green thread of the
service for that long (measured: a 10 ms ticker waited 0.84 s), so every
`authenticate` queued behind one login. argon2's C code releases the GIL, so
an OS thread from eventlet's pool runs it while the hub keeps serving.

Off the hub is not enough: all RPC methods of identity share one queue and
`max_workers` workers, and a login waiting for a hash holds its worker. Sixty
logins at once held all ten, and `authenticate` (every gateway request) waited
6-7 s behind them. So logins may hold only part of the workers: at most
MAX_CONCURRENT_HASHES compute, a few more wait at most WAIT_FOR_SLOT_SECONDS,
and the rest are refused at once (the caller answers 429). `authenticate`
never hashes, and always finds a free worker; the hashing threads run at a
lower CPU priority so the hub that serves it is not starved either.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from eventlet import tpool
from eventlet.semaphore import Semaphore
from nameko.constants import DEFAULT_MAX_WORKERS
from nameko.extensions import DependencyProvider

from services.identity.domain.passwords import Argon2Passwords, PasswordChecksBusy

# Each hash holds 64 MiB and already spreads over 4 lanes; more at once only costs memory.
MAX_CONCURRENT_HASHES = 2
# A login that found both slots taken waits this long for one, then is refused.
WAIT_FOR_SLOT_SECONDS = 2.0
# Niceness of the threads that hash: the hub (nice 0) gets the CPU first whenever it has work.
HASHING_NICENESS = 10
# Of the service's workers, password work may hold at most this share (computing and waiting).
SHARE_OF_WORKERS_FOR_HASHING = 0.5


class HashingGate:
    """At most `concurrent` hashes at once; at most `waiting` more wait, each for `wait_seconds`.

    Everything past that is refused at once with PasswordChecksBusy, so a burst
    of logins costs the service at most `concurrent + waiting` workers.
    """

    def __init__(self, *, concurrent: int, waiting: int, wait_seconds: float) -> None:
        self._slots = Semaphore(concurrent)
        self._admitted = Semaphore(concurrent + waiting)
        self._wait_seconds = wait_seconds

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._admitted.acquire(blocking=False):
            raise PasswordChecksBusy("too many password checks are already waiting")
        try:
            if not self._slots.acquire(timeout=self._wait_seconds):
                raise PasswordChecksBusy(f"no password check slot freed within {self._wait_seconds} s")
            try:
                yield
            finally:
                self._slots.release()
        finally:
            self._admitted.release()


def gate_for_workers(max_workers: int) -> HashingGate:
    """The gate that leaves at least half of `max_workers` to everything that is not a password check."""
    admitted = max(MAX_CONCURRENT_HASHES, int(max_workers * SHARE_OF_WORKERS_FOR_HASHING))
    return HashingGate(concurrent=MAX_CONCURRENT_HASHES, waiting=admitted - MAX_CONCURRENT_HASHES,
                       wait_seconds=WAIT_FOR_SLOT_SECONDS)


def _as_background_work(work: Callable, *args):
    """Runs `work` in this OS thread at a lower CPU priority, inherited by the lane threads argon2 starts.

    Two hashes run 8 CPU-bound lane threads; at equal priority on a small machine
    they starve the eventlet hub, and every other request of the service slows
    down with them (measured: authenticate behind a login flood took 1.9-3.1 s
    at equal priority, 0.3-1.1 s with this). Linux sets nice values per thread;
    where it cannot (another OS, a sandbox that forbids it) the hash runs as it is.
    """
    thread_id = threading.get_native_id()
    # tpool runs `work` inline when it has no threads; the hub's own thread (the
    # main one, whose id is the process id on Linux) must keep its priority.
    if thread_id == os.getpid():
        return work(*args)
    try:
        if os.getpriority(os.PRIO_PROCESS, thread_id) < HASHING_NICENESS:
            os.setpriority(os.PRIO_PROCESS, thread_id, HASHING_NICENESS)
    except (AttributeError, OSError):
        pass
    return work(*args)


class ThreadedArgon2Passwords(Argon2Passwords):
    def __init__(self, gate: HashingGate | None = None) -> None:
        super().__init__()
        self._gate = gate or gate_for_workers(DEFAULT_MAX_WORKERS)

    def hash(self, password: str) -> str:
        with self._gate.slot():
            return tpool.execute(_as_background_work, super().hash, password)

    def matches(self, password_hash: str, password: str) -> bool:
        with self._gate.slot():
            return tpool.execute(_as_background_work, super().matches, password_hash, password)


class PasswordHashing(DependencyProvider):
    """Hands workers one shared hasher, so the limits hold across the service."""

    def setup(self) -> None:
        self.passwords = ThreadedArgon2Passwords(gate_for_workers(self.container.max_workers))

    def get_dependency(self, worker_ctx) -> ThreadedArgon2Passwords:
        return self.passwords

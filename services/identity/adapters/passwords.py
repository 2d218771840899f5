"""Argon2 off the eventlet hub.

One Argon2id hash with argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes)
takes 0.2-0.8 s of CPU here. Run inline it stalls every green thread of the
service for that long (measured: a 10 ms ticker waited 0.84 s), so every
`authenticate` queued behind one login. argon2's C code releases the GIL, so
an OS thread from eventlet's pool runs it while the hub keeps serving.
"""
from __future__ import annotations

from eventlet import tpool
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from services.identity.domain.passwords import Argon2Passwords

# Each hash holds 64 MiB and already spreads over 4 lanes; more at once only costs memory.
MAX_CONCURRENT_HASHES = 2


class ThreadedArgon2Passwords(Argon2Passwords):
    def __init__(self, max_concurrent: int = MAX_CONCURRENT_HASHES) -> None:
        super().__init__()
        self._slots = Semaphore(max_concurrent)

    def hash(self, password: str) -> str:
        with self._slots:
            return tpool.execute(super().hash, password)

    def matches(self, password_hash: str, password: str) -> bool:
        with self._slots:
            return tpool.execute(super().matches, password_hash, password)


class PasswordHashing(DependencyProvider):
    """Hands workers one shared hasher, so the concurrency limit holds across the service."""

    def setup(self) -> None:
        self.passwords = ThreadedArgon2Passwords()

    def get_dependency(self, worker_ctx) -> ThreadedArgon2Passwords:
        return self.passwords

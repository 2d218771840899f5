"""Run the sandbox as a child process on a free loopback port, for tests and benchmarks.

A process of its own, as in `make run`: the sandbox's threads never share a
GIL (or an eventlet hub) with the code under test.
"""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from services.sandbox.client import SandboxClient
from shared.settings import environment

READY_PREFIX = "sandbox listening on "
START_TIMEOUT_SECONDS = 15.0


class SandboxStartError(RuntimeError):
    pass


@dataclass(frozen=True)
class SandboxProcess:
    base_url: str
    client: SandboxClient
    pid: int


@contextmanager
def running_sandbox(env: Mapping[str, str] | None = None, *, args: tuple[str, ...] = ()) -> Iterator[SandboxProcess]:
    """env adds to (and overrides) this process's environment: credentials, SANDBOX_* targets."""
    child_env = {**environment(), **(env or {}), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "services.sandbox", "--listen", "127.0.0.1:0", *args],
                               stdout=subprocess.PIPE, env=child_env, text=True)
    try:
        base_url = _wait_until_listening(process)
        with SandboxClient(base_url) as client:
            _wait_until_healthy(client)
            yield SandboxProcess(base_url, client, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_listening(process: subprocess.Popen) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()  # EOF (""), if the child dies first
    if not line.startswith(READY_PREFIX):
        raise SandboxStartError(f"sandbox did not start (exit code {process.poll()}): {line!r}")
    return line[len(READY_PREFIX):].strip()


def _wait_until_healthy(client: SandboxClient) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            if client.health():
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SandboxStartError(f"sandbox at {client.base_url} is not answering") from None
        time.sleep(0.05)

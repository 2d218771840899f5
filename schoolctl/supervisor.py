"""The Procfile's processes under `make run`: started together, their output prefixed with their name, a crashed
one started again with backoff (restart_policy.py), and every one stopped together.

Until the stack is up (`started()`), any process that exits is a failure of the start: the supervisor says which
one, how it ended and its last lines, and stops the rest. Afterwards a process that exits is started again after
its backoff, and the log says so (`supervisor | notify-worker-1 (pid 4242) ended: killed by SIGKILL; starting it
again in 1 s (crash 1 in a row; giving up at 5)`); one that keeps crashing is given up on, and the stack stops.
Each process runs in a session of its own (a Ctrl-C at the terminal reaches the supervisor alone), with `PORT`
set as foreman and honcho set it: 5000, 5100, … in Procfile order.
"""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from schoolctl.restart_policy import CrashStreak, GiveUp, RestartPolicy

FIRST_PORT, PORT_STEP = 5000, 100
LAST_LINES = 15
STOP_SECONDS = 20


@dataclass(frozen=True)
class ProcfileEntry:
    name: str
    command: str


def read_procfile(path: Path) -> list[ProcfileEntry]:
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, separator, command = line.partition(":")
        if not separator or not name.strip() or not command.strip():
            raise ValueError(f"{path.name} line {number}: expected `name: command`, got {line!r}")
        entries.append(ProcfileEntry(name.strip(), command.strip()))
    return entries


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


@dataclass
class _Process:
    entry: ProcfileEntry
    port: int
    streak: CrashStreak
    popen: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    last_lines: deque = field(default_factory=lambda: deque(maxlen=LAST_LINES))


class Supervisor:
    def __init__(self, entries: list[ProcfileEntry], *, env: Mapping[str, str], cwd: Path,
                 policy: RestartPolicy = RestartPolicy(), out: IO[str] = sys.stdout, poll_seconds: float = 0.2) -> None:
        self._processes = [_Process(entry, FIRST_PORT + PORT_STEP * index, CrashStreak(policy))
                           for index, entry in enumerate(entries)]
        self._env, self._cwd, self._policy, self._out = dict(env), cwd, policy, out
        self._poll_seconds = poll_seconds
        self._width = max([len("supervisor"), *(len(entry.name) for entry in entries)])
        self._lock = threading.Lock()  # one line of output at a time
        self._spawning = threading.Lock()  # no process starts once stop() has begun
        self._started = False
        self._stopping = threading.Event()
        self._ended = threading.Event()
        self.failure: str | None = None

    # --- the caller's side ---------------------------------------------------------------------------------
    def start(self) -> None:
        for process in self._processes:
            self._spawn(process)
        threading.Thread(target=self._watch, name="supervisor", daemon=True).start()

    def started(self) -> None:
        """The stack is up: from now on a process that exits is started again with backoff."""
        self._started = True

    def wait(self, timeout: float | None = None) -> bool:
        """Until the supervisor has given up (True), or the timeout passed (False)."""
        return self._ended.wait(timeout)

    def pids(self) -> dict[str, int]:
        return {p.entry.name: p.popen.pid for p in self._processes if p.popen and p.popen.poll() is None}

    def stop(self) -> None:
        """SIGTERM to every process's group, SIGKILL to what is left after STOP_SECONDS."""
        with self._spawning:
            self._stopping.set()
        running = [p.popen for p in self._processes if p.popen and p.popen.poll() is None]
        for popen in running:
            _signal_group(popen, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for popen in running:
            try:
                popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{_name_of(self._processes, popen)} did not stop within {STOP_SECONDS} s: killing it")
                _signal_group(popen, signal.SIGKILL)
                popen.wait()

    def say(self, message: str, name: str = "supervisor") -> None:
        with self._lock:
            self._out.write(f"{time.strftime('%H:%M:%S')} {name:<{self._width}} | {message}\n")
            self._out.flush()

    # --- the supervisor's thread ---------------------------------------------------------------------------
    def _spawn(self, process: _Process) -> None:
        env = {**self._env, "PORT": str(process.port), "PYTHONUNBUFFERED": "1"}
        process.popen = subprocess.Popen(shlex.split(process.entry.command), cwd=self._cwd, env=env,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, errors="replace",
                                         start_new_session=True)
        process.started_at, process.restart_at = time.monotonic(), None
        self.say(f"{process.entry.name} started (pid {process.popen.pid})")
        threading.Thread(target=self._relay, args=(process, process.popen), daemon=True).start()

    def _relay(self, process: _Process, popen: subprocess.Popen) -> None:
        for line in popen.stdout:
            line = line.rstrip("\n")
            process.last_lines.append(line)
            self.say(line, process.entry.name)
        popen.stdout.close()

    def _watch(self) -> None:
        while not self._stopping.is_set() and not self._ended.is_set():
            now = time.monotonic()
            for process in self._processes:
                if process.restart_at is not None:
                    if now >= process.restart_at:
                        with self._spawning:
                            if not self._stopping.is_set():
                                self._spawn(process)
                    continue
                returncode = process.popen.poll()
                if returncode is None or self._stopping.is_set():
                    continue
                _drain(process)
                self._exited(process, returncode, now)
            time.sleep(self._poll_seconds)

    def _exited(self, process: _Process, returncode: int, now: float) -> None:
        name, pid, ended = process.entry.name, process.popen.pid, how_it_ended(returncode)
        if not self._started:
            last = "\n".join(f"    {line}" for line in process.last_lines) or "    (it printed nothing)"
            self._give_up(f"{name} (pid {pid}) ended while the stack was starting: {ended}. Its last lines:\n{last}")
            return
        decision = process.streak.exited(ran_for=now - process.started_at)
        if isinstance(decision, GiveUp):
            self._give_up(f"{name} (pid {pid}) ended: {ended}; it crashed {decision.crashes_in_a_row} times in a row, "
                          f"none of its runs lasting {self._policy.stable_after:.0f} s: giving up on it")
            return
        process.restart_at = now + decision.delay
        self.say(f"{name} (pid {pid}) ended: {ended}; starting it again in {decision.delay:g} s (crash "
                 f"{decision.crashes_in_a_row} in a row; giving up at {self._policy.give_up_after})")

    def _give_up(self, failure: str) -> None:
        self.failure = failure
        self.say(failure)
        self._ended.set()


def _drain(process: _Process) -> None:
    """Wait briefly for the relay to print what the process wrote last, so a failure can quote it."""
    deadline = time.monotonic() + 1
    while not process.popen.stdout.closed and time.monotonic() < deadline:
        time.sleep(0.05)


def _signal_group(popen: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(popen.pid, signum)  # its own session: the group is the process and whatever it started
    except ProcessLookupError:
        pass


def _name_of(processes: list[_Process], popen: subprocess.Popen) -> str:
    return next(p.entry.name for p in processes if p.popen is popen)

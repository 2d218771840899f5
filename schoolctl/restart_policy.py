"""When `make run` starts a crashed process again, and when it gives up on it (plain Python, no processes).

A process that exits is started again after a delay that doubles with each crash in a row (1 s, 2 s, 4 s …,
at most 30 s). A run that lasted `stable_after` seconds ends the streak: the next crash waits the first
delay again. A process that crashed `give_up_after` times in a row, never staying up, is given up on: it
would only crash again, and the stack stops saying so rather than run on without it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 1.0
    max_delay: float = 30.0
    give_up_after: int = 5
    stable_after: float = 60.0

    def delay(self, crashes_in_a_row: int) -> float:
        """The wait before starting a process again after its n-th crash in a row (n >= 1)."""
        return min(self.first_delay * 2 ** (crashes_in_a_row - 1), self.max_delay)


@dataclass(frozen=True)
class Restart:
    delay: float
    crashes_in_a_row: int


@dataclass(frozen=True)
class GiveUp:
    crashes_in_a_row: int


@dataclass
class CrashStreak:
    """One process's crashes in a row, and what to do about the latest one."""

    policy: RestartPolicy
    crashes_in_a_row: int = 0

    def exited(self, *, ran_for: float) -> Restart | GiveUp:
        if ran_for >= self.policy.stable_after:
            self.crashes_in_a_row = 0
        self.crashes_in_a_row += 1
        if self.crashes_in_a_row >= self.policy.give_up_after:
            return GiveUp(self.crashes_in_a_row)
        return Restart(self.policy.delay(self.crashes_in_a_row), self.crashes_in_a_row)

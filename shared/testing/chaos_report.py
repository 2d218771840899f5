"""The `chaos` tests' figures in every run's output, with or without `-s`.

A chaos test asks for the `chaos_figures` fixture and calls it with a line per
figure (faults injected, deliveries lost, repeated provider calls, seconds to
resume). Each line is printed as it comes (seen with `-s`) and kept; at the end
of the run pytest's terminal summary prints them all under "chaos figures",
which CI's log always shows, whether the tests passed or failed.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest

FIGURES = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[FIGURES] = []


@pytest.fixture
def chaos_figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    def report(line: str) -> None:
        line = f"{request.node.name}: {line}"
        print(line)
        request.config.stash[FIGURES].append(line)

    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    figures = config.stash.get(FIGURES, [])
    if figures:
        terminalreporter.section("chaos figures")
        for line in figures:
            terminalreporter.write_line(line)

"""`make test`: the suite in groups of about equal duration, run side by side, with one closing summary.

Most of the suite waits (on the broker, on PostgreSQL, on a stack of processes starting, on a fault's timer)
rather than computes, so groups running at once finish it in a fraction of the time one pytest takes.
pytest-xdist cannot run it: its workers start the thread that talks to the controller before the conftest
patches eventlet, and nameko's tests need the patch (the workers hang). So each group is a pytest of its own,
as `pytest` alone would run it, given its share by pytest-split from the measured durations in
`tests/test_durations.json` (tests it does not know count as the average). Refresh that file after adding
slow tests: `make test-durations` (each group measures its share; the runs side by side
slow every test alike, so the shares stay even).

Each group's output goes to a log file while it runs (a line says when a group ends); when all have ended,
each log is printed in full, in order, then one summary line in pytest's own words. The exit status is the
first failing group's (a group that collected nothing counts as passed).

    python -m shared.testing.test_groups [--groups N] [--logs DIR] [-- [--store-durations] PYTEST_ARGS...]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DURATIONS_PATH = Path("tests/test_durations.json")
NO_TESTS_COLLECTED = 5
# pytest's last line, framed in "=" or (with -q) bare: "12 passed, 1 skipped in 3.40s (0:00:03)".
_SUMMARY_LINE = re.compile(r"^=* ?(?P<counts>(\d+ [a-z]+(, )?)+|no tests ran) in (?P<seconds>[\d.]+)s\b")
_COUNT = re.compile(r"(?P<number>\d+) (?P<outcome>[a-z]+)")


@dataclass
class Group:
    number: int
    log_path: Path
    process: subprocess.Popen
    started: float
    returncode: int | None = None
    seconds: float = 0.0

    def summary(self) -> str | None:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return next((line for line in reversed(lines) if _SUMMARY_LINE.match(line)), None)


def group_command(groups: int, number: int, durations: Path, pytest_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "--splits", str(groups), "--group", str(number),
            "--splitting-algorithm", "least_duration", "--durations-path", str(durations), *pytest_args]


def merged_durations(earlier: dict[str, float], measured_by_groups: list[dict[str, float]]) -> dict[str, float]:
    """Each group's file holds the durations it started from plus those it measured: keep what it measured."""
    merged = dict(earlier)
    for measured in measured_by_groups:
        merged.update((test, seconds) for test, seconds in measured.items() if earlier.get(test) != seconds)
    return merged


def combined_counts(summaries: list[str | None]) -> Counter:
    """The groups' outcomes added up. "deselected" is left out: each group deselects the others' tests."""
    counts: Counter = Counter()
    for line in summaries:
        match = _SUMMARY_LINE.match(line or "")
        if match:
            for count in _COUNT.finditer(match["counts"]):
                if count["outcome"] != "deselected":
                    counts[count["outcome"]] += int(count["number"])
    return counts


def summary_line(counts: Counter, seconds: float, groups: int) -> str:
    # pytest's own order of outcomes, then whatever else a plugin adds.
    order = ["failed", "passed", "skipped", "xfailed", "xpassed", "warnings", "error", "errors"]
    outcomes = sorted(counts, key=lambda outcome: (order.index(outcome) if outcome in order else len(order), outcome))
    text = ", ".join(f"{counts[outcome]} {outcome}" for outcome in outcomes) or "no tests ran"
    return f"{' ' + text + f' in {seconds:.2f}s ({groups} groups side by side) ':=^100}"


def exit_status(groups: list[Group]) -> int:
    failing = [group.returncode for group in groups if group.returncode not in (0, NO_TESTS_COLLECTED)]
    if failing:
        return failing[0]
    return NO_TESTS_COLLECTED if all(group.returncode == NO_TESTS_COLLECTED for group in groups) else 0


def run(groups_wanted: int, logs: Path, pytest_args: list[str], store_durations: bool = False) -> int:
    logs.mkdir(parents=True, exist_ok=True)
    earlier = json.loads(DURATIONS_PATH.read_text()) if DURATIONS_PATH.exists() else {}
    started = time.monotonic()
    groups = []
    for number in range(1, groups_wanted + 1):
        log_path = logs / f"group-{number}.log"
        durations, args = DURATIONS_PATH, pytest_args
        if store_durations:  # each group writes a copy of its own, merged when all have ended
            durations = logs / f"durations-{number}.json"
            durations.write_text(json.dumps(earlier))
            args = ["--store-durations", *pytest_args]
        with log_path.open("w") as log:
            process = subprocess.Popen(group_command(groups_wanted, number, durations, args), stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        groups.append(Group(number, log_path, process, time.monotonic()))
    print(f"test groups: {groups_wanted} pytest runs side by side, logs in {logs}/", flush=True)

    def stop(signum, _frame):
        for group in groups:
            if group.process.poll() is None:
                os.killpg(group.process.pid, signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    waiting = list(groups)
    while waiting:
        for group in list(waiting):
            if group.process.poll() is not None:
                group.returncode, group.seconds = group.process.returncode, time.monotonic() - group.started
                waiting.remove(group)
                print(f"test groups: group {group.number} ended after {group.seconds:.0f} s: "
                      f"{(group.summary() or f'exit status {group.returncode}').strip('= ')}", flush=True)
        time.sleep(0.5)

    for group in groups:
        print(f"\n{f' group {group.number} of {groups_wanted}: {group.log_path} ':#^100}")
        print(group.log_path.read_text(errors="replace"), end="", flush=True)
    print()
    if store_durations:
        measured = [json.loads((logs / f"durations-{group.number}.json").read_text()) for group in groups]
        merged = {test: round(seconds, 2) for test, seconds in merged_durations(earlier, measured).items()}
        DURATIONS_PATH.write_text(json.dumps(merged, sort_keys=True, indent=0, separators=(",", ":")) + "\n")
        print(f"test groups: durations stored in {DURATIONS_PATH}")
    print(summary_line(combined_counts([group.summary() for group in groups]), time.monotonic() - started,
                       groups_wanted), flush=True)
    return exit_status(groups)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--logs", type=Path, default=Path("var/test-groups"))
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    pytest_args = [arg for arg in options.pytest_args if arg != "--"]
    if options.groups < 2:
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args])
    return run(options.groups, options.logs, [arg for arg in pytest_args if arg != "--store-durations"],
               store_durations="--store-durations" in pytest_args)


if __name__ == "__main__":
    sys.exit(main())

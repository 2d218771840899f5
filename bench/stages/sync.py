"""sync_full_*, sync_unchanged_seconds, sync_delta_seconds: the generated district through rostering.

Each import is `rostering.import_package` over RPC, followed until its run ends, as `schoolctl roster import`
does, and is timed from the call until the later of the run's own end (its `finished_at`, not when a poll saw it) and
notify's projection having taken in what directory and identity published: after the run ended and the service
queues are empty, the last `recipients.updated_at` notify wrote marks the latter.
The delta package is the same package with 1 % of the users changed (a given name or an email address).
"""
from __future__ import annotations

import csv
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.context import Context
from bench.metrics.roster import count_rows
from bench.platform_stack import (
    Platform,
    cpu_per_item,
    cpu_spent,
    cpu_with_bench,
    describe_cpu,
    operator_rpc,
    wait_for,
)
from bench.report import Row
from shared.contracts import rostering

DELTA_SHARE = 0.01
# How often a run is asked how it is doing. Its end is timed from its own finished_at, so asking sooner does not
# shorten a figure: each question is an RPC rostering serves between the pages of the run it watches.
RUN_POLL_SECONDS = 0.5
PROGRESS_SECONDS = 15.0
PROGRESS_TABLES = (("directory", "people"), ("identity", "accounts"), ("directory", "enrollments"),
                   ("directory", "guardian_links"), ("notify", "recipients"))
# The management API refreshes queue figures every 5 s; two empty readings this far apart mean drained.
DRAIN_CONFIRM_SECONDS = 6.0


@dataclass(frozen=True)
class TimedRun:
    seconds: float  # from the request until notify's projection took in what the run changed
    # CPU the platform's processes and the bench (a provider fake included) used meanwhile. PostgreSQL and RabbitMQ
    # serve every run on the box and are left out. On a shared box it compares two runs better than `seconds`.
    cpu_seconds: float


def run(ctx: Context, platform: Platform) -> list[Row]:
    package = ctx.package()
    rows = count_rows(package)
    full = timed_import(ctx, platform, package, "full import", rows)
    unchanged = timed_import(ctx, platform, package, "the same package again", rows)
    delta = timed_import(ctx, platform, delta_package(package, ctx.workdir / "delta"), "1 % of users changed",
                         rows)
    return [Row("sync_full_seconds", full.seconds, "s"),
            Row("sync_full_cpu_seconds", full.cpu_seconds, "s"),
            Row("sync_full_rows_per_s", rows / full.seconds, "rows/s"),
            Row("sync_unchanged_seconds", unchanged.seconds, "s"),
            Row("sync_delta_seconds", delta.seconds, "s")]


def timed_import(ctx: Context, platform: Platform, package: Path, label: str, rows: int | None = None) -> TimedRun:
    """From the import call until notify's projection took it in; prints each process's CPU (the stack's
    PostgreSQL backends as `postgres`, the bench's own process as `bench`), and per package row when `rows` is
    given: on a shared box a steadier figure than the seconds."""
    ctx.progress(f"sync: {label} ({package.name})")
    timeout = ctx.sizes.sync_timeout_seconds
    started_wall, started = time.time(), time.monotonic()
    cpu_before = cpu_with_bench(platform)
    with reporting_progress(ctx, platform):
        run = imported(ctx, platform, package, timeout)
    if run["state"] != "completed":
        raise RuntimeError(f"the import ended {run['state']}: {run.get('message')}")
    ctx.progress(f"  import run ended after {finished_epoch(run) - started_wall:.1f}s (seen after "
                 f"{time.monotonic() - started:.1f}s); waiting for the events to drain")
    wait_drained(ctx, platform, timeout)
    elapsed = max(finished_epoch(run), projected_at(platform)) - started_wall
    return timed_run(ctx, label, elapsed, run, cpu_spent(cpu_before, cpu_with_bench(platform)), rows)


def timed_run(ctx: Context, label: str, elapsed: float, run: dict, cpu: dict[str, float],
              rows: int | None = None) -> TimedRun:
    ctx.progress(f"  {label}: {elapsed:.1f}s, {run_counts(run)}")
    ctx.progress(f"  {label}: {describe_cpu(cpu)}")
    if rows:
        ctx.progress(f"  CPU per 1,000 package rows: {cpu_per_item({}, cpu, rows / 1000)}")
    return TimedRun(elapsed, sum(cpu.values()))


def imported(ctx: Context, platform: Platform, package: Path, timeout: float) -> dict:
    """Start an import and wait for its run to end (completed, held, failed), polling it as `schoolctl roster
    import` does (follow_sync_run: its findings counted, not listed). The run as last polled."""
    with operator_rpc(platform, rostering.contract, timeout) as service:
        run_id = service().import_package({"path": str(package), "region": "US", "district_name": None})["run_id"]
        last = {}

        def ended() -> bool:
            last.update(service().follow_sync_run({"run_id": run_id}))
            return last["state"] != "running"

        wait_for(ctx, f"run {run_id[:8]}", ended, timeout=timeout, every=RUN_POLL_SECONDS,
                 report=lambda: progress_of(last))
    return dict(last)


def finished_epoch(run: dict) -> float:
    """When the run itself ended (epoch seconds), not when the bench's poll saw it: a poll every RUN_POLL_SECONDS
    would add up to that much to every figure."""
    instant = run["finished_at"]
    moment = instant if isinstance(instant, datetime) else datetime.fromisoformat(str(instant).replace("Z", "+00:00"))
    return moment.timestamp()


def progress_of(run: dict) -> str:
    progress = run["progress"]
    return f"{progress['phase']}, {progress['pages_applied']:,}/{progress['pages_total']:,} pages"


@contextmanager
def reporting_progress(ctx: Context, platform: Platform) -> Iterator[None]:
    """While the import call blocks: every PROGRESS_SECONDS, how many rows the owning services hold."""
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(PROGRESS_SECONDS):
            held = {table: platform.scalar(service, f"SELECT count(*) FROM {table}")
                    for service, table in PROGRESS_TABLES}
            ctx.progress("  holding " + ", ".join(f"{count:,} {table}" for table, count in held.items()))

    reporter = threading.Thread(target=report, daemon=True)
    reporter.start()
    try:
        yield
    finally:
        stop.set()
        reporter.join()


def projected_at(platform: Platform) -> float:
    """When notify's projection last took in a change (epoch seconds): the end of work that reaches it."""
    return float(platform.scalar("notify", "SELECT extract(epoch FROM max(updated_at)) FROM recipients") or 0)


def wait_drained(ctx: Context, platform: Platform, timeout: float) -> None:
    empty_since: list[float] = []

    def drained() -> bool:
        if platform.queued_messages():
            empty_since.clear()
            return False
        empty_since.append(time.monotonic())
        return empty_since[-1] - empty_since[0] >= DRAIN_CONFIRM_SECONDS

    wait_for(ctx, "event queues draining", drained, timeout=timeout, every=1.0,
             report=lambda: f"{platform.queued_messages():,} messages queued")


def run_counts(run: dict) -> str:
    def entity(counts: dict) -> str:
        return " ".join(f"{number:,} {name}" for name, number in counts.items() if number)

    return "; ".join(f"{name}: {entity(counts)}" for name, counts in sorted(run["counts"].items()))


def change_of(n: int, given_name: str, email: str) -> tuple[str, str]:
    """The nth changed user's change, (field, new value): every other one with an email a new email, else a
    new given name. The CSV delta package and the providers' changed users are changed alike."""
    if n % 2 and email:
        return "email", "changed." + email
    return "givenName", given_name + "e"


def delta_package(package: Path, out: Path) -> Path:
    """A copy of `package` with every 100th user changed: a given name, or (every other one) the email."""
    shutil.copytree(package, out)
    every = round(1 / DELTA_SHARE)
    with (package / "users.csv").open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        fieldnames, users = reader.fieldnames, list(reader)
    for n, user in enumerate(users[::every]):
        field, value = change_of(n, user["givenName"], user["email"])
        user[field] = value
    with (out / "users.csv").open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=fieldnames, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(users)
    return out

"""roster_read_rows_per_s and roster_read_peak_rss_mb: read_package over the generated district.

The package is generated at the scale by the project's generator into the
run's scratch folder, then read in a fresh child process, which times the read
and reports its own peak RSS (resource.getrusage; ru_maxrss is KiB on Linux).
Rows are the data rows of the package's entity CSV files (the manifest excluded).
"""
from __future__ import annotations

import multiprocessing
import resource
import sys
import time
from pathlib import Path

from bench.context import Context
from bench.report import Row

READ_TIMEOUT_SECONDS = 900


def count_rows(package: Path) -> int:
    total = 0
    for path in sorted(package.glob("*.csv")):
        if path.name == "manifest.csv":
            continue
        with path.open("rb") as stream:
            total += max(sum(1 for _ in stream) - 1, 0)
    return total


def _peak_mb() -> float:
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak_kib / 1024 if sys.platform != "darwin" else peak_kib / 2**20


def _read_in_child(package: str) -> tuple[float, float, float, int]:
    from services.rostering.adapters.sources.oneroster_csv.reader import read_package

    before_mb = _peak_mb()  # what the child started with (inherited peak included): shown, so it can be judged
    started = time.perf_counter()
    snapshot = read_package(package)
    elapsed = time.perf_counter() - started
    return elapsed, before_mb, _peak_mb(), len(snapshot.people)


def run(ctx: Context) -> list[Row]:
    package = ctx.package()
    rows = count_rows(package)
    ctx.progress(f"read_package over {rows:,} rows in a child process")
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        elapsed, before_mb, peak_mb, people = pool.apply_async(_read_in_child, (str(package),)).get(READ_TIMEOUT_SECONDS)
    ctx.progress(f"read {people:,} people in {elapsed:.1f}s, peak RSS {peak_mb:.0f} MB (before the read: {before_mb:.0f} MB)")
    return [Row("roster_read_rows_per_s", rows / elapsed, "rows/s"),
            Row("roster_read_peak_rss_mb", peak_mb, "MB")]

"""Rostering's resident memory across reads of the generated district, in this process: what each read leaves.

    python -m bench.rostering_memory --scale district --runs 4

Each read runs on a thread of its own that stays alive afterwards, as the service's reading threads (eventlet's
tpool) do; the snapshot is dropped after each, as a run's end drops it, and the process's freed memory is given
back as the service gives it back (adapters/freed_memory.py). Prints RSS after each read and after each run, the
peak so far (Linux: /proc/self/status) and the reading thread's CPU seconds. No broker, no database.
"""
from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from bench.process_memory import status_mb
from services.rostering.adapters.freed_memory import FreedMemory
from services.rostering.adapters.sources.oneroster_csv.generator import SCALES, write_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.collector import long_lived
from services.rostering.domain.snapshot import Snapshot

SEED = 7


def resident_mb() -> tuple[int, int]:
    """This process's resident set now and at its highest (VmRSS, VmHWM), in MB."""
    status = status_mb("self", "VmRSS", "VmHWM")
    return int(status["VmRSS"]), int(status["VmHWM"])


def read_on_a_thread_of_its_own(package: Path, stays: threading.Event) -> tuple[Snapshot, float]:
    """The package read on a new thread, which then waits for `stays` (its heap, if it has one, stays too)."""
    read: list = []
    done = threading.Event()

    def reading() -> None:
        started = time.thread_time()
        snapshot = read_package(package, region="US")
        read.append((snapshot, time.thread_time() - started))
        del snapshot
        done.set()
        stays.wait()

    threading.Thread(target=reading, daemon=True).start()
    done.wait()
    return read.pop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="district")
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()
    memory, stays = FreedMemory(), threading.Event()
    memory.share_heaps()
    with tempfile.TemporaryDirectory() as scratch:
        package = write_district(Path(scratch) / "package", scale=SCALES[args.scale], seed=SEED)
        for run in range(1, args.runs + 1):
            with long_lived() as heap:
                snapshot, cpu = heap.keep(lambda: read_on_a_thread_of_its_own(package, stays))
                memory.give_back()
                after_read, _ = resident_mb()
                del snapshot
            memory.give_back()
            after_run, peak = resident_mb()
            print(f"run {run}: read {cpu:.2f} s CPU; RSS after the read {after_read} MB, after the run "
                  f"{after_run} MB; peak so far {peak} MB", flush=True)
    stays.set()


if __name__ == "__main__":
    main()

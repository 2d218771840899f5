"""The generated district imported by rostering's own handler in this process: CPU of the read and of the apply,
and the cyclic collector's share of each.

    python -m bench.rostering_imports --scale district --runs 4

No broker, no database: directory, identity and what rostering remembers are the unit tests' in-memory fakes
(tests/unit/rostering/rostering_fakes.py), so the figures are rostering's reading and planning alone, plus the
fakes' own bookkeeping. A full import first, then `--runs` deltas: the sync bench's 1 % package
(stages/sync.delta_package), then the original again, and so on (each one changes the same 1 % of users). On a
shared box CPU seconds compare two runs better than the seconds.
"""
from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.stages.sync import delta_package
from services.rostering.adapters.sources.oneroster_csv.generator import SCALES, write_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.enrollments_read_before import EnrollmentsReadBefore
from services.rostering.domain.people_read_before import PeopleReadBefore

FAKES = Path(__file__).resolve().parents[1] / "tests" / "unit" / "rostering"
SEED = 7


class CollectorClock:
    """CPU seconds spent in the cyclic collector since the last `taken()`."""

    def __init__(self) -> None:
        self.spent = self._started = 0.0
        gc.callbacks.append(self._on_collection)

    def _on_collection(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.spent += time.process_time() - self._started

    def taken(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="district")
    parser.add_argument("--runs", type=int, default=4, help="deltas after the full import")
    parser.add_argument("--rebuild-people", action="store_true",
                        help="build every users row on every read (the service keeps the people of its last read)")
    parser.add_argument("--reread-enrollments", action="store_true",
                        help="read enrollments.csv on every read (the service takes its last read's enrollments "
                             "when the file's bytes are the same)")
    args = parser.parse_args()
    sys.path.insert(0, str(FAKES))
    from rostering_fakes import Importer  # the unit tests' fakes, on the path only for this tool

    with tempfile.TemporaryDirectory() as scratch:
        original = write_district(Path(scratch) / "package", scale=SCALES[args.scale], seed=SEED)
        changed = delta_package(original, Path(scratch) / "delta")
        importer, collector = Importer(), CollectorClock()
        read_before = None if args.rebuild_people else PeopleReadBefore()
        enrollments_before = None if args.reread_enrollments else EnrollmentsReadBefore()
        importer.enrollment_digests = enrollments_before  # as the service: the stage digest kept with them
        packages = [("full", original)] + [("delta", (changed, original)[n % 2]) for n in range(args.runs)]
        for label, package in packages:
            started = cpu_seconds()
            snapshot = read_package(package, read_before=read_before, enrollments_before=enrollments_before)
            read, read_collector = cpu_seconds() - started, collector.taken()
            run = importer(snapshot)
            del snapshot
            applied = cpu_seconds() - started - read
            people = run["counts"]["people"]
            print(f"{label}: read {read:.2f} s CPU (collector {read_collector:.2f}), apply {applied:.2f} s "
                  f"(collector {collector.taken():.2f}); {run['state']}, people updated {people['updated']:,}, "
                  f"created {people['created']:,}", flush=True)


if __name__ == "__main__":
    main()

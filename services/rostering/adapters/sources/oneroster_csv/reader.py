"""Read a OneRoster 1.1 or 1.2 CSV package (a folder or a .zip, bulk or delta) into a Snapshot.

Bad rows never cost the good ones: each is reported with its file and
physical line, and the rest of the package is still read. A bad cell costs
at most its row (cell_rules.py). A file missing a required column is left
out with one error; the other files are still read. Only a package that
cannot be read at all (no users.csv, an unreadable zip or manifest, a
users.csv without sourcedId) or that would cost too much to read (a zip bomb,
more than 2 GiB: package_limits.py) raises PackageRejected, before anything
could be applied. Files are read as streams, a record at a time.

The rules shared by every source (status, tombstones, references) are in
domain/records.py and the order collections are read in domain/roster_assembly.py;
the package and file modes in package_source.py, the manifest in manifest.py.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from services.rostering.domain.collector import collector_paused
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.findings import Findings
from services.rostering.domain.progress import RowCount
from services.rostering.domain.roster_assembly import EntityFiles, assemble
from services.rostering.domain.snapshot import Snapshot
from services.rostering.domain.values import PhoneNormaliser

from .package_source import PackageSource, plan_files

__all__ = ["PackageRejected", "read_package"]


def read_package(path: str | Path, *, region: str = "US", rows: RowCount | None = None) -> Snapshot:
    """Read every file of the package; `region` is the default country for phone numbers. `rows`, when
    given, counts the records as they are read (a run's progress shows it while the read goes on)."""
    phones = PhoneNormaliser(region)
    with collector_paused():
        return _read(Path(path), phones, rows)


def _read(path: Path, phones: PhoneNormaliser, rows: RowCount | None = None) -> Snapshot:
    findings = Findings()
    with ExitStack() as stack:
        source = PackageSource(path, stack)
        plan = plan_files(source, findings)

        def stream_of(name: str):
            member = plan.members.get(name)
            if member is None:
                return None
            records = source.records(member, name)
            return plan.modes[name], (records if rows is None else rows.watching(records))

        files = EntityFiles(plan.version, findings, stream_of, plan.members.__contains__, PackageRejected)
        return assemble(files, phones)

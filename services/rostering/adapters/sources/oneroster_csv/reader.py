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

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from services.rostering.domain.collector import collector_paused
from services.rostering.domain.enrollment_rows import ReadAhead
from services.rostering.domain.enrollments_read_before import EnrollmentsAgain, EnrollmentsReadBefore
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.findings import Findings
from services.rostering.domain.package_files import ENROLLMENTS
from services.rostering.domain.people_read_before import PeopleReadBefore
from services.rostering.domain.progress import RowCount
from services.rostering.domain.records import RecordStream
from services.rostering.domain.roster_assembly import EntityFiles, assemble
from services.rostering.domain.snapshot import Snapshot
from services.rostering.domain.values import PhoneNormaliser

from .enrollments_apart import EnrollmentsApart, reads_apart
from .package_source import FilePlan, PackageSource, plan_files

__all__ = ["PackageRejected", "read_package"]


def read_package(path: str | Path, *, region: str = "US", rows: RowCount | None = None,
                 enrollments_apart: bool | None = None, read_before: PeopleReadBefore | None = None,
                 enrollments_before: EnrollmentsReadBefore | None = None) -> Snapshot:
    """Read every file of the package; `region` is the default country for phone numbers. `rows`, when
    given, counts the records as they are read (a run's progress shows it while the read goes on).

    `enrollments_apart` says whether enrollments.csv is read in a child process beside the other files
    (enrollments_apart.py); by default it is when the file is large (reads_apart). `read_before` and
    `enrollments_before` keep what this read builds for the next, and take what the last one built where it
    holds (people_read_before.py, enrollments_read_before.py). The Snapshot is the same either way.
    """
    phones = PhoneNormaliser(region)
    with collector_paused():
        return _read(Path(path), phones, rows, enrollments_apart, read_before, enrollments_before)


def _read(path: Path, phones: PhoneNormaliser, rows: RowCount | None, apart: bool | None,
          read_before: PeopleReadBefore | None, enrollments_before: EnrollmentsReadBefore | None) -> Snapshot:
    findings = Findings()
    with ExitStack() as stack:
        source = PackageSource(path, stack)
        plan = plan_files(source, findings)
        again = _enrollments_again(source, plan, enrollments_before)
        # Enrollments whose bytes are the last read's are most likely taken whole: no child reads them ahead.
        elsewhere = (_enrollments_elsewhere(path, source, plan, apart, stack)
                     if again is None or again.same_bytes is None else lambda: None)

        def stream_of(name: str):
            member = plan.members.get(name)
            if member is None:
                return None
            records = (name == ENROLLMENTS and (_same_bytes(again, source, member) or elsewhere())
                       or source.records(member, name))
            return plan.modes[name], (records if rows is None else rows.watching(records))

        files = EntityFiles(plan.version, findings, stream_of, plan.members.__contains__, PackageRejected)
        return assemble(files, phones, read_before, again)


def _enrollments_again(source: PackageSource, plan: FilePlan,
                       before: EnrollmentsReadBefore | None) -> EnrollmentsAgain | None:
    member = plan.members.get(ENROLLMENTS)
    if before is None or member is None:
        return None
    return EnrollmentsAgain(before, plan.modes[ENROLLMENTS], source.size(member), lambda: source.file_bytes(member))


def _same_bytes(again: EnrollmentsAgain | None, source: PackageSource, member: str) -> RecordStream | None:
    """enrollments.csv as the last read's file, when its bytes are that file's and the package has room for it."""
    if again is None or again.same_bytes is None:
        return None
    if not source.has_room_for(again.same_bytes.file.length):
        again.let_go()  # read here, to be refused where a read here stops
        return None
    return again.records(ENROLLMENTS, lambda: source.records(member, ENROLLMENTS))


def _enrollments_elsewhere(path: Path, source: PackageSource, plan: FilePlan, apart: bool | None,
                           stack: ExitStack) -> Callable[[], ReadAhead | None]:
    """What reads enrollments.csv beside this process: its rows when asked, or None (read them here)."""
    member = plan.members.get(ENROLLMENTS)
    if member is None or not (reads_apart(source.size(member)) if apart is None else apart):
        return lambda: None
    child = EnrollmentsApart(path, member, plan.modes[ENROLLMENTS])
    stack.callback(child.close)

    def elsewhere() -> ReadAhead | None:
        read = child.result()
        # Past the package's byte budget with this file, it is read here, to be refused where a read here stops.
        return read if read is not None and source.has_room_for(read.bytes_read) else None
    return elsewhere

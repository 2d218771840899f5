"""Where a package's files come from: a folder or a zip, its manifest, and which files to read how.

File names are matched regardless of case (Windows tools and some SIS
exports write `Users.CSV`). The manifest says the OneRoster version and, per
file, bulk, delta or absent; without one the version is inferred from the
files and every file is read as bulk.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO

from services.rostering.domain.columns import map_header
from services.rostering.domain.enrollments_read_before import FileBytes
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.findings import Findings
from services.rostering.domain.package_files import (
    MANIFEST,
    READ_FILES,
    ROLES,
    USERS,
    V1_1,
    V1_2,
    canonical_name,
    is_read_file,
)
from services.rostering.domain.snapshot import ABSENT, BULK, DELTA

from .csv_rows import CsvRecords
from .manifest import Manifest, check_listings, read_manifest
from .package_limits import READ_BYTES, ByteBudget, GuardedStream, check_declared_sizes, zip_sizes

# A file's bytes digested (FileBytes) 1 MiB at a time: about 0.08 s for a district's 55 MB enrollments.csv.
FILE_DIGEST_BYTES = 16
DIGEST_READ_BYTES = 1 << 20


@dataclass(frozen=True)
class FilePlan:
    """The package's version and, for each file to read, its member name and mode."""

    version: str
    members: dict[str, str]
    modes: dict[str, str]


class PackageSource:
    """The files of a folder or zip, each opened on demand as a text stream, within package_limits."""

    def __init__(self, path: Path, stack: ExitStack) -> None:
        self._stack = stack
        self._budget = ByteBudget()
        openers: dict[str, Callable[[], IO[bytes]]]
        try:
            if path.is_dir():
                files = {p.name: p for p in sorted(path.iterdir()) if p.is_file()}
                openers = {name: partial(p.open, "rb") for name, p in files.items()}
                sizes = [(name, p.stat().st_size, None) for name, p in files.items() if _may_open(name)]
            elif path.is_file():
                archive = stack.enter_context(zipfile.ZipFile(path))
                members = _zip_members(archive)
                openers = {name: partial(archive.open, info) for name, info in members.items()}
                sizes = zip_sizes((name, info) for name, info in members.items() if _may_open(name))
            else:
                raise PackageRejected(f"{path} does not exist")
        except (OSError, zipfile.BadZipFile) as exc:
            raise PackageRejected(f"{path} is not a readable folder or zip: {exc}") from exc
        check_declared_sizes(sizes)
        self._openers = openers
        self._sizes = {name: size for name, size, _ in sizes}
        self.by_folded_name: dict[str, str] = {}
        for name in openers:
            clash = self.by_folded_name.setdefault(name.lower(), name)
            if clash != name:
                raise PackageRejected(f"the package holds both {clash} and {name}; keep only one", file=name)

    def member(self, name: str) -> str | None:
        """The package's own name for a file, matched regardless of case."""
        return self.by_folded_name.get(name.lower())

    def size(self, member: str) -> int:
        """The file's size (a zip member's declared size)."""
        return self._sizes.get(member, 0)

    @property
    def bytes_read(self) -> int:
        """What the files opened so far took from the package's byte budget."""
        return self._budget.spent

    def has_room_for(self, count: int) -> bool:
        """Whether the budget would still hold `count` more bytes, read elsewhere."""
        return self._budget.spent + count <= self._budget.limit

    def file_bytes(self, member: str) -> FileBytes | None:
        """A digest of the file's bytes and their count, as a read would take them; None when it cannot be read
        (the read says why)."""
        digest, length = hashlib.blake2b(digest_size=FILE_DIGEST_BYTES), 0
        try:
            with self._openers[member]() as binary:
                while chunk := binary.read(DIGEST_READ_BYTES):
                    digest.update(chunk)
                    length += len(chunk)
        except (OSError, RuntimeError, zipfile.BadZipFile, EOFError):
            return None
        return FileBytes(digest.digest(), length)

    def records(self, member: str, canonical: str) -> CsvRecords:
        """The file's records, open until the package is closed."""
        text, guarded = self._text(member, canonical)
        return CsvRecords(canonical, self._stack.enter_context(text), guarded)

    def header(self, member: str, canonical: str) -> list[str]:
        """Only the header row, the file closed again at once."""
        text, guarded = self._text(member, canonical)
        with text:
            return CsvRecords(canonical, text, guarded).header_cells

    def _text(self, member: str, canonical: str) -> tuple[IO[str], GuardedStream]:
        try:
            binary = self._openers[member]()
        except (OSError, RuntimeError, zipfile.BadZipFile) as exc:  # RuntimeError: an encrypted member
            raise PackageRejected(f"{member} cannot be opened: {exc}", file=canonical) from exc
        guarded = GuardedStream(binary, canonical, self._budget)
        # newline="" hands line endings to csv, which needs them inside quoted fields; -sig drops a BOM.
        text = io.TextIOWrapper(guarded, encoding="utf-8-sig", newline="")
        text._CHUNK_SIZE = READ_BYTES  # type: ignore[attr-defined]  # else it asks for 8 KiB at a time
        return text, guarded


def _may_open(name: str) -> bool:
    return is_read_file(name) or name.lower() == MANIFEST


def _zip_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Files beside users.csv (else manifest.csv), which zipping tools often nest in one folder."""
    files = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]

    def folders_holding(name: str) -> list[PurePosixPath]:
        return [PurePosixPath(i.filename).parent for i in files if PurePosixPath(i.filename).name.lower() == name]

    homes = folders_holding(USERS) or folders_holding(MANIFEST)
    home = min(homes, key=lambda p: len(p.parts), default=PurePosixPath("."))
    return {PurePosixPath(i.filename).name: i for i in files if PurePosixPath(i.filename).parent == home}


# --- the manifest and the plan -----------------------------------------------------


def plan_files(source: PackageSource, findings: Findings) -> FilePlan:
    """Which files to read, in which mode, for which version; every doubt is reported."""
    manifest_member = source.member(MANIFEST)
    manifest = read_manifest(source.records(manifest_member, MANIFEST)) if manifest_member else None
    version = manifest.version if manifest else None
    if version is None:
        version, why = _inferred_version(source)
        if manifest is None:
            findings.file_warning(MANIFEST, f"no manifest.csv: OneRoster {version} inferred ({why}); every file "
                                             "read as bulk")
        else:
            findings.file_warning(MANIFEST, f"manifest.csv has no oneroster.version: {version} inferred ({why})")
    if manifest is not None:
        check_listings(manifest, version, findings)

    members: dict[str, str] = {}
    modes: dict[str, str] = {}
    for member in source.by_folded_name.values():
        canonical = canonical_name(member)
        if member.lower() == MANIFEST or not member.lower().endswith(".csv"):
            continue
        if is_read_file(canonical) and canonical not in READ_FILES[version]:
            findings.file_warning(canonical, f"{member} is a OneRoster 1.2 file; ignored in a {version} package")
            continue
        mode = _mode_of(canonical, member, manifest, findings)
        if mode in (BULK, DELTA) and is_read_file(canonical):
            if member != canonical:
                findings.file_warning(canonical, f"{member} taken as {canonical} (file names matched regardless "
                                                 "of case)")
            members[canonical], modes[canonical] = member, mode

    for canonical, listing in (manifest.files.items() if manifest else ()):
        if listing.mode in (BULK, DELTA) and canonical in READ_FILES[version] and canonical not in members:
            if canonical == USERS:
                raise PackageRejected(f"manifest.csv line {listing.line} lists users.csv as {listing.mode}, but the "
                                      "package has no users.csv", file=MANIFEST, line=listing.line)
            findings.problem(MANIFEST, listing.line, "value", listing.mode,
                             f"manifest.csv lists {canonical} as {listing.mode}, but the package does not hold it")
    if USERS not in members:
        listed = manifest.listing(USERS) if manifest is not None else None
        if listed is not None and listed.mode == ABSENT:
            raise PackageRejected(f"manifest.csv line {listed.line} lists users.csv as absent, but every package "
                                  "needs its users", file=MANIFEST, line=listed.line)
        raise PackageRejected("users.csv is missing from the package", file=USERS)
    return FilePlan(version, members, modes)


def _mode_of(canonical: str, member: str, manifest: Manifest | None, findings: Findings) -> str:
    readable = is_read_file(canonical)
    if manifest is None:
        return BULK
    listing = manifest.listing(canonical, member)
    if listing is None:
        what = "read as bulk" if readable else "ignored"
        findings.file_warning(canonical, f"{member} is in the package but not in manifest.csv; {what}")
        return BULK if readable else ABSENT
    if not listing.usable:
        return ABSENT  # a file this product does not read (check_listings rejected any other), already reported
    if listing.mode == ABSENT:
        findings.warning(MANIFEST, listing.line, "value", ABSENT,
                         f"manifest.csv lists {canonical} as absent; {member} ignored")
    return listing.mode


def _inferred_version(source: PackageSource) -> tuple[str, str]:
    users = source.member(USERS)
    if users is None:
        raise PackageRejected("users.csv is missing from the package", file=USERS)
    if "role" in map_header(source.header(users, USERS), ("role",)).columns:
        return V1_1, "users.csv has a role column"
    if source.member(ROLES):
        return V1_2, "the package has a roles.csv"
    raise PackageRejected("cannot tell the OneRoster version: no manifest.csv, no role column in users.csv "
                          "and no roles.csv", file=USERS)

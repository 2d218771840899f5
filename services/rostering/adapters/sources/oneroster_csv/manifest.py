"""manifest.csv: the package's OneRoster version and, per file, bulk, delta or absent.

OneRoster requires each `file.*` value to be bulk, delta or absent, and gives
an empty value no meaning. A value that is none of those (empty, a typo, a
vendor's own word) is a warning when it names a file this product does not
read (gradebook, resources, demographics, a 1.2 file in a 1.1 package): that
file is ignored either way. For a file it does read it rejects the package:
guessing whether the file is a full snapshot could archive every record it
does not list. Every finding about a manifest line carries that line.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.rostering.domain.cell_rules import shown
from services.rostering.domain.columns import map_header
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.findings import Findings
from services.rostering.domain.package_files import MANIFEST, READ_FILES, V1_1, V1_2, canonical_name
from services.rostering.domain.snapshot import ABSENT, BULK, DELTA

from .csv_rows import CsvRecords

MODES = (BULK, DELTA, ABSENT)
FILE_PREFIX = "file."


@dataclass(frozen=True)
class Listing:
    """One `file.*` line: the mode it gives (or the value as written, when it is no mode) and where it is."""

    mode: str
    line: int
    property_name: str

    @property
    def usable(self) -> bool:
        return self.mode in MODES


@dataclass(frozen=True)
class Manifest:
    version: str | None
    files: dict[str, Listing]  # canonical file name (or the manifest's own spelling) -> its listing

    def listing(self, *names: str) -> Listing | None:
        return next((self.files[name] for name in names if name in self.files), None)


def read_manifest(records: CsvRecords) -> Manifest:
    header = map_header(records.header_cells, ("propertyName", "value"))
    if {"propertyName", "value"} - set(header.columns):
        raise PackageRejected("manifest.csv is unreadable: it needs the columns propertyName and value",
                              file=MANIFEST, line=1)
    name_at, value_at = header.columns["propertyName"], header.columns["value"]
    version: str | None = None
    files: dict[str, Listing] = {}
    for line, cells, _ in records:
        prop, value = cells[name_at], cells[value_at]
        if prop == "oneroster.version":
            version = _supported_version(value, line)
        elif prop.lower().startswith(FILE_PREFIX):
            mode = value.lower() if value.lower() in MODES else value
            files[canonical_name(prop[len(FILE_PREFIX):] + ".csv")] = Listing(mode, line, prop)
    return Manifest(version, files)


def check_listings(manifest: Manifest, version: str, findings: Findings) -> None:
    """Listings that give no mode: a warning for a file this product does not read, else a rejection."""
    for name, listing in manifest.files.items():
        if listing.usable:
            continue
        # Shown shortened and escaped: a manifest is as untrusted as the rest of the package.
        written = repr(shown(listing.mode)) if listing.mode else "empty"
        prop = shown(listing.property_name)
        if name in READ_FILES[version]:
            why = ("expected bulk, delta or absent" if listing.mode else
                   f"OneRoster gives an empty value no meaning, and {name} is read, so it must say bulk, delta or "
                   "absent")
            raise PackageRejected(f"manifest.csv line {listing.line}: {prop} is {written}; {why}",
                                  file=MANIFEST, line=listing.line)
        findings.warning(MANIFEST, listing.line, "value", listing.mode or None,
                         f"{prop} is {written}, not bulk, delta or absent; ignored, as {shown(name)} is "
                         "not a file this product reads")


def _supported_version(value: str, line: int) -> str:
    for version in (V1_1, V1_2):
        if value in (version, f"{version}.0"):
            return version
    raise PackageRejected(f"manifest.csv line {line}: OneRoster version {shown(value)!r} is not supported "
                          "(1.1 or 1.2)", file=MANIFEST, line=line)

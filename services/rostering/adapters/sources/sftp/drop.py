"""What one pickup downloaded (the package, a zip or a folder, and guardians.csv) as a run's source.

The drop is staged in a local folder as `package.zip` or `package/`, beside `guardians.csv` when one came.
The package is read as any OneRoster CSV package (with its limits); guardians.csv is laid over it only when
the district's sync does not manage guardians (domain/guardian_file.py). A run held for approval keeps the
whole drop zipped, so approving it applies the package and guardians.csv it read.
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from services.rostering.domain.errors import SourceRejected
from services.rostering.domain.guardian_file import (
    GUARDIANS_FILE,
    ignored_because_managed,
    read_guardians,
    students_of,
    with_guardians,
)
from services.rostering.domain.sftp_pickup import PACKAGE_FOLDER, PACKAGE_ZIP
from services.rostering.domain.snapshot import Snapshot
from services.rostering.domain.values import PhoneNormaliser
from services.rostering.ports import Reader


# Whether the district the snapshot names lets its sync manage guardians (its settings), so guardians.csv is unused.
GuardiansManaged = Callable[[Snapshot], bool]


class StagedDrop:
    """A run's source read from the staging folder a pickup downloaded into."""

    read_leaves_no_cycles = False  # its guardians.csv read was never checked for cycles

    def __init__(self, description: str, folder: Path, *, read: Reader, guardians_managed: GuardiansManaged) -> None:
        self.description, self._folder = description, folder
        self._read, self._guardians_managed = read, guardians_managed

    @property
    def package(self) -> Path:
        zipped = self._folder / PACKAGE_ZIP
        return zipped if zipped.exists() else self._folder / PACKAGE_FOLDER

    @property
    def guardians(self) -> Path | None:
        path = self._folder / GUARDIANS_FILE
        return path if path.exists() else None

    def read(self, region: str) -> Snapshot:
        snapshot = self._read(str(self.package), region)
        guardians = self.guardians
        if guardians is None:
            return snapshot
        if self._guardians_managed(snapshot):
            return ignored_because_managed(snapshot)
        try:
            with guardians.open(encoding="utf-8-sig", newline="") as lines:
                added = read_guardians(lines, students=students_of(snapshot),
                                       normalise_phone=PhoneNormaliser(region).normalise)
        except UnicodeDecodeError as undecodable:
            raise SourceRejected(f"guardians.csv is not UTF-8 text: {undecodable}", file=GUARDIANS_FILE) from None
        return with_guardians(snapshot, added)

    def kept(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for path in sorted(self._folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(self._folder).as_posix())
        return buffer.getvalue()


class KeptDrop:
    """A held run's drop, read again from what it kept."""

    read_leaves_no_cycles = StagedDrop.read_leaves_no_cycles

    def __init__(self, description: str, content: bytes, *, read: Reader, guardians_managed: GuardiansManaged) -> None:
        self.description, self._content = description, content
        self._read, self._guardians_managed = read, guardians_managed

    def read(self, region: str) -> Snapshot:
        with unpacked(self._content) as folder:
            return StagedDrop(self.description, folder, read=self._read,
                              guardians_managed=self._guardians_managed).read(region)

    def kept(self) -> bytes:
        return self._content


@contextmanager
def unpacked(content: bytes) -> Iterator[Path]:
    """The kept drop as a staging folder again; only the names a drop is staged under are taken out."""
    with tempfile.TemporaryDirectory(prefix="kept-drop-") as folder:
        root = Path(folder)
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                for member in archive.infolist():
                    parts = Path(member.filename).parts
                    staged = parts in ((PACKAGE_ZIP,), (GUARDIANS_FILE,)) or (len(parts) == 2 and parts[0] == PACKAGE_FOLDER)
                    if staged and not member.is_dir():
                        if len(parts) == 2:
                            (root / PACKAGE_FOLDER).mkdir(exist_ok=True)
                        (root.joinpath(*parts)).write_bytes(archive.read(member))
        except zipfile.BadZipFile as unreadable:
            raise SourceRejected(f"the drop kept with this run cannot be read again: {unreadable}") from None
        yield root

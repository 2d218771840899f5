"""A package as bytes to keep with a held run, and those bytes as a file the reader can open again.

A zip is kept as it is; a folder is zipped (its files, not its subfolders, as the reader reads it).
"""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PackageFiles:
    def pack(self, path: str) -> bytes:
        source = Path(path)
        if source.is_file():
            return source.read_bytes()
        buffer = io.BytesIO()
        # The fastest deflate: a district's 93 MB of CSV zips to 12 MB in half a second (10 MB in a second at
        # the default level); the package is kept only until someone decides on the run.
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for member in sorted(source.iterdir()):
                if member.is_file():
                    archive.write(member, member.name)
        return buffer.getvalue()

    @contextmanager
    def unpacked(self, content: bytes) -> Iterator[str]:
        handle, name = tempfile.mkstemp(prefix="held-package-", suffix=".zip")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
            yield name
        finally:
            os.unlink(name)

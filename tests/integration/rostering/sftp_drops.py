"""Drops in the loopback SFTP server's inbox, written by the tests, and what the pickup filed."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from roster_csv import write_package

from shared.testing.sftp_fake import FakeSftpServer

STAMP = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}-")


def configure_lincoln(rostering_rpc, source: str | None = None, **connection) -> dict:
    """Lays `connection` over district lincoln's source settings (`source` changes it first), through rostering."""
    return rostering_rpc.update_district_sync_settings({
        "district_id": "lincoln", "changed_by": "admin-1", "connection": connection,
        **({"source": source} if source else {})})


def inbox(server: FakeSftpServer) -> Path:
    return server.root / "inbox"


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for member in sorted(folder.iterdir()):
            archive.write(member, member.name)
    return target


def drop_zip(server: FakeSftpServer, tmp_path: Path, name: str = "roster.zip", **package) -> Path:
    return zipped(write_package(tmp_path / "export", **package), inbox(server) / name)


def filed(server: FakeSftpServer, outcome: str, folder: str = "inbox") -> dict[str, Path]:
    """What was filed in processed/ or failed/, by the name it was dropped under (the stamp taken off)."""
    return {STAMP.sub("", path.name): path for path in (server.root / folder / outcome).iterdir()}

"""A district's SFTP inbox through paramiko: list it, claim an upload, download it, file it with its report.

An upload is claimed by renaming it into processing/ before anything is read: a rename is atomic on the
server, so when two rostering processes poll the same inbox only one of them gets it.
"""
from __future__ import annotations

import io
import logging
import posixpath
import socket
import stat
from pathlib import Path
from types import TracebackType

import paramiko

from services.rostering.domain.sftp_pickup import OUTCOME_FOLDERS, Entry

from .connection import SftpConnection

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30
KEY_TYPES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


class InboxUnreachable(Exception):
    """The inbox cannot be reached or refuses us (network, host key, credentials): nothing was picked up."""


class SftpInbox:
    """One session with the inbox; use it as a context manager."""

    def __init__(self, connection: SftpConnection) -> None:
        self.connection = connection
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def __enter__(self) -> SftpInbox:
        connection = self.connection
        try:
            sock = socket.create_connection((connection.host, int(connection.port)), timeout=TIMEOUT_SECONDS)
            self._transport = paramiko.Transport(sock)
            self._transport.start_client(timeout=TIMEOUT_SECONDS)
            self._check_host_key(self._transport.get_remote_server_key())
            if connection.private_key:
                self._transport.auth_publickey(connection.username, _private_key(connection.private_key))
            else:
                self._transport.auth_password(connection.username, connection.password or "")
            self._sftp = paramiko.SFTPClient.from_transport(self._transport)
            for folder in OUTCOME_FOLDERS:
                self._ensure_folder(self._path(folder))
        except InboxUnreachable:
            self.close()
            raise
        except paramiko.AuthenticationException:
            self.close()
            raise InboxUnreachable(f"{connection.address} refused the credentials for {connection.username}") from None
        except (OSError, EOFError, paramiko.SSHException) as failure:
            self.close()
            raise InboxUnreachable(f"{connection.address} cannot be reached: {failure}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._sftp is not None:
            self._sftp.close()
        if self._transport is not None:
            self._transport.close()
            # Under eventlet the transport's reader may still wait on the closed socket's file number until its
            # read times out; the next socket reusing that number (a database connection) would then find it
            # taken. Waiting for the reader to end leaves the number free.
            if self._transport.is_alive():
                self._transport.join(timeout=TIMEOUT_SECONDS)
        self._sftp = self._transport = None

    def _check_host_key(self, key: paramiko.PKey) -> None:
        pinned = self.connection.host_key
        if not pinned:
            log.warning("SFTP %s: no host_key pinned, accepting the server's %s key %s", self.connection.address,
                        key.get_name(), key.fingerprint)
            return
        if pinned.split()[:2] != [key.get_name(), key.get_base64()]:
            raise InboxUnreachable(f"{self.connection.address} is refused: its {key.get_name()} host key is not the "
                                   f"pinned one (it shows {key.fingerprint})")

    @property
    def sftp(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            raise RuntimeError("the inbox is not open")
        return self._sftp

    def _path(self, *names: str) -> str:
        return posixpath.join(self.connection.folder, *names)

    def _ensure_folder(self, path: str) -> None:
        try:
            self.sftp.stat(path)
        except FileNotFoundError:
            self.sftp.mkdir(path)

    def entries(self) -> list[Entry]:
        listed = []
        for attributes in self.sftp.listdir_attr(self._path()):
            name = attributes.filename
            if stat.S_ISDIR(attributes.st_mode or 0):
                if name.lower() in OUTCOME_FOLDERS:
                    continue  # they only grow; what they hold is never picked up
                files = tuple((inner.filename, inner.st_size or 0) for inner in self.sftp.listdir_attr(self._path(name))
                              if stat.S_ISREG(inner.st_mode or 0))
                listed.append(Entry(name, 0, attributes.st_mtime or 0, is_folder=True, files=files))
            elif stat.S_ISREG(attributes.st_mode or 0):
                listed.append(Entry(name, attributes.st_size or 0, attributes.st_mtime or 0))
        return listed

    def claim(self, name: str, claimed: str) -> bool:
        """Move the upload into processing/; False when another poller took it first."""
        try:
            self.sftp.rename(self._path(name), self._path(OUTCOME_FOLDERS[0], claimed))
        except OSError:
            return False
        return True

    def claimed(self) -> list[str]:
        """What processing/ holds: claimed uploads not yet filed."""
        return [attributes.filename for attributes in self.sftp.listdir_attr(self._path(OUTCOME_FOLDERS[0]))]

    def release(self, claimed: str, name: str) -> None:
        """A claimed upload back into the inbox under its own name (kept in processing/ if that name is taken)."""
        try:
            self.sftp.rename(self._path(OUTCOME_FOLDERS[0], claimed), self._path(name))
        except OSError as refused:
            log.warning("SFTP %s: %s left in processing/: %s", self.connection.address, claimed, refused)

    def remove(self, name: str) -> None:
        try:
            self.sftp.remove(self._path(name))
        except FileNotFoundError:
            pass

    def download(self, claimed: str, local: Path) -> None:
        """A claimed upload (a file, or a folder's files) copied to `local`; OSError when the copy breaks off."""
        try:
            self._download(self._path(OUTCOME_FOLDERS[0], claimed), local)
        except (EOFError, paramiko.SSHException) as broken:
            raise OSError(f"the connection broke off: {broken}") from None

    def _download(self, remote: str, local: Path) -> None:
        if stat.S_ISDIR(self.sftp.stat(remote).st_mode or 0):
            local.mkdir()
            for inner in self.sftp.listdir_attr(remote):
                if stat.S_ISREG(inner.st_mode or 0):
                    self.sftp.get(posixpath.join(remote, inner.filename), str(local / inner.filename))
        else:
            self.sftp.get(remote, str(local))

    def file(self, claimed: str, outcome: str) -> None:
        """Move a claimed upload from processing/ to processed/ or failed/."""
        self.sftp.rename(self._path(OUTCOME_FOLDERS[0], claimed), self._path(outcome, claimed))

    def write(self, folder: str, name: str, content: bytes) -> None:
        self.sftp.putfo(io.BytesIO(content), self._path(folder, name))


def _private_key(text: str) -> paramiko.PKey:
    for key_type in KEY_TYPES:
        try:
            return key_type.from_private_key(io.StringIO(text))
        except paramiko.SSHException:
            continue
    raise paramiko.AuthenticationException("the private key is not an Ed25519, ECDSA or RSA key paramiko can read")

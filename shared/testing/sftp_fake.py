"""A loopback SFTP server over a local folder, on paramiko's server interface, for the SFTP pickup's tests.

It serves `root` (tests write drops straight into it and read what was filed) to one user, by password or
by public key, with a host key made once per test session. Paths are kept inside `root`. What it answers is
SFTP version 3 as paramiko's SFTPServer speaks it: a rename onto a missing name fails, as a claim that lost
the race must.
"""
from __future__ import annotations

import os
import posixpath
import socket
import threading
from functools import lru_cache
from io import StringIO
from pathlib import Path

import paramiko
from paramiko.sftp import SFTP_OK

USERNAME = "district"
PASSWORD = "drop-it-here"


@lru_cache(maxsize=None)
def host_key() -> paramiko.RSAKey:
    return paramiko.RSAKey.generate(2048)


@lru_cache(maxsize=None)
def client_key() -> paramiko.RSAKey:
    return paramiko.RSAKey.generate(2048)


def private_key_text(key: paramiko.PKey) -> str:
    buffer = StringIO()
    key.write_private_key(buffer)
    return buffer.getvalue()


class FakeSftpServer:
    """`with FakeSftpServer(tmp_path) as server:` then connect to server.port as USERNAME."""

    def __init__(self, root: Path, *, password: str = PASSWORD) -> None:
        self.root, self.password = Path(root), password
        self.logins: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._transports: list[paramiko.Transport] = []
        self._closing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def host_key(self) -> str:
        """The server's key as a connection pins it: "ssh-rsa AAAA..."."""
        key = host_key()
        return f"{key.get_name()} {key.get_base64()}"

    def __enter__(self) -> FakeSftpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # The accept loop is woken and left before the listener closes: under eventlet, a socket closed while
        # a green thread still waits on it leaves that wait behind on a file number the next socket reuses.
        self._closing = True
        socket.create_connection(("127.0.0.1", self.port)).close()
        self._thread.join(timeout=10)
        self._listener.close()
        for transport in self._transports:
            transport.close()
            if transport.is_alive():
                transport.join(timeout=10)  # see SftpInbox.close: the reader must let go of the file number

    def _accept(self) -> None:
        while True:
            connection, _ = self._listener.accept()
            if self._closing:
                connection.close()
                return
            transport = paramiko.Transport(connection)
            transport.add_server_key(host_key())
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _FolderSftp, root=self.root)
            self._transports.append(transport)
            try:
                transport.start_server(server=_Credentials(self))
            except (paramiko.SSHException, EOFError, OSError):
                transport.close()


class _Credentials(paramiko.ServerInterface):
    def __init__(self, server: FakeSftpServer) -> None:
        self._server = server

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        if username == USERNAME and password == self._server.password:
            self._server.logins.append("password")
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if username == USERNAME and key.get_base64() == client_key().get_base64():
            self._server.logins.append("publickey")
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _Handle(paramiko.SFTPHandle):
    def stat(self):
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)


class _FolderSftp(paramiko.SFTPServerInterface):
    def __init__(self, server, *args, root: Path, **kwargs) -> None:
        super().__init__(server, *args, **kwargs)
        self._root = root

    def canonicalize(self, path: str) -> str:
        # paramiko's own joins relative paths to this process's working folder; the root stands for "/" here.
        return posixpath.normpath("/" + path)

    def _local(self, path: str) -> str:
        return str(self._root / self.canonicalize(path).lstrip("/"))

    def list_folder(self, path):
        local = self._local(path)
        try:
            return [self._attributes(os.path.join(local, name), name) for name in sorted(os.listdir(local))]
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    @staticmethod
    def _attributes(local: str, name: str | None = None):
        attributes = paramiko.SFTPAttributes.from_stat(os.stat(local))
        if name is not None:
            attributes.filename = name
        return attributes

    def stat(self, path):
        try:
            return self._attributes(self._local(path))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    lstat = stat

    def open(self, path, flags, attr):
        local = self._local(path)
        try:
            descriptor = os.open(local, flags | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        if flags & os.O_WRONLY:
            mode = "ab" if flags & os.O_APPEND else "wb"
        elif flags & os.O_RDWR:
            mode = "a+b" if flags & os.O_APPEND else "r+b"
        else:
            mode = "rb"
        file = os.fdopen(descriptor, mode)
        handle = _Handle(flags)
        handle.filename, handle.readfile, handle.writefile = local, file, file
        return handle

    def remove(self, path):
        try:
            os.remove(self._local(path))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        return SFTP_OK

    def rename(self, oldpath, newpath):
        old, new = self._local(oldpath), self._local(newpath)
        if os.path.exists(new):
            return paramiko.SFTPServer.convert_errno(17)  # EEXIST: SFTP v3 never replaces
        try:
            os.rename(old, new)
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        return SFTP_OK

    def mkdir(self, path, attr):
        try:
            os.mkdir(self._local(path))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        return SFTP_OK

    def rmdir(self, path):
        try:
            os.rmdir(self._local(path))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        return SFTP_OK

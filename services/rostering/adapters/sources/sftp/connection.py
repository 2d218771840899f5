"""How to reach one district's SFTP inbox: a plain value, built from its sync settings (configured.py).

A password or a private key (OpenSSH or PEM text) signs in; `host_key` ("ssh-ed25519 AAAA...", as in
known_hosts without the host name) pins the server, and a server showing another key is refused. Without a
pinned key the server's key is accepted as it comes (for a first setup; the log says so).
"""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_PORT = 22


@dataclass(frozen=True)
class SftpConnection:
    host: str
    username: str
    folder: str = "."  # the district's inbox; processing/, processed/ and failed/ are made inside it
    port: int = DEFAULT_PORT
    password: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    host_key: str | None = None

    def __post_init__(self) -> None:
        if not self.host or not self.username:
            raise ValueError("an SFTP inbox needs a host and a username")
        if not self.password and not self.private_key:
            raise ValueError("an SFTP inbox needs a password or a private key")
        if not 0 < int(self.port) < 65536:
            raise ValueError(f"{self.port} is not a TCP port")

    @property
    def address(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}/{self.folder.strip('/')}"


@dataclass(frozen=True)
class NoticeFolder:
    """Where a district's SIS drops notices CSVs, and how each row becomes an announcement to a student's guardians.

    The announcements are sent as the service credential `client_id` (made with `schoolctl services add NAME
    --scopes announcements:send --district ID`): the district's own sender, as any integration of theirs would be.
    """

    connection: SftpConnection  # its folder is the notices folder
    subject: str  # templates: `{Column}` is the row's cell of that column
    body: str
    client_id: str
    client_secret: str = field(repr=False)
    priority: bool = False

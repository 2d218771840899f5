"""users.csv's credentials normalised in a forked child process while the reader goes through the package.

The child opens the package anew (its own file handles and byte budget),
reads users.csv's email, sms and phone cells (nothing else of the records:
domain/users_ahead.py) and writes its results a chunk at a time as pickle
files in a folder of its own, each renamed into place once whole. The reader
never waits for it: every few thousand lines it takes what has arrived, and
works out itself whatever has not. So a child that is slow, fails or is never
forked changes how much the reader does, never what it reads. The child is
killed and reaped as soon as the reader is past users.csv.

enrollments.csv's child (enrollments_apart.py) starts its read once this one
is done: the two on the box's second core one after the other, the reader
keeps the first core to itself (three processes on two cores slowed the
reader by more than the credentials saved it).
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from services.rostering.domain.findings import Findings
from services.rostering.domain.package_files import USERS
from services.rostering.domain.user_reader import users_file
from services.rostering.domain.users_ahead import AheadChunk, WorkedAhead, work_ahead
from services.rostering.domain.values import PhoneNormaliser, email_normaliser

from .forked import forked, stopped
from .package_source import PackageSource

# Written in the child's folder once it has ended, whatever happened.
DONE = "done"


class UsersAhead:
    """A child process working ahead on one package's users.csv; `worked()` for the reader, `close()` always."""

    def __init__(self, path: Path, member: str, mode: str, version: str, phones: PhoneNormaliser) -> None:
        self._folder = tempfile.mkdtemp(prefix="users-ahead-")
        self._next = 0
        self._pid = forked(partial(_work, path, member, mode, version, phones, self._folder))

    @property
    def done_mark(self) -> Path:
        """A file that exists once the child has ended its work; its folder is gone once the reader is past it."""
        return Path(self._folder, DONE)

    def worked(self) -> WorkedAhead:
        return WorkedAhead(self._arrived, self.close)

    def _arrived(self) -> AheadChunk | None:
        if self._pid is None:
            return None
        chunk_file = _chunk_path(self._folder, self._next)
        try:
            with open(chunk_file, "rb") as stream:
                chunk = pickle.load(stream)
        except FileNotFoundError:
            return None  # not yet, or never: the reader works on alone
        except Exception:  # noqa: BLE001  an unreadable chunk: no more from this child
            self.close()
            return None
        os.unlink(chunk_file)
        self._next += 1
        return chunk if isinstance(chunk, AheadChunk) else None

    def close(self) -> None:
        if self._pid is not None:
            pid, self._pid = self._pid, None
            stopped(pid)
        shutil.rmtree(self._folder, ignore_errors=True)


def _chunk_path(folder: str, number: int) -> str:
    return os.path.join(folder, f"{number:06d}")


def _work(path: Path, member: str, mode: str, version: str, phones: PhoneNormaliser, folder: str) -> None:
    """The child: each chunk written whole under a temporary name, then renamed to the name the reader looks for;
    the done mark last, whatever happened (enrollments.csv's child starts on it)."""
    try:
        with ExitStack() as stack:
            records = PackageSource(path, stack).records(member, USERS)
            file = users_file(mode, records, Findings(), version)
            if not file.read:
                return
            credentials = records.plain_cells((file.at("email"), file.at("sms"), file.at("phone")))
            chunks = work_ahead(credentials, normalise_email=email_normaliser(), normalise_phone=phones.normalise)
            for number, chunk in enumerate(chunks):
                whole = _chunk_path(folder, number)
                with open(whole + ".part", "wb") as out:
                    pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
                os.rename(whole + ".part", whole)
    finally:
        open(os.path.join(folder, DONE), "wb").close()

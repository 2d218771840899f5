"""users.csv's credentials normalised ahead elsewhere: a third of what the reader spends on a row of it.

Normalising emails and phones is a pure function of the raw value, so a
second process can work through users.csv's credential cells while the reader
goes through the package, and hand its results over a chunk at a time
(adapters/.../users_ahead.py). Only a value that normalises is handed over,
keyed by its raw value: the reader looks a value up and, when it is not
there (refused, not yet arrived, never sent, or a cell the reader's rules
changed), works it out itself. A refusal is therefore always the reader's
own, reported where its row is. The Snapshot and the findings are the same
whatever the other process did, or failed to do.

Only the credentials: the process has to parse users.csv again for them, and
at the row digests' cost too it used more of the second core than it saved
the reader, while enrollments.csv's child needs that core as well.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

# Records per chunk handed over.
CHUNK_RECORDS = 1 << 14
# The reader looks for chunks that have arrived every this many lines: looking costs a file-system call.
LOOK_AGAIN_LINES = 2048

Normalise = Callable[[str], str]


class AheadChunk(NamedTuple):
    """Raw values met for the first time in a chunk of records, with what they normalise to."""

    emails: dict[str, str]
    phones: dict[str, str]


class WorkedAhead:
    """The reader's side: what has arrived so far, looked up by raw value."""

    def __init__(self, arrived: Callable[[], AheadChunk | None], done: Callable[[], None]) -> None:
        self._arrived, self._done = arrived, done
        self.emails: dict[str, str] = {}
        self.phones: dict[str, str] = {}
        # The reader looks again for chunks once past this line.
        self.look_at = 0

    def catch_up(self, line: int) -> None:
        """Take in the chunks that have arrived."""
        chunk = self._arrived()
        while chunk is not None:
            self.emails.update(chunk.emails)
            self.phones.update(chunk.phones)
            chunk = self._arrived()
        self.look_at = line + LOOK_AGAIN_LINES

    def end(self) -> None:
        """The reader is past users.csv: let the other process go and the values with it."""
        self._done()
        self.emails, self.phones = {}, {}


def nothing_ahead() -> WorkedAhead:
    """The reader works everything out itself (a small file, a REST source, no process to spare)."""
    ahead = WorkedAhead(lambda: None, lambda: None)
    ahead.look_at = sys.maxsize  # never looks
    return ahead


def work_ahead(credentials: Iterable[tuple[str, str, str]], *, normalise_email: Normalise,
               normalise_phone: Normalise) -> Iterator[AheadChunk]:
    """The other process's side: each record's (email, sms, phone) cells, in chunks of what they normalise to.

    Records the reader will skip are worked on too: telling them apart is the reader's job.
    """
    emails_met: set[str] = set()
    phones_met: set[str] = set()
    emails: dict[str, str] = {}
    phones: dict[str, str] = {}
    count = 0
    for email, sms, phone in credentials:
        if email and email not in emails_met:
            emails_met.add(email)
            _normalised_into(emails, email, normalise_email)
        for raw in (sms, phone):
            if raw and raw not in phones_met:
                phones_met.add(raw)
                _normalised_into(phones, raw, normalise_phone)
        count += 1
        if count == CHUNK_RECORDS:
            yield AheadChunk(emails, phones)
            emails, phones, count = {}, {}, 0
    if count:
        yield AheadChunk(emails, phones)


def _normalised_into(done: dict[str, str], raw: str, normalise: Normalise) -> None:
    try:
        done[raw] = normalise(raw)
    except ValueError:
        pass  # refused: the reader refuses it too, and reports it where its row is

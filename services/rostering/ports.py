"""What rostering's use cases need from storage and from the services they apply rows to, as Protocols.

The adapters (services/rostering/adapters/) implement these against the rostering database; the unit
tests implement them in memory (tests/unit/rostering/rostering_fakes.py).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Callable, ClassVar, Protocol

from services.rostering.domain.applied_rows import AppliedRow, RememberedSources
from services.rostering.domain.run import FollowedRun, SyncRun
from services.rostering.domain.settings import SyncSettings
from services.rostering.domain.snapshot import Snapshot
from services.rostering.domain.sync_schedule import SyncMarks
from shared.outbox import Announce, nothing_to_announce

# Reads the OneRoster CSV package at a path, for a phone region (adapters/sources/oneroster_csv/reader.py),
# counting the records it reads in the RowCount given, if one is.
Reader = Callable[..., Snapshot]
Clock = Callable[[], datetime]
Publish = Callable[[Any, dict], None]


class RosterSource(Protocol):
    """Where a run's roster comes from: one adapter per kind under adapters/sources/ (a OneRoster CSV
    package, a ClassLink tenant, ...), each reading its source whole into the same Snapshot.

    `read` raises SourceRejected when the source cannot be read at all (refused credentials, garbage
    answers, a package that is not one): a run applies nothing it has not read whole.
    """

    description: str  # what the run names as its source: a package's path, "ClassLink tenant 1234"
    # True only for a source whose read is proven (by a test) to leave nothing in reference cycles: the run
    # freezes such a read without walking it first (LongLived.keep).
    read_leaves_no_cycles: ClassVar[bool]

    def read(self, region: str) -> Snapshot: ...

    def kept(self) -> bytes: ...  # what a run held for approval keeps, so approving applies what was read


class ProviderSource(RosterSource, Protocol):
    """A district's provider as a run's source. `event_cursor`, once read, is where the provider's change feed
    stood (Clever's events); None for a provider without one (ClassLink)."""

    @property
    def event_cursor(self) -> str | None: ...


class DistrictSources(Protocol):
    """The provider each district syncs from, as its settings say (adapters/sources/configured.py); UnknownSource
    when none is usable.

    `changed_since` asks a provider that filters by modification time for changes only, `after_event` one
    with a change feed for the events after that one; both None ask for a full read."""

    def describe(self, district: str) -> str: ...

    def for_district(self, district: str, *, changed_since: datetime | None,
                     after_event: str | None = None) -> ProviderSource: ...

    def kept(self, district: str, content: bytes) -> RosterSource: ...  # a held run's roster, read again


class Marks(Protocol):
    """When each district's last completed runs from its provider started (domain/sync_schedule.py)."""

    def get(self, district: str) -> SyncMarks: ...

    def save(self, district: str, marks: SyncMarks) -> None: ...


class SyncRuns(Protocol):
    # `announce` stages the events telling of the run in the write's transaction (shared/outbox.py Announce).
    def add(self, run: SyncRun, *, announce: Announce = nothing_to_announce) -> None: ...

    def save(self, run: SyncRun, *, announce: Announce = nothing_to_announce) -> None: ...

    def get(self, run_id: str) -> SyncRun | None: ...

    def find(self, run_id: str) -> SyncRun | None: ...  # by id or unique prefix (AmbiguousRunId)

    def follow(self, run_id: str) -> FollowedRun | None: ...  # as find, its findings counted, not read

    def take_up(self, run: SyncRun, owner: str, at: datetime) -> None: ...  # `owner` works on it from now

    # Make the run its district's one running run, worked on by `owner` (DistrictBusy when another is).
    def claim(self, run: SyncRun, district_key: str, owner: str, at: datetime) -> None: ...

    def running_from(self, source: str) -> SyncRun | None: ...

    def save_progress(self, run: SyncRun, at: datetime) -> None: ...  # progress alone, and the heartbeat

    def beat(self, owner: str, at: datetime) -> int: ...  # the owner's running runs are alive

    # Fail the runs a worker took up and stopped beating for before `silent_since`; their ids.
    def fail_abandoned(self, silent_since: datetime, message: str, at: datetime) -> list[str]: ...

    def recent(self, limit: int, *, state: str | None = None, district_id: str | None = None) -> list[SyncRun]: ...

    def recent_followed(self, limit: int, *, state: str | None = None,
                        district_id: str | None = None) -> list[FollowedRun]: ...  # as recent, findings counted


class AppliedRows(Protocol):
    """What each district's imports last applied, by entity and row key."""

    def start(self, district_key: str, district_id: str) -> None: ...

    def district_id_of(self, district_key: str) -> str | None: ...

    def load(self, district_key: str, entity: str) -> dict[str, AppliedRow]: ...

    def keys(self, district_key: str, entity: str) -> Iterator[str]: ...  # read through before another call

    # What is remembered of these keys, read whole only where the source fingerprint asked is not the one remembered.
    def compare_sources(self, district_key: str, entity: str, asked: Mapping[str, bytes | None], *,
                        needs_ids: bool) -> RememberedSources: ...

    def count(self, district_key: str, entity: str) -> int: ...

    def remember(self, district_key: str, entity: str, rows: Mapping[str, AppliedRow]) -> None: ...

    def forget(self, district_key: str, entity: str, keys: Sequence[str]) -> None: ...

    # By the directory's district id: the ids it gave rows of an entity (a notice's students), found ones only.
    def target_ids(self, district_id: str, entity: str, keys: Sequence[str]) -> dict[str, str]: ...


class HeldRuns(Protocol):
    """Packages of runs held for approval, and the archive rows of every run."""

    def keep(self, run_id: str, *, package: bytes, request: dict, archive_digest: str,
             changes: Iterable[dict]) -> None: ...

    def record_changes(self, run_id: str, changes: Iterable[dict]) -> None: ...

    def package(self, run_id: str) -> tuple[bytes, dict, str] | None: ...

    def release(self, run_id: str) -> None: ...

    def changes(self, run_id: str, *, entity: str | None, offset: int, limit: int) -> tuple[list[dict], int]: ...


class DistrictSettings(Protocol):
    """Each district's sync settings, and the local day the daily schedule last started its run."""

    def get(self, district_id: str) -> SyncSettings: ...

    def save(self, settings: SyncSettings, *, announce: Announce = nothing_to_announce) -> None: ...

    def with_source(self, source: str) -> list[SyncSettings]: ...

    def scheduled(self) -> list[tuple[SyncSettings, date | None]]: ...  # daily sync on, from a provider

    def last_scheduled_on(self, district_id: str) -> date | None: ...

    def claim_scheduled_day(self, district_id: str, day: date) -> bool: ...  # False: claimed already


class Packages(Protocol):
    """A package as bytes to keep, and kept bytes as a path the reader can open again."""

    def pack(self, path: str) -> bytes: ...

    def unpacked(self, content: bytes): ...  # a context manager yielding a path


class Inbox(Protocol):
    """A district's SFTP inbox for one poll (adapters/sources/sftp/inbox.py): list, claim into processing/,
    download, file into processed/ or failed/, write a report."""

    def entries(self) -> list: ...  # domain.sftp_pickup.Entry

    def claim(self, name: str, claimed: str) -> bool: ...

    def claimed(self) -> list[str]: ...  # what processing/ holds

    def release(self, claimed: str, name: str) -> None: ...  # a stale claim back into the inbox

    def remove(self, name: str) -> None: ...

    def download(self, claimed: str, local) -> None: ...

    def file(self, claimed: str, outcome: str) -> None: ...

    def write(self, folder: str, name: str, content: bytes) -> None: ...

"""In-memory stand-ins for what the rostering handlers talk to, with the contracts' own validation."""
from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import ClassVar

from rostering_builders import make_snapshot

from services.rostering import handlers
from shared.testing.synced_records import SyncedRecords
from services.rostering.domain.applied_rows import AppliedRow, RememberedSources, remembered_sources
from services.rostering.domain.errors import UnknownSource
from services.rostering.domain.run import FAILED, RUNNING, DistrictBusy, FollowedRun, SyncRun
from services.rostering.domain.run_ids import the_one, usable_prefix
from services.rostering.domain.settings import SyncSettings
from services.rostering.domain.snapshot import Snapshot
from services.rostering.domain.sync_schedule import SyncMarks
from services.rostering.importing import ImportPorts
from shared.contracts import directory, identity
from shared.messaging import _CheckedProxy
from shared.testing.recording_outbox import RecordingOutbox, writes_commit_with_outbox

PAGE_FIELDS = {
    "upsert_schools": "schools",
    "upsert_classrooms": "classrooms",
    "upsert_people": "people",
    "upsert_enrollments": "enrollments",
    "upsert_guardian_links": "links",
    "upsert_accounts": "accounts",
}


# What the fake directory answers besides the upserts.
ANSWERED = ("set_district_sync", "get_schools", "get_district_counts", "archive_synced_records", "get_district")


class _AsSaved(Mapping):
    """The fake's saved items, seen as (row, id) pairs like SyncedRecords reads them."""

    def __init__(self, saved: dict) -> None:
        self._saved = saved

    def __getitem__(self, key):
        item = self._saved[key]
        return item["row"], item["id"]

    def __iter__(self):
        return iter(self._saved)

    def __len__(self) -> int:
        return len(self._saved)


def item_key(method: str, row: dict) -> str:
    if method == "upsert_accounts":
        return row["person_id"]
    if method == "upsert_guardian_links":
        return f"{row['guardian_source_id']}:{row['student_source_id']}"
    return row["source_id"]


class _Reply:
    def __init__(self, value):
        self._value = value

    def result(self):
        if isinstance(self._value, Exception):
            raise self._value
        return self._value


class _Method:
    def __init__(self, service: FakeService, name: str):
        self.service, self.name = service, name

    def __call__(self, payload):
        return _Reply(self.service.answer(self.name, payload)).result()

    def call_async(self, payload):
        return _Reply(self.service.answer(self.name, payload))


@dataclass
class FakeService:
    """Answers bulk upserts item by item: created the first time a key is seen, then unchanged or updated.

    `refuse` maps a key to the problem answered for it; `broken` names a method that raises;
    `broken_from` a method that raises from its n-th call on (counting from 1).
    """

    name: str
    calls: list[tuple[str, dict]] = field(default_factory=list)
    saved: dict[tuple[str, str], dict] = field(default_factory=dict)
    refuse: dict[str, dict] = field(default_factory=dict)
    broken: dict[str, Exception] = field(default_factory=dict)
    broken_from: dict[str, tuple[int, Exception]] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    district_id: str = "district-id"
    # The district the directory holds under district_id, as the provider names it (None: made by hand).
    district: dict = field(default_factory=lambda: {"source_id": "district-1", "name": "Lincoln Unified"})
    ownership: dict | None = None
    enabled_students: set[str] = field(default_factory=set)
    refuse_enabling: bool = False  # answer every student to enable as not a student

    def __post_init__(self) -> None:
        self.records = SyncedRecords(_AsSaved(self.saved))

    def proxy(self, contract) -> _CheckedProxy:
        return _CheckedProxy(contract, self)

    def __getattr__(self, name: str) -> _Method:
        if name.startswith("upsert_") or name in ANSWERED or name == "enable_synced_student_accounts":
            return _Method(self, name)
        raise AttributeError(name)

    def method_calls(self, name: str) -> list[dict]:
        return [payload for called, payload in self.calls if called == name]

    def saved_ids(self, method: str) -> dict[str, str]:
        """Key -> id of every item `method` has saved."""
        return {key: item["id"] for (called, key), item in self.saved.items() if called == method}

    def answer(self, method: str, payload: dict):
        self.calls.append((method, copy.deepcopy(payload)))
        if method in self.broken:
            return self.broken[method]
        if method in self.broken_from:
            nth, error = self.broken_from[method]
            if len(self.method_calls(method)) >= nth:
                return error
        if method == "upsert_district":
            self.district = {"source_id": payload["source_id"], "name": payload["name"]}
            return {"id": self.district_id, **self.district}
        if method in ANSWERED or method == "enable_synced_student_accounts":
            return getattr(self, f"_{method}")(payload)
        return {"results": [self._upsert(method, row) for row in payload[PAGE_FIELDS[method]]]}

    def _set_district_sync(self, payload: dict) -> dict:
        self.ownership = payload
        return {}

    def _get_schools(self, payload: dict) -> dict:
        return self.records.schools()

    def _enable_synced_student_accounts(self, payload: dict) -> dict:
        """As the directory answers: each saved student enabled once; anyone else refused."""
        people = {item["id"]: item["row"] for (method, _), item in self.saved.items() if method == "upsert_people"}
        results = []
        for person_id in payload["student_ids"]:
            row = people.get(person_id)
            outcome = ("not_found" if row is None
                       else "not_a_student" if "student" not in row["kinds"] or self.refuse_enabling
                       else "already_enabled" if person_id in self.enabled_students else "enabled")
            if outcome == "enabled":
                self.enabled_students.add(person_id)
            results.append({"key": person_id, "id": person_id if row else None, "outcome": outcome, "problems": []})
        return {"results": results}

    def _get_district(self, payload: dict) -> dict:
        return {"id": payload["district_id"], **self.district}

    def _get_district_counts(self, payload: dict) -> dict:
        return self.records.counts()

    def _archive_synced_records(self, payload: dict) -> dict:
        return self.records.archive(payload)

    @property
    def archived(self) -> set[tuple[str, str]]:
        return self.records.archived

    def _upsert(self, method: str, row: dict) -> dict:
        key = item_key(method, row)
        if key in self.refuse:
            return {"key": key, "id": None, "outcome": "failed", "problems": [self.refuse[key]]}
        known = self.saved.get((method, key))
        if known is None:
            outcome, item_id = "created", f"{self.name}-{next(self.ids)}"
        else:
            outcome, item_id = ("unchanged" if known["row"] == row else "updated"), known["id"]
        self.saved[(method, key)] = {"row": row, "id": item_id}
        return {"key": key, "id": item_id, "outcome": outcome, "problems": []}


def fake_directory() -> FakeService:
    return FakeService(directory.NAME)


def fake_identity() -> FakeService:
    return FakeService(identity.NAME)


@writes_commit_with_outbox("add", "save", "take_up", "claim", "save_progress", "beat", "fail_abandoned")
class FakeRuns:
    """Each write commits what the handler published through `outbox`, as rostering's outbox does."""

    def __init__(self, outbox: RecordingOutbox | None = None):
        self.outbox = outbox or RecordingOutbox(dumped=False)
        self.stored: dict[str, SyncRun] = {}
        self.saved_states: list[str] = []
        self.owners: dict[str, str] = {}
        self.heartbeats: dict[str, datetime] = {}
        self.progress_writes: list = []

    def add(self, run: SyncRun, *, announce=lambda: None) -> None:
        self.stored[run.run_id] = copy.deepcopy(run)
        announce()

    def save(self, run: SyncRun, *, announce=lambda: None) -> None:
        running = self.running_in(run.district_key, apart_from=run.run_id) if run.district_key else None
        if run.state == RUNNING and running is not None:
            raise DistrictBusy(running)
        announce()
        self.saved_states.append(run.state)
        self.stored[run.run_id] = copy.deepcopy(run)

    def get(self, run_id: str) -> SyncRun | None:
        return copy.deepcopy(self.stored.get(run_id))

    def find(self, run_id: str) -> SyncRun | None:
        prefix = usable_prefix(run_id)
        if run_id in self.stored or prefix is None:
            return self.get(run_id)
        found = the_one(prefix, [known for known in self.stored if known.startswith(prefix)])
        return None if found is None else self.get(found)

    def follow(self, run_id: str) -> FollowedRun | None:
        run = self.find(run_id)
        return None if run is None else self._followed(run)

    @staticmethod
    def _followed(run: SyncRun) -> FollowedRun:
        return FollowedRun(replace(run, errors=[], warnings=[], diff=None), len(run.errors), len(run.warnings))

    def take_up(self, run: SyncRun, owner: str, at: datetime) -> None:
        self.owners[run.run_id], self.heartbeats[run.run_id] = owner, at

    def claim(self, run: SyncRun, district_key: str, owner: str, at: datetime) -> None:
        running = self.running_in(district_key, apart_from=run.run_id)
        if running is not None:
            raise DistrictBusy(running)
        run.district_key = district_key
        self.stored[run.run_id].district_key = district_key
        self.owners[run.run_id], self.heartbeats[run.run_id] = owner, at

    def running_in(self, district_key: str, apart_from: str | None = None) -> SyncRun | None:
        return next((copy.deepcopy(run) for run in self.stored.values() if run.state == RUNNING
                     and run.district_key == district_key and run.run_id != apart_from), None)

    def running_from(self, source: str) -> SyncRun | None:
        return next((copy.deepcopy(run) for run in self.stored.values()
                     if run.state == RUNNING and run.source == source), None)

    def save_progress(self, run: SyncRun, at: datetime) -> None:
        self.progress_writes.append(copy.deepcopy(run.progress))
        self.stored[run.run_id].progress = copy.deepcopy(run.progress)
        self.heartbeats[run.run_id] = at

    def beat(self, owner: str, at: datetime) -> int:
        mine = [run_id for run_id, run in self.stored.items() if run.state == RUNNING
                and self.owners.get(run_id) == owner]
        self.heartbeats.update({run_id: at for run_id in mine})
        return len(mine)

    def fail_abandoned(self, silent_since: datetime, message: str, at: datetime) -> list[str]:
        abandoned = [run_id for run_id, run in self.stored.items() if run.state == RUNNING
                     and run_id in self.owners and self.heartbeats[run_id] < silent_since]
        for run_id in abandoned:
            run = self.stored[run_id]
            run.state, run.finished_at, run.message = FAILED, at, message
        return abandoned

    def recent(self, limit: int, *, state: str | None = None, district_id: str | None = None) -> list[SyncRun]:
        newest_first = sorted(self.stored.values(), key=lambda run: run.started_at, reverse=True)
        chosen = [run for run in newest_first if state in (None, run.state)
                  and district_id in (None, run.district_id)]
        return copy.deepcopy(chosen[:limit])

    def recent_followed(self, limit: int, *, state: str | None = None,
                        district_id: str | None = None) -> list[FollowedRun]:
        return [self._followed(run) for run in self.recent(limit, state=state, district_id=district_id)]


class FakeAppliedRows:
    """What each district's imports applied, in memory, as the rostering database keeps it."""

    def __init__(self):
        self.targets: dict[str, str] = {}
        self.rows: dict[tuple[str, str], dict[str, AppliedRow]] = {}

    def start(self, district_key: str, district_id: str) -> None:
        if self.targets.get(district_key, district_id) != district_id:
            self.rows = {place: rows for place, rows in self.rows.items() if place[0] != district_key}
        self.targets[district_key] = district_id

    def district_id_of(self, district_key: str) -> str | None:
        return self.targets.get(district_key)

    def load(self, district_key: str, entity: str) -> dict[str, AppliedRow]:
        assert district_key in self.targets, "start() comes first"
        return dict(self.rows.get((district_key, entity), {}))

    def compare_sources(self, district_key: str, entity: str, asked, *, needs_ids: bool) -> RememberedSources:
        return remembered_sources(self.load(district_key, entity), asked, needs_ids=needs_ids)

    def remember(self, district_key: str, entity: str, rows) -> None:
        self.rows.setdefault((district_key, entity), {}).update(rows)

    def forget(self, district_key: str, entity: str, keys) -> None:
        for key in keys:
            self.rows.get((district_key, entity), {}).pop(key, None)

    def target_ids(self, district_id: str, entity: str, keys) -> dict[str, str]:
        found = {}
        for district_key, target in self.targets.items():
            rows = self.rows.get((district_key, entity), {}) if target == district_id else {}
            found.update({key: rows[key].target_id for key in keys if key in rows and rows[key].target_id})
        return found

    def keys(self, district_key: str, entity: str):
        assert district_key in self.targets, "start() comes first"
        return iter(list(self.rows.get((district_key, entity), {})))

    def count(self, district_key: str, entity: str) -> int:
        assert district_key in self.targets, "start() comes first"
        return len(self.rows.get((district_key, entity), {}))

    def remembered(self, entity: str, district_key: str = "district-1") -> set[str]:
        return set(self.rows.get((district_key, entity), {}))


def entities_read(applied: FakeAppliedRows, method: str) -> list[str]:
    """The entities `applied.<method>` (load, keys) is asked for from now on, in order."""
    read: list[str] = []
    answer = getattr(applied, method)

    def recording(district_key, entity):
        read.append(entity)
        return answer(district_key, entity)

    setattr(applied, method, recording)
    return read


class FakeHeldRuns:
    def __init__(self):
        self.packages: dict[str, tuple[bytes, dict, str]] = {}
        self.rows: dict[str, list[dict]] = {}

    def keep(self, run_id, *, package, request, archive_digest, changes) -> None:
        self.packages[run_id] = (package, copy.deepcopy(request), archive_digest)
        self.rows.setdefault(run_id, []).extend(copy.deepcopy(list(changes)))

    def record_changes(self, run_id, changes) -> None:
        self.rows.setdefault(run_id, []).extend(copy.deepcopy(list(changes)))

    def package(self, run_id):
        return self.packages.get(run_id)

    def release(self, run_id) -> None:
        self.packages.pop(run_id, None)

    def changes(self, run_id, *, entity, offset, limit):
        rows = [row for row in self.rows.get(run_id, []) if entity in (None, row["entity"])]
        return rows[offset:offset + limit], len(rows)


@writes_commit_with_outbox("save", "claim_scheduled_day")
class FakeSettings:
    def __init__(self, outbox: RecordingOutbox | None = None):
        self.outbox = outbox or RecordingOutbox(dumped=False)
        self.stored: dict[str, SyncSettings] = {}
        self.scheduled_on: dict[str, date] = {}

    def get(self, district_id: str) -> SyncSettings:
        return self.stored.get(district_id, SyncSettings(district_id))

    def save(self, settings: SyncSettings, *, announce=lambda: None) -> None:
        self.stored[settings.district_id] = settings
        announce()

    def scheduled(self) -> list[tuple[SyncSettings, date | None]]:
        return [(settings, self.scheduled_on.get(district_id)) for district_id, settings in sorted(self.stored.items())
                if settings.fetched]

    def with_source(self, source: str) -> list[SyncSettings]:
        return [settings for _, settings in sorted(self.stored.items()) if settings.source == source]

    def last_scheduled_on(self, district_id: str) -> date | None:
        return self.scheduled_on.get(district_id)

    def claim_scheduled_day(self, district_id: str, day: date) -> bool:
        if self.scheduled_on.get(district_id, date.min) >= day:
            return False
        self.scheduled_on[district_id] = day
        return True


class FakePackages:
    """Keeps the path itself as the package's bytes, and hands it back when unpacked."""

    def pack(self, path: str) -> bytes:
        return path.encode()

    @contextmanager
    def unpacked(self, content: bytes):
        yield content.decode()


class FakeSources:
    """One configured district, `lincoln`, whose provider answers `answer` (a Snapshot, or an exception it raises)."""

    def __init__(self):
        self.answer: Snapshot | Exception = make_snapshot()
        self.asked_since: list[datetime | None] = []
        self.asked_after_event: list[str | None] = []
        self.feed_at: str | None = None  # where the provider's change feed stands, None for one without a feed

    def describe(self, district: str) -> str:
        if district != "lincoln":
            raise UnknownSource(f"no source is configured for district {district}")
        return "Fake provider"

    def for_district(self, district: str, *, changed_since, after_event=None):
        self.asked_since.append(changed_since)
        self.asked_after_event.append(after_event)
        return FakeSource(self.describe(district) + (" (changes)" if changed_since else ""), self.answer,
                          self.feed_at)

    def kept(self, district: str, content: bytes):
        return FakeSource("kept", self.answer)


@dataclass
class FakeSource:
    description: str
    answer: Snapshot | Exception
    event_cursor: str | None = None
    read_leaves_no_cycles: ClassVar[bool] = False  # a snapshot made by a test may hold anything

    def read(self, region: str) -> Snapshot:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def kept(self) -> bytes:
        return b"fetched"


class FakeMarks:
    def __init__(self):
        self.stored: dict[str, SyncMarks] = {}

    def get(self, district: str) -> SyncMarks:
        return self.stored.get(district, SyncMarks())

    def save(self, district: str, marks: SyncMarks) -> None:
        self.stored[district] = marks


@dataclass
class CountedStream:
    """A record stream as a RowCount sees it: how many records it has read."""

    count: int


class FakeClock:
    def __init__(self):
        self.now = datetime(2025, 9, 1, 6, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def started_at_once(work):
    """The service starts work ahead (ImportPorts.ahead) while it waits on answers: here before the stages go."""
    done = work()
    return lambda: done


AHEAD_WAYS = ("when asked", "at once")


def importer_starting_ahead(way: str) -> Importer:
    """An Importer whose work ahead runs when its result is asked for (the default) or at once."""
    importer = Importer()
    if way == "at once":
        ports = importer.ports
        importer.ports = lambda: replace(ports(), ahead=started_at_once)
    return importer


class Importer:
    """Runs the import handler against in-memory directory, identity, run store and applied rows."""

    def __init__(self):
        self.directory = fake_directory()
        self.identity = fake_identity()
        self.identity.calls = self.directory.calls  # one log shows the order across both services
        # rostering's `publish`: an event counts once the run or settings write it goes with commits.
        self.outbox = RecordingOutbox(dumped=False)
        self.runs = FakeRuns(self.outbox)
        self.applied = FakeAppliedRows()
        self.held = FakeHeldRuns()
        self.settings = FakeSettings(self.outbox)
        self.ids = iter(f"run-{n}" for n in range(1, 100))
        self.clock = FakeClock()
        # What the reader answers for a path: the snapshot of the latest call, or a rejection.
        self.packages_read: dict[str, Snapshot | Exception] = {}
        self.sources = FakeSources()
        self.marks = FakeMarks()
        # When the import gave freed memory back: how many calls the directory and identity had had by then.
        self.memory_given_back: list[int] = []
        # What the service keeps with the enrollments of its last read (its EnrollmentsReadBefore): none by default.
        self.enrollment_digests = None

    def ports(self) -> ImportPorts:
        def read(path, region, rows=None):
            found = self.packages_read[path]
            if isinstance(found, Exception):
                raise found
            if rows is not None:  # the records a reader would have counted on its way through
                rows.watching(CountedStream(len(found.people + found.orgs + found.classes + found.enrollments)))
            return found

        @contextmanager
        def ticking(tick):
            yield
            tick()  # once, as the read ends: what a reporter beside it would have seen last

        return ImportPorts(
            runs=self.runs, applied=self.applied, held=self.held, settings=self.settings,
            directory=self.directory.proxy(directory.contract), identity=self.identity.proxy(identity.contract),
            publish=self.outbox,
            clock=self.clock, read=read, packages=FakePackages(), sources=self.sources, marks=self.marks,
            ticking=ticking, give_back_memory=lambda: self.memory_given_back.append(len(self.directory.calls)),
            enrollment_digests=self.enrollment_digests,
        )

    def __call__(self, snapshot=None, *, rejection=None, **request):
        path = request.pop("path", "/exports/lincoln")
        self.packages_read[path] = rejection if rejection is not None else (
            snapshot if snapshot is not None else make_snapshot())
        started = self.request_import(path, **request)
        handlers.run_package_import(self.published[-1][1], ports=self.ports())
        return self.runs.get(started["run_id"]).as_payload()

    def request_import(self, path: str = "/exports/lincoln", **request) -> dict:
        """The RPC's half alone: the run answered at once, its event published, nothing read yet."""
        return handlers.import_package(
            {"path": path, "region": "US", "district_name": None, "full": False, "requested_by": None, **request},
            ports=self.ports(), new_id=lambda: next(self.ids))

    @property
    def published(self) -> list[tuple[str, dict]]:
        """The events committed with their change, in order."""
        return self.outbox.published

    def methods_called(self):
        """The calls that send rows (and the district, which always goes), in order."""
        return [name for name, _ in self.directory.calls if name not in ANSWERED]

    def allow_archiving_up_to(self, share: float, district_id: str = "district-id") -> None:
        self.settings.save(SyncSettings(district_id, mass_change_threshold=share))


class FakeInbox:
    """An SFTP inbox in memory: uploads by name, what was claimed, filed and written (sftp_pickup's Inbox)."""

    def __init__(self, *entries):
        self.uploads = {entry.name: entry for entry in entries}
        self.claims: dict[str, str] = {}  # claimed name -> the name it was uploaded as
        self.filed: dict[str, str] = {}
        self.written: dict[tuple[str, str], bytes] = {}
        self.removed: list[str] = []
        self.released: list[tuple[str, str]] = []
        self.left_in_processing: list[str] = []  # claims an earlier poller never filed
        self.taken_by_another: set[str] = set()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def entries(self):
        return list(self.uploads.values())

    def claim(self, name: str, claimed: str) -> bool:
        if name in self.taken_by_another:
            return False
        self.claims[claimed] = name
        del self.uploads[name]
        return True

    def claimed(self) -> list[str]:
        return [claimed for claimed in self.claims if claimed not in self.filed] + list(self.left_in_processing)

    def release(self, claimed: str, name: str) -> None:
        self.released.append((claimed, name))

    def remove(self, name: str) -> None:
        self.removed.append(name)
        self.uploads.pop(name, None)

    def download(self, claimed: str, local) -> None:
        local.write_text(self.claims[claimed])

    def file(self, claimed: str, outcome: str) -> None:
        self.filed[claimed] = outcome

    def write(self, folder: str, name: str, content: bytes) -> None:
        self.written[(folder, name)] = content

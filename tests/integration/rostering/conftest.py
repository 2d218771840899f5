"""The rostering service in a real container, beside recording stand-ins for directory and identity.

The stand-ins answer through the real contracts (requests validated, results
dumped as BulkResult), remember what they saved by key, and refuse what a
real directory would refuse (a classroom at a school it does not hold), so
these tests do not wait on the real services.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from eventlet.event import Event
from nameko.testing.services import entrypoint_hook
from nameko.timer import Timer
from sqlalchemy.orm import Session
from roster_csv import write_package
from sftp_drops import configure_lincoln

from services.rostering.adapters.upload_watch import POLL_SECONDS_VARIABLE
from services.rostering.service import RosteringService
from shared.contracts import callers, directory, identity, rostering
from shared.contracts.errors import NotAuthenticated, NotFound
from shared.db import make_engine
from shared.messaging import cluster_rpc, handles, rpc_endpoint
from shared.migrations import upgrade
from shared.sealed_secrets import ROSTERING_SETTINGS_KEY
from shared.testing.clever_objects import DISTRICT as CLEVER_DISTRICT
from shared.testing.principals import make_principal
from shared.testing.sftp_fake import PASSWORD as SFTP_PASSWORD
from shared.testing.sftp_fake import USERNAME as SFTP_USERNAME
from shared.testing.sftp_fake import FakeSftpServer
from shared.testing.synced_records import SyncedRecords

KNOWN_LOGINS = ("admin@lincoln.example.org",)
# The service credential the identity stand-in takes for the operator's.
OPERATOR_CREDENTIAL = ("operator-1", "operator-secret")
OPERATOR_PERSON_ID = "service:operator-1"
PAGE_FIELDS = {
    "upsert_schools": "schools",
    "upsert_classrooms": "classrooms",
    "upsert_people": "people",
    "upsert_enrollments": "enrollments",
    "upsert_guardian_links": "links",
    "upsert_accounts": "accounts",
}
# What each bulk call needs to exist already: (field of the row, method that saves the referenced item).
REFERENCES = {
    "upsert_classrooms": (("school_source_id", "upsert_schools"),),
    "upsert_enrollments": (("classroom_source_id", "upsert_classrooms"), ("person_source_id", "upsert_people")),
    "upsert_guardian_links": (("guardian_source_id", "upsert_people"), ("student_source_id", "upsert_people")),
}


@dataclass
class Recorder:
    """What the stand-ins were asked, and what they saved by key."""

    calls: list[tuple[str, dict]] = field(default_factory=list)
    saved: dict[tuple[str, str], tuple[dict, str]] = field(default_factory=dict)
    completed_runs: list[dict] = field(default_factory=list)
    settings_changes: list[dict] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    ownership: dict | None = None
    # Service credentials the identity stand-in exchanges for tokens beside the operator's: (id, secret) -> principal.
    service_credentials: dict[tuple[str, str], dict] = field(default_factory=dict)
    # A bulk method that waits for `released` before answering: a run kept going while a test looks at it.
    held_method: str | None = None
    released: Event = field(default_factory=Event)
    # Districts the directory holds beside those upsert_district made, as their providers name them: the tests'
    # ClassLink and Clever districts, as connecting them would have made them.
    districts: dict[str, dict] = field(default_factory=lambda: {
        "lincoln": {"source_id": "district-1", "name": "Lincoln Unified"},
        "jefferson": {"source_id": CLEVER_DISTRICT, "name": "Jefferson Unified"}})

    def __post_init__(self) -> None:
        self.records = SyncedRecords(self.saved)

    def hold(self, method: str) -> None:
        self.held_method, self.released = method, Event()

    def release(self) -> None:
        self.held_method = None
        self.released.send()

    def calls_to(self, method: str) -> list[dict]:
        return [payload for called, payload in self.calls if called == method]

    def saved_ids(self, method: str) -> dict[str, str]:
        return {key: item_id for (called, key), (_, item_id) in self.saved.items() if called == method}

    def upsert_district(self, request: dict) -> dict:
        self.calls.append(("upsert_district", request))
        _, item_id = self._save("upsert_district", request["source_id"], request)
        return {"id": item_id, **request}

    def get_district(self, request: dict) -> dict:
        made = {item_id: row for (called, _), (row, item_id) in self.saved.items() if called == "upsert_district"}
        district = self.districts.get(request["district_id"]) or made.get(request["district_id"])
        if district is None:
            raise NotFound("no such district", fields={"district_id": ["no district has this id"]})
        return {"id": request["district_id"], **district}

    def upsert(self, method: str, request: dict) -> dict:
        self.calls.append((method, request))
        if method == self.held_method:
            self.released.wait()
        return {"results": [self._result(method, row) for row in request[PAGE_FIELDS[method]]]}

    def _result(self, method: str, row: dict) -> dict:
        key = _key(method, row)
        missing = [(name, row[name]) for name, saved_by in REFERENCES.get(method, ())
                   if (saved_by, row[name]) not in self.saved]
        if missing:
            problems = [{"field": name, "reason": f"unknown {value}"} for name, value in missing]
            return {"key": key, "id": None, "outcome": "failed", "problems": problems}
        outcome, item_id = self._save(method, key, row)
        return {"key": key, "id": item_id, "outcome": outcome, "problems": []}

    def _save(self, method: str, key: str, row: dict) -> tuple[str, str]:
        known = self.saved.get((method, key))
        if known is None:
            outcome, item_id = "created", f"id-{next(self.ids)}"
        else:
            outcome, item_id = ("unchanged" if known[0] == row else "updated"), known[1]
        self.saved[(method, key)] = (row, item_id)
        return outcome, item_id


def _key(method: str, row: dict) -> str:
    if method == "upsert_accounts":
        return row["person_id"]
    if method == "upsert_guardian_links":
        return f"{row['guardian_source_id']}:{row['student_source_id']}"
    return row["source_id"]


def directory_stand_in(recorder: Recorder) -> type:
    class DirectoryStandIn:
        name = directory.NAME

        @rpc_endpoint(directory.upsert_district)
        def upsert_district(self, request):
            return recorder.upsert_district(request)

        @rpc_endpoint(directory.get_district)
        def get_district(self, request):
            return recorder.get_district(request)

        @rpc_endpoint(directory.upsert_schools)
        def upsert_schools(self, request):
            return recorder.upsert("upsert_schools", request)

        @rpc_endpoint(directory.upsert_classrooms)
        def upsert_classrooms(self, request):
            return recorder.upsert("upsert_classrooms", request)

        @rpc_endpoint(directory.upsert_people)
        def upsert_people(self, request):
            return recorder.upsert("upsert_people", request)

        @rpc_endpoint(directory.upsert_enrollments)
        def upsert_enrollments(self, request):
            return recorder.upsert("upsert_enrollments", request)

        @rpc_endpoint(directory.upsert_guardian_links)
        def upsert_guardian_links(self, request):
            return recorder.upsert("upsert_guardian_links", request)

        @rpc_endpoint(directory.set_district_sync)
        def set_district_sync(self, request):
            recorder.ownership = request
            return request

        @rpc_endpoint(directory.archive_synced_records)
        def archive_synced_records(self, request):
            recorder.calls.append(("archive_synced_records", request))
            return recorder.records.archive(request)

        @rpc_endpoint(directory.get_district_counts)
        def get_district_counts(self, request):
            return recorder.records.counts()

        @rpc_endpoint(directory.get_schools)
        def get_schools(self, request):
            return recorder.records.schools()

    return DirectoryStandIn


@pytest.fixture
def operator_credential() -> tuple[str, str]:
    """The client id and secret the identity stand-in takes for the operator's service credential."""
    return OPERATOR_CREDENTIAL


@pytest.fixture
def operator_person_id() -> str:
    """Who the operator's service token says it is (`service:<client id>`): what its decisions record."""
    return OPERATOR_PERSON_ID


def identity_stand_in(recorder: Recorder) -> type:
    class IdentityStandIn:
        name = identity.NAME

        @rpc_endpoint(identity.upsert_accounts)
        def upsert_accounts(self, request):
            return recorder.upsert("upsert_accounts", request)

        @rpc_endpoint(callers.issue_service_token)
        def issue_service_token(self, request):
            credential = (request["client_id"], request["client_secret"])
            if credential in recorder.service_credentials:
                return {"token": f"{credential[0]}-token", "expires_at": datetime(2030, 1, 1, tzinfo=timezone.utc),
                        "scopes": [callers.ANNOUNCEMENTS_SEND], "principal": recorder.service_credentials[credential]}
            if credential != OPERATOR_CREDENTIAL:
                raise NotAuthenticated("the client id or secret is not valid")
            return {"token": "operator-token", "expires_at": datetime(2030, 1, 1, tzinfo=timezone.utc),
                    "scopes": list(callers.OPERATOR_SCOPES),
                    "principal": make_principal(person_id=OPERATOR_PERSON_ID)}

        @rpc_endpoint(identity.set_password)
        def set_password(self, request):
            if request["login"] not in KNOWN_LOGINS:
                raise NotFound("no such account", fields={"login": ["no account has this login"]})
            recorder.passwords[request["login"]] = request["password"]
            return {}

    return IdentityStandIn


def sync_run_listener(recorder: Recorder) -> type:
    class SyncRunListener:
        name = "sync_run_listener"

        @handles(rostering.SYNC_RUN_COMPLETED)
        def on_sync_run_completed(self, payload):
            recorder.completed_runs.append(payload)

        @handles(rostering.DISTRICT_SYNC_SETTINGS_CHANGED)
        def on_settings_changed(self, payload):
            recorder.settings_changes.append(payload)

    return SyncRunListener


@pytest.fixture(autouse=True)
def settings_key(monkeypatch) -> str:
    """The key rostering seals districts' source secrets with, read when its container starts."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(ROSTERING_SETTINGS_KEY, key)
    return key


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def rostering_session(request, tmp_path) -> Iterator[Session]:
    """A session on a migrated rostering database, once on SQLite and once on PostgreSQL, for repository tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rostering.db'}"
    else:
        url = request.getfixturevalue("pg_schema_url")("rostering")
    upgrade("rostering", url)
    engine = make_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def rostering_database_url(migrated_pg_url):
    return migrated_pg_url("rostering")


@pytest.fixture
def rostering_config(rabbit_config, rostering_database_url):
    return {**rabbit_config, "DATABASES": {"rostering": rostering_database_url}, "max_workers": 10}


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def running_services(container_factory, rostering_config, recorder):
    """Rostering, the directory and identity stand-ins and a listener for run events, all started."""
    containers = {}
    for service in (RosteringService, directory_stand_in(recorder), identity_stand_in(recorder),
                    sync_run_listener(recorder)):
        container = container_factory(service, rostering_config)
        container.start()
        containers[container.service_name] = container
    return containers


@pytest.fixture
def start_rostering(container_factory, rostering_config):
    """Start another rostering container (a restarted process, say); answers it, started."""
    def start():
        container = container_factory(RosteringService, rostering_config)
        container.start()
        return container

    return start


@pytest.fixture
def rostering_rpc(rostering_config, running_services):
    with cluster_rpc(rostering_config["AMQP_URI"], timeout=60) as rpc:
        yield rpc(rostering.contract)


@pytest.fixture
def package(tmp_path) -> Path:
    return write_package(tmp_path / "lincoln")


# --- SFTP drops --------------------------------------------------------------------------------------------


@pytest.fixture
def sftp_server(tmp_path, monkeypatch):
    """A loopback SFTP server with an /inbox, and rostering told to poll whenever the tests ask."""
    root = tmp_path / "server"
    (root / "inbox").mkdir(parents=True)
    with FakeSftpServer(root) as server:
        monkeypatch.setenv(POLL_SECONDS_VARIABLE, "0")  # every poll the tests ask for happens
        yield server


@pytest.fixture
def sftp(sftp_server, rostering_rpc):
    """The loopback server's /inbox as district lincoln's, configured in its settings as an administrator would."""
    configure_lincoln(rostering_rpc, source="sftp", host="127.0.0.1", port=sftp_server.port, username=SFTP_USERNAME,
                      password=SFTP_PASSWORD, folder="/inbox", host_key=sftp_server.host_key)
    return sftp_server


@pytest.fixture
def poll(sftp, running_services):  # the inbox (and the poll interval) first: the service reads it as it starts
    """`poll()` lists the inboxes once (`poll("poll_sftp_notices")` the notices folders), as the timer would."""
    rostering = running_services["rostering"]
    for entrypoint in rostering.entrypoints:
        if isinstance(entrypoint, Timer):
            entrypoint.stop()  # the tests poll when they mean to, never the timer beside them

    def poll_once(entrypoint: str = "poll_sftp_inboxes") -> list[dict]:
        with entrypoint_hook(rostering, entrypoint) as poll_folders:
            return poll_folders()

    return poll_once

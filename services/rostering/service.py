"""The rostering nameko service: thin entrypoints over handlers."""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

import eventlet
from eventlet import tpool
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.rostering import handlers, settings_handlers, sftp_notices, sftp_pickup, syncing
from services.rostering.adapters.freed_memory import FreedMemory
from services.rostering.adapters.packages import PackageFiles
from services.rostering.adapters.secret_box import SettingsSecrets
from services.rostering.adapters.sources.rest_roster import snapshot_of
from services.rostering.adapters.sources.configured import ConfiguredSources
from services.rostering.adapters.sources.oneroster_csv.package_limits import PACKAGE_BYTES
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.adapters.sources.sftp.drop import StagedDrop
from services.rostering.adapters.sources.sftp.inbox import SftpInbox
from services.rostering.adapters.sync_state import SyncState
from services.rostering.adapters.ticking import every_second
from services.rostering.adapters.upload_watch import TICK_SECONDS, UploadWatch
from services.rostering.domain.enrollments_read_before import EnrollmentsReadBefore
from services.rostering.domain.people_read_before import PeopleReadBefore
from services.rostering.domain.progress import RowCount
from services.rostering.domain.snapshot import Snapshot
from services.rostering.importing import ImportPorts
from shared.callers import ActingAsItself, CallerCredential, CallerVerification
from shared.contracts import directory, identity, notify, rostering
from shared.db import Database
from shared.health import HealthCheck
from shared.messaging import ServiceRpc, handles, rpc_endpoint
from shared.outbox import Outbox, ProcessedEvents
from shared.outbox_relay import OutboxRelay
from shared.platform_identity import PlatformIdentity
from shared.request_tracing import RequestTracing


T = TypeVar("T")

# How often the daily schedule looks for districts whose time has come: a run starts within this of its time.
SCHEDULE_EVERY_SECONDS = 60


class RunOwner(DependencyProvider):
    """This service instance as the runs it works on name it: a restarted instance is a new owner, so what a
    dead one left running stops beating and is failed (handlers.keep_runs_alive)."""

    def setup(self) -> None:
        self.owner = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def get_dependency(self, worker_ctx) -> str:
        return self.owner


class GivenBackMemory(DependencyProvider):
    """A run's freed memory handed back to the system when it ends (adapters/freed_memory.py). Set up before the
    first reading thread starts, so that those threads share one heap instead of keeping one each."""

    def setup(self) -> None:
        self.memory = FreedMemory()
        self.memory.share_heaps()

    def get_dependency(self, worker_ctx) -> Callable[[], bool]:
        return self.memory.give_back


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class KeptPeople(DependencyProvider):
    """The people this process's last read of users built, for its next read (domain/people_read_before.py)."""

    def setup(self) -> None:
        self.read_before = PeopleReadBefore()

    def get_dependency(self, worker_ctx) -> PeopleReadBefore:
        return self.read_before


class KeptEnrollmentReads(DependencyProvider):
    """This process's last read of a package's enrollments.csv, for its next (domain/enrollments_read_before.py)."""

    def setup(self) -> None:
        self.read_before = EnrollmentsReadBefore()

    def get_dependency(self, worker_ctx) -> EnrollmentsReadBefore:
        return self.read_before


def read_in_thread(path: str, region: str, rows: RowCount | None = None, *,
                   read_before: PeopleReadBefore | None = None,
                   enrollments_before: EnrollmentsReadBefore | None = None) -> Snapshot:
    # Parsing a district's CSVs takes seconds of CPU and blocking file reads; on
    # the hub that would starve broker heartbeats, so it runs in a real thread.
    return tpool.execute(read_package, path, region=region, rows=rows, read_before=read_before,
                         enrollments_before=enrollments_before)


def started_ahead(work: Callable[[], T]) -> Callable[[], T]:
    # A green thread: it runs while the run waits on another service's answer (the hub is free then), and its
    # result is asked for when the stage that needs it comes.
    return eventlet.spawn(work).wait


def parse_in_thread(fetched: dict, region: str, *, read_before: PeopleReadBefore | None = None) -> Snapshot:
    # A provider's roster is fetched on the hub (network waits yield); reading it is CPU, as a package's is.
    return tpool.execute(snapshot_of, fetched, region, read_before)


class RosteringService:
    name = rostering.NAME
    callers = CallerVerification()  # who may call what: shared/callers.py
    platform = PlatformIdentity()  # this service's own token on every call it makes: shared/platform_identity.py
    tracing = RequestTracing()  # the request id of whatever caused this work, on its log lines
    health = HealthCheck()  # its database answers: shared/health.py

    sync_state = Database(rostering.NAME, SyncState)
    settings_secrets = SettingsSecrets()  # seals and opens districts' source secrets (ROSTERING_SETTINGS_KEY)
    directory_rpc = ServiceRpc(directory.contract)
    identity_rpc = ServiceRpc(identity.contract)
    notify_rpc = ServiceRpc(notify.contract)
    credential = CallerCredential()  # a notices folder's announcements go out as the district's notices credential
    act_as_itself = ActingAsItself()  # a run applies as rostering, not as whoever asked for it (their token expires)
    # Its events go to its outbox with the change they describe; the relay publishes them (shared/outbox.py).
    publish = Outbox(rostering.contract, database="sync_state")
    relay = OutboxRelay(database="sync_state")
    processed_events = ProcessedEvents(database="sync_state")  # each event it handles, once
    owner = RunOwner()
    give_back_memory = GivenBackMemory()
    kept_people = KeptPeople()
    kept_enrollments = KeptEnrollmentReads()
    sftp_watch = UploadWatch()
    notices_watch = UploadWatch()

    @rpc_endpoint(rostering.check_health)
    def check_health(self, request: dict) -> dict:
        return self.health()

    @rpc_endpoint(rostering.import_package)
    def import_package(self, request):
        return handlers.import_package(request, ports=self._ports())

    @rpc_endpoint(rostering.preview_import)
    def preview_import(self, request):
        return handlers.preview_import(request, ports=self._ports())

    @rpc_endpoint(rostering.sync_district)
    def sync_district(self, request):
        return syncing.sync_district(request, ports=self._ports())

    @rpc_endpoint(rostering.get_sync_run)
    def get_sync_run(self, request):
        return handlers.get_sync_run(request, runs=self.sync_state.runs, clock=utc_now)

    @rpc_endpoint(rostering.follow_sync_run)
    def follow_sync_run(self, request):
        return handlers.follow_sync_run(request, runs=self.sync_state.runs, clock=utc_now)

    @rpc_endpoint(rostering.list_sync_runs)
    def list_sync_runs(self, request):
        return handlers.list_sync_runs(request, runs=self.sync_state.runs, clock=utc_now)

    @rpc_endpoint(rostering.get_sync_run_changes)
    def get_sync_run_changes(self, request):
        return handlers.get_sync_run_changes(request, runs=self.sync_state.runs, held=self.sync_state.held)

    @rpc_endpoint(rostering.approve_sync_run)
    def approve_sync_run(self, request):
        return handlers.approve_sync_run(request, runs=self.sync_state.runs, held=self.sync_state.held,
                                         publish=self.publish, clock=utc_now)

    @rpc_endpoint(rostering.reject_sync_run)
    def reject_sync_run(self, request):
        return handlers.reject_sync_run(request, runs=self.sync_state.runs, held=self.sync_state.held,
                                        publish=self.publish, clock=utc_now)

    @rpc_endpoint(rostering.plan_district_sync)
    def plan_district_sync(self, request):
        return syncing.plan_district_sync(request, ports=self._ports())

    @rpc_endpoint(rostering.get_district_sync_settings)
    def get_district_sync_settings(self, request):
        return settings_handlers.get_district_sync_settings(request, settings=self.sync_state.settings)

    @rpc_endpoint(rostering.update_district_sync_settings)
    def update_district_sync_settings(self, request):
        return settings_handlers.update_district_sync_settings(
            request, settings=self.sync_state.settings, secrets=self.settings_secrets, directory=self.directory_rpc,
            publish=self.publish, clock=utc_now)

    @rpc_endpoint(rostering.connect_district)
    def connect_district(self, request):
        return settings_handlers.connect_district(
            request, settings=self.sync_state.settings, secrets=self.settings_secrets, directory=self.directory_rpc,
            publish=self.publish, clock=utc_now)

    # The daily schedule: every minute, start the districts whose daily time has come (once a local day each).
    @timer(interval=SCHEDULE_EVERY_SECONDS)
    def start_due_syncs(self):
        return syncing.start_due_syncs(ports=self._ports())

    # An approved run is applied here, in the background; a run that stops part way is marked failed,
    # and its event is not redelivered (applying twice is safe, but a failure would only repeat).
    @handles(rostering.SYNC_RUN_APPROVED)
    def on_sync_run_approved(self, payload):
        self.act_as_itself()
        return handlers.apply_approved_run(payload, ports=self._ports())

    # A district's requested sync is read from its provider and applied here, in the background.
    @handles(rostering.DISTRICT_SYNC_REQUESTED)
    def on_district_sync_requested(self, payload):
        self.act_as_itself()
        return syncing.run_district_sync(payload, ports=self._ports())

    # A requested import is read and applied here, in the background.
    @handles(rostering.PACKAGE_IMPORT_REQUESTED)
    def on_package_import_requested(self, payload):
        self.act_as_itself()
        return handlers.run_package_import(payload, ports=self._ports())

    # Eager: a restarted process fails at once what a dead one left running, so the district can sync again.
    @timer(interval=handlers.HEARTBEAT_SECONDS, eager=True)
    def keep_runs_alive(self):
        handlers.keep_runs_alive(runs=self.sync_state.runs, owner=self.owner, clock=utc_now)

    # Districts that drop their roster on SFTP: each inbox is listed, and a complete drop imported and filed.
    @timer(interval=TICK_SECONDS)
    def poll_sftp_inboxes(self):
        if not self.sftp_watch.due(utc_now()):
            return []
        ports = self._ports()
        return sftp_pickup.poll_inboxes(ports=ports, pickup=self._pickup_ports(ports))

    # Notices CSVs dropped by the SIS: one announcement per row to the student's guardians (sftp_notices.py).
    # Its own worker, so the notices credential it presents never rides on the roster calls.
    @timer(interval=TICK_SECONDS)
    def poll_sftp_notices(self):
        if not self.notices_watch.due(utc_now()):
            return []
        ports = self._ports()
        return sftp_notices.poll_notice_folders(ports=sftp_notices.NoticePorts(
            folders=ports.sources.notice_folders, open_inbox=SftpInbox, identity=self.identity_rpc,
            notify=self.notify_rpc, present=self.credential, applied=ports.applied, seen=self.notices_watch.seen,
            clock=utc_now))

    def _pickup_ports(self, ports: ImportPorts) -> sftp_pickup.PickupPorts:
        sources = ports.sources

        def staged(description: str, folder: Path) -> StagedDrop:
            return StagedDrop(description, folder, read=self._read,
                              guardians_managed=sftp_pickup.guardians_managed(ports))

        return sftp_pickup.PickupPorts(inboxes=sources.sftp_inboxes, region_of=sources.region_of,
                                       open_inbox=SftpInbox, staged=staged, seen=self.sftp_watch.seen,
                                       max_drop_bytes=PACKAGE_BYTES)

    def _sources(self, ports: ImportPorts) -> ConfiguredSources:
        return ConfiguredSources(ports.settings, self.settings_secrets, parse=self._parse, read=self._read,
                                 guardians_managed=sftp_pickup.guardians_managed(ports))

    def _read(self, path: str, region: str, rows: RowCount | None = None) -> Snapshot:
        return read_in_thread(path, region, rows, read_before=self.kept_people,
                              enrollments_before=self.kept_enrollments)

    def _parse(self, fetched: dict, region: str) -> Snapshot:
        return parse_in_thread(fetched, region, read_before=self.kept_people)

    def _ports(self) -> ImportPorts:
        state = self.sync_state
        ports = ImportPorts(runs=state.runs, applied=state.applied, held=state.held, settings=state.settings,
                            directory=self.directory_rpc, identity=self.identity_rpc, publish=self.publish,
                            clock=utc_now, read=self._read, packages=PackageFiles(), marks=state.marks,
                            owner=self.owner, ticking=every_second, ahead=started_ahead,
                            let_others_run=eventlet.sleep,
                            give_back_memory=self.give_back_memory, enrollment_digests=self.kept_enrollments)
        # The sources read a held SFTP drop's guardians.csv by the district's settings, which these ports hold.
        return replace(ports, sources=self._sources(ports))

"""The rostering nameko service: thin entrypoints over handlers."""
from __future__ import annotations

from datetime import datetime, timezone

from eventlet import tpool

from services.rostering import handlers
from services.rostering.adapters.sync_state import SyncState
from services.rostering.domain.reader import read_package
from services.rostering.domain.snapshot import Snapshot
from shared.contracts import directory, identity, rostering
from shared.db import Database
from shared.messaging import EventPublisher, ServiceRpc, rpc_endpoint


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def read_in_thread(path: str, region: str) -> Snapshot:
    # Parsing a district's CSVs takes seconds of CPU and blocking file reads; on
    # the hub that would starve broker heartbeats, so it runs in a real thread.
    return tpool.execute(read_package, path, region=region)


class RosteringService:
    name = rostering.NAME

    sync_state = Database(rostering.NAME, SyncState)
    directory_rpc = ServiceRpc(directory.contract)
    identity_rpc = ServiceRpc(identity.contract)
    publish = EventPublisher(rostering.contract)

    @rpc_endpoint(rostering.import_package)
    def import_package(self, request):
        return handlers.import_package(
            request, runs=self.sync_state.runs, applied=self.sync_state.applied, directory=self.directory_rpc,
            identity=self.identity_rpc,
            publish=self.publish, clock=utc_now, read=read_in_thread,
        )

    @rpc_endpoint(rostering.get_sync_run)
    def get_sync_run(self, request):
        return handlers.get_sync_run(request, runs=self.sync_state.runs)

    @rpc_endpoint(rostering.list_sync_runs)
    def list_sync_runs(self, request):
        return handlers.list_sync_runs(request, runs=self.sync_state.runs)

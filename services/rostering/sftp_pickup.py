"""Pickups from districts' SFTP inboxes: rostering's timer polls each one, takes a complete drop (a OneRoster
CSV package and an optional guardians.csv: domain/sftp_pickup.py decides what is complete), imports it
exactly as a package import (importing.py: same diff, guard and findings), and files it in processed/ or
failed/ with the run's report beside it.

A drop is claimed (moved into processing/) before it is downloaded, so two pollers never import it twice.
A drop that cannot be read at all (a truncated zip, a package without users.csv) is rejected with nothing
applied and goes to failed/; a run the mass-change guard holds was read whole and goes to processed/, its
report saying it awaits approval.
"""
from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Mapping, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from services.rostering.domain import mapping
from services.rostering.domain.run import AWAITING_APPROVAL, COMPLETED, SyncRun
from services.rostering.domain.sftp_pickup import (
    FAILED,
    GUARDIANS_FILE,
    PACKAGE_FOLDER,
    PACKAGE_ZIP,
    PROCESSED,
    Signature,
    choose,
    claim_stamp,
    report_name,
    stale_claims,
    stamped,
)
from services.rostering.domain.snapshot import Snapshot
from services.rostering.handlers import finish_run, new_run_id
from services.rostering.importing import ImportPorts, run_import
from services.rostering.ports import Inbox, RosterSource
from shared.contracts import rostering

log = logging.getLogger(__name__)
FILED_AS_READ = (COMPLETED, AWAITING_APPROVAL)


@dataclass(frozen=True)
class PickupPorts:
    """What polling needs beside an import's ports."""

    inboxes: Callable[[], Mapping[str, object]]  # district -> its connection, from its sync settings
    region_of: Callable[[str], str]
    open_inbox: Callable[[object], AbstractContextManager[Inbox]]
    staged: Callable[[str, Path], RosterSource]  # a staging folder (package.zip or package/, guardians.csv)
    seen: MutableMapping[str, dict[str, Signature]]  # per inbox, what the last poll saw
    max_drop_bytes: int  # a larger drop is not downloaded: no package that large could be read


def poll_inboxes(*, ports: ImportPorts, pickup: PickupPorts) -> list[dict]:
    """Every configured inbox polled once; the runs of what was picked up. An unreachable inbox is logged and
    polled again next time."""
    runs = []
    for district, connection in pickup.inboxes().items():
        try:
            run = poll_inbox(district, connection, ports=ports, pickup=pickup)
        except Exception:  # one district's inbox must not stop the others'
            log.exception("SFTP inbox of district %s not polled", district)
            continue
        if run is not None:
            runs.append(run)
    return runs


def poll_inbox(district: str, connection, *, ports: ImportPorts, pickup: PickupPorts,
               new_id: Callable[[], str] = new_run_id) -> dict | None:
    with pickup.open_inbox(connection) as inbox:
        address = connection.address
        for claimed, name in stale_claims(inbox.claimed(), now=ports.clock()):
            log.warning("SFTP %s: %s was claimed hours ago and never filed; dropped back as %s", address, claimed, name)
            inbox.release(claimed, name)
        choice = choose(inbox.entries(), pickup.seen.get(address, {}))
        pickup.seen[address] = choice.seen
        if choice.package is None:
            if choice.waiting:
                log.info("SFTP %s: waiting for %s to be complete", address, ", ".join(choice.waiting))
            return None
        run_id = new_id()
        stamp = claim_stamp(ports.clock(), run_id)
        package = stamped(stamp, choice.package.name)
        if not inbox.claim(choice.package.name, package):
            return None  # another poller took it
        guardians = stamped(stamp, choice.guardians.name) if choice.guardians else None
        if guardians is not None and not inbox.claim(choice.guardians.name, guardians):
            guardians = None
        for marker in choice.markers:
            inbox.remove(marker)
        description = f"SFTP {address}/{choice.package.name}" + (f" with {choice.guardians.name}" if guardians else "")
        run = SyncRun(run_id=run_id, source=description, started_at=ports.clock())
        ports.runs.add(run)
        request = {"district": district, "region": pickup.region_of(district), "district_name": None,
                   "full": False, "requested_by": f"sftp:{district}"}

        size = sum(entry.signature[0] for entry in (choice.package, choice.guardians) if entry is not None)

        def work() -> None:
            if size > pickup.max_drop_bytes:
                run.reject(f"the drop holds {size:,} bytes, more than the {pickup.max_drop_bytes:,} a package may "
                           "hold; nothing was downloaded", ports.clock())
                return
            with tempfile.TemporaryDirectory(prefix="sftp-drop-") as folder:
                staging = Path(folder)
                try:
                    inbox.download(package, staging / (PACKAGE_FOLDER if choice.package.is_folder else PACKAGE_ZIP))
                    if guardians is not None:
                        inbox.download(guardians, staging / GUARDIANS_FILE)
                except OSError as failure:
                    run.reject(f"the drop could not be downloaded from {address}: {failure}", ports.clock())
                    return
                run_import(request, run, ports, source=pickup.staged(description, staging))

        finish_run(run, ports, work)
        outcome = PROCESSED if run.state in FILED_AS_READ else FAILED
        for claimed in filter(None, (package, guardians)):
            inbox.file(claimed, outcome)
        inbox.write(outcome, report_name(package), report_of(run))
        log.info("SFTP %s: %s imported as run %s (%s), filed in %s/", address, choice.package.name, run.run_id,
                 run.state, outcome)
        return run.as_payload()


def report_of(run: SyncRun) -> bytes:
    """The run's report as get_sync_run answers it, for whoever reads the inbox."""
    return json.dumps(rostering.SyncRun().dump(run.as_payload()), indent=2, sort_keys=True).encode()


def guardians_managed(ports: ImportPorts) -> Callable[[Snapshot], bool]:
    """Whether the district a snapshot names lets its sync manage guardians, by its settings (a district never
    imported yet has the default settings: managed)."""
    def managed(snapshot: Snapshot) -> bool:
        try:
            district_key = mapping.district_row(snapshot)["source_id"]
        except mapping.DistrictUnknown:
            return True
        district_id = ports.applied.district_id_of(district_key)
        return district_id is None or ports.settings.get(district_id).sync_manages_guardians

    return managed

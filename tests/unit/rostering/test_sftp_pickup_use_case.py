"""One poll of an SFTP inbox against in-memory ports: a complete drop is claimed, imported as a package import and
filed with its report; what cannot be read is filed in failed/ with nothing applied."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from rostering_builders import make_snapshot
from rostering_fakes import FakeInbox, FakeSource, Importer

from services.rostering import sftp_pickup
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.sftp_pickup import Entry


class Connection:
    address = "sftp://district@sftp.example:22/inbox"


@pytest.fixture
def importer():
    return Importer()


def pickup(inbox: FakeInbox, answer, *, max_drop_bytes: int = 10_000, staged_folders: list | None = None):
    def staged(description: str, folder: Path):
        if staged_folders is not None:
            staged_folders.append(sorted(path.name for path in folder.iterdir()))
        return FakeSource(description, answer)

    return sftp_pickup.PickupPorts(inboxes=lambda: {"lincoln": Connection()}, region_of=lambda district: "US",
                                   open_inbox=lambda connection: inbox, staged=staged, seen={},
                                   max_drop_bytes=max_drop_bytes)


def test_a_marked_drop_is_claimed_imported_and_filed_in_processed_with_its_report(importer):
    inbox = FakeInbox(Entry("roster.zip", 100, 1), Entry("roster.zip.done", 0, 1), Entry("guardians.csv", 10, 1),
                      Entry("guardians.csv.done", 0, 1))
    folders: list = []
    (run,) = sftp_pickup.poll_inboxes(ports=importer.ports(), pickup=pickup(inbox, make_snapshot(),
                                                                            staged_folders=folders))

    assert run["state"] == "completed" and run["source"].endswith("/inbox/roster.zip with guardians.csv")
    assert folders == [["guardians.csv", "package.zip"]]
    assert sorted(inbox.claims.values()) == ["guardians.csv", "roster.zip"]
    assert set(inbox.filed.values()) == {"processed"} and inbox.uploads == {}
    ((folder, name), report), = inbox.written.items()
    assert folder == "processed" and name.endswith("-roster.zip.report.json")
    assert json.loads(report)["run_id"] == run["run_id"] and json.loads(report)["state"] == "completed"
    assert importer.directory.saved_ids("upsert_people")


def test_a_drop_that_cannot_be_read_is_filed_in_failed_with_nothing_applied(importer):
    inbox = FakeInbox(Entry("roster.zip", 100, 1), Entry("roster.done", 0, 1))
    (run,) = sftp_pickup.poll_inboxes(ports=importer.ports(), pickup=pickup(
        inbox, PackageRejected("roster.zip is not a readable folder or zip")))
    assert run["state"] == "rejected" and set(inbox.filed.values()) == {"failed"}
    assert importer.methods_called() == []


def test_a_drop_larger_than_any_package_is_not_downloaded(importer):
    inbox = FakeInbox(Entry("roster.zip", 50_000, 1), Entry("roster.done", 0, 1))
    folders: list = []
    (run,) = sftp_pickup.poll_inboxes(ports=importer.ports(), pickup=pickup(inbox, make_snapshot(),
                                                                            staged_folders=folders))
    assert run["state"] == "rejected" and "more than the 10,000" in run["message"]
    assert folders == [] and set(inbox.filed.values()) == {"failed"}


def test_a_drop_another_poller_claimed_first_is_left_to_it(importer):
    inbox = FakeInbox(Entry("roster.zip", 100, 1), Entry("roster.done", 0, 1))
    inbox.taken_by_another.add("roster.zip")
    assert sftp_pickup.poll_inboxes(ports=importer.ports(), pickup=pickup(inbox, make_snapshot())) == []
    assert importer.runs.recent(10) == []


def test_nothing_complete_means_no_run(importer):
    inbox = FakeInbox(Entry("roster.zip", 100, 1))
    assert sftp_pickup.poll_inboxes(ports=importer.ports(), pickup=pickup(inbox, make_snapshot())) == []
    assert inbox.claims == {}


def test_one_inbox_failing_does_not_stop_the_others(importer):
    def broken(connection):
        raise OSError("connection refused")

    ports = sftp_pickup.PickupPorts(inboxes=lambda: {"lincoln": Connection()}, region_of=lambda district: "US",
                                    open_inbox=broken, staged=None, seen={}, max_drop_bytes=1)
    assert sftp_pickup.poll_inboxes(ports=importer.ports(), pickup=ports) == []


def test_a_claim_left_in_processing_for_hours_is_dropped_back_into_the_inbox(importer):
    inbox = FakeInbox()
    inbox.left_in_processing += ["20250901T000000Z-0123abcd-roster.zip", "20250901T055900Z-4567abcd-recent.zip"]
    sftp_pickup.poll_inboxes(ports=importer.ports(), pickup=pickup(inbox, make_snapshot()))
    assert inbox.released == [("20250901T000000Z-0123abcd-roster.zip", "roster.zip")]

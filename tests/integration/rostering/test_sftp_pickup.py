"""A district's drops picked up from a loopback SFTP inbox by the running rostering service: a complete package is
imported and filed in processed/ with its report; a truncated upload goes to failed/ with nothing applied;
guardians.csv is laid over the package only when the district's sync does not manage guardians."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from roster_csv import make_user_row, write_package
from run_waiting import wait_for
from sftp_drops import configure_lincoln, drop_zip, filed, inbox, zipped

from shared.contracts.errors import InvalidRequest
from shared.testing.sftp_fake import FakeSftpServer, client_key, private_key_text

pytestmark = pytest.mark.postgres

GUARDIANS = ("Student ID,Guardian Name,Email,SMS,Phone,Relationship\n"
             "student-1,Dana Reyes,dana@example.org,(415) 555-0101,(415) 555-0199,mother\n"
             "student-9,Sam Stone,sam@example.org,,,father\n")


def report(server: FakeSftpServer, outcome: str) -> dict:
    return json.loads(filed(server, outcome)["roster.zip.report.json"].read_text())


def test_a_complete_zip_is_imported_and_filed_in_processed_with_its_report(sftp, poll, recorder, tmp_path,
                                                                          rostering_rpc):
    drop_zip(sftp, tmp_path)
    assert poll() == []  # seen once: it may still be uploading
    (run,) = poll()

    assert run["state"] == "completed" and run["source"].endswith("/inbox/roster.zip")
    assert recorder.saved_ids("upsert_people").keys() == {"student-1", "teacher-1", "guardian-1"}
    assert set(filed(sftp, "processed")) == {"roster.zip", "roster.zip.report.json"}
    assert report(sftp, "processed")["run_id"] == run["run_id"]
    assert rostering_rpc.get_sync_run({"run_id": run["run_id"]})["state"] == "completed"
    assert not any(inbox(sftp).glob("*.zip")) and not any((inbox(sftp) / "processing").iterdir())
    assert poll() == []  # picked up once


def test_a_done_marker_makes_the_upload_complete_at_once_and_a_folder_package_is_read_too(sftp, poll, recorder,
                                                                                         tmp_path):
    write_package(inbox(sftp) / "export")
    (inbox(sftp) / "export.done").write_text("")
    (run,) = poll()
    assert run["state"] == "completed" and recorder.saved_ids("upsert_people")
    assert {"export", "export.report.json"} == set(filed(sftp, "processed"))
    assert not (inbox(sftp) / "export.done").exists()


def test_an_upload_still_growing_is_not_picked_up(sftp, poll, recorder, tmp_path):
    drop_zip(sftp, tmp_path)
    poll()
    with (inbox(sftp) / "roster.zip").open("ab") as growing:
        growing.write(b"\0" * 10)
    assert poll() == [] and recorder.calls == []


def test_a_truncated_zip_goes_to_failed_with_a_clear_report_and_nothing_applied(sftp, poll, recorder, tmp_path):
    whole = drop_zip(sftp, tmp_path).read_bytes()
    (inbox(sftp) / "roster.zip").write_bytes(whole[: len(whole) // 2])
    (inbox(sftp) / "roster.zip.done").write_text("")

    (run,) = poll()
    assert run["state"] == "rejected" and "not a readable folder or zip" in run["message"]
    assert recorder.calls == []
    assert set(filed(sftp, "failed")) == {"roster.zip", "roster.zip.report.json"}
    assert report(sftp, "failed")["message"] == run["message"]


def test_a_package_missing_its_users_goes_to_failed(sftp, poll, recorder, tmp_path):
    export = write_package(tmp_path / "export")
    (export / "users.csv").unlink()
    zipped(export, inbox(sftp) / "roster.zip")
    (inbox(sftp) / "roster.zip.done").write_text("")

    (run,) = poll()
    assert run["state"] == "rejected" and "has no users.csv" in run["message"]
    assert recorder.calls == [] and "roster.zip" in filed(sftp, "failed")


def test_guardians_csv_is_not_used_while_the_sync_manages_guardians(sftp, poll, recorder, tmp_path):
    drop_zip(sftp, tmp_path)
    (inbox(sftp) / "guardians.csv").write_text(GUARDIANS)
    (inbox(sftp) / "roster.zip.done").write_text("")
    (inbox(sftp) / "guardians.csv.done").write_text("")

    (run,) = poll()
    assert run["state"] == "completed" and run["source"].endswith("roster.zip with guardians.csv")
    assert not any(key.startswith("guardians.csv:") for key in recorder.saved_ids("upsert_people"))
    assert any("sync_manages_guardians" in warning["reason"] for warning in run["warnings"])
    assert "guardians.csv" in filed(sftp, "processed")


def test_guardians_csv_gives_guardians_when_the_sync_does_not_manage_them(sftp, poll, recorder, tmp_path,
                                                                          rostering_rpc):
    drop_zip(sftp, tmp_path)
    (inbox(sftp) / "roster.zip.done").write_text("")
    (first,) = poll()
    rostering_rpc.update_district_sync_settings({"district_id": first["district_id"], "changed_by": "admin-1",
                                                 "sync_manages_guardians": False})
    shutil.rmtree(tmp_path / "export")
    drop_zip(sftp, tmp_path, "tuesday.zip")
    (inbox(sftp) / "guardians.csv").write_text(GUARDIANS)
    (inbox(sftp) / "tuesday.zip.done").write_text("")
    (inbox(sftp) / "guardians.csv.done").write_text("")

    (run,) = poll()
    assert run["state"] == "completed"
    dana = "guardians.csv:email:dana@example.org"
    assert dana in recorder.saved_ids("upsert_people")
    (link,) = [row for (method, key), (row, _) in recorder.saved.items()
               if method == "upsert_guardian_links" and key == f"{dana}:student-1"]
    assert link["relationship"] == "mother"
    account = next(row for row, _ in (recorder.saved[key] for key in recorder.saved if key[0] == "upsert_accounts")
                   if row.get("email") == "dana@example.org")
    assert (account["mobile_phone"], account["home_phone"]) == ("+14155550101", "+14155550199")
    unknown = [error for error in run["errors"] if error["file"] == "guardians.csv"]
    assert [(error["line"], error["value"]) for error in unknown] == [(3, "student-9")]
    assert not any(key.startswith("guardians.csv:email:sam") for key in recorder.saved_ids("upsert_people"))


def test_a_private_key_signs_in_too(sftp, poll, tmp_path, rostering_rpc):
    configure_lincoln(rostering_rpc, password=None, private_key=private_key_text(client_key()))
    drop_zip(sftp, tmp_path)
    (inbox(sftp) / "roster.zip.done").write_text("")
    (run,) = poll()
    assert run["state"] == "completed" and "publickey" in sftp.logins


def test_wrong_credentials_pick_up_nothing_and_leave_the_drop(sftp, poll, recorder, tmp_path, rostering_rpc):
    configure_lincoln(rostering_rpc, password="an-old-password")
    drop_zip(sftp, tmp_path)
    (inbox(sftp) / "roster.zip.done").write_text("")
    assert poll() == [] and recorder.calls == []
    assert (inbox(sftp) / "roster.zip").exists()


def test_an_sftp_district_is_not_synced_on_request(sftp, rostering_rpc):
    with pytest.raises(InvalidRequest, match="picked up from its SFTP inbox"):
        rostering_rpc.sync_district({"district": "lincoln"})


def test_a_held_drop_is_applied_on_approval_from_what_was_picked_up_guardians_included(sftp, poll, recorder, tmp_path,
                                                                                       rostering_rpc):
    students = [make_user_row(sourcedId=f"student-{n}") for n in range(1, 21)]
    drop_zip(sftp, tmp_path, users=students)
    (inbox(sftp) / "roster.zip.done").write_text("")
    (first,) = poll()
    rostering_rpc.update_district_sync_settings({"district_id": first["district_id"], "changed_by": "admin-1",
                                                 "sync_manages_guardians": False})
    shutil.rmtree(tmp_path / "export")
    drop_zip(sftp, tmp_path, "tuesday.zip", users=students[:10])  # ten students gone: the guard holds it
    (inbox(sftp) / "guardians.csv").write_text(GUARDIANS)
    (inbox(sftp) / "tuesday.zip.done").write_text("")
    (inbox(sftp) / "guardians.csv.done").write_text("")

    (held,) = poll()
    assert held["state"] == "awaiting_approval" and "tuesday.zip" in filed(sftp, "processed")
    rostering_rpc.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1"})

    wait_for(rostering_rpc, held["run_id"], "completed")
    archived = {key for entity, key in recorder.records.archived if entity == "people"}
    assert archived == {f"student-{n}" for n in range(11, 21)}
    assert "guardians.csv:email:dana@example.org" in recorder.saved_ids("upsert_people")


def test_a_drop_a_stopped_poller_left_in_processing_is_picked_up_again(sftp, poll, recorder, tmp_path):
    (inbox(sftp) / "processing").mkdir()
    zipped(write_package(tmp_path / "export"), inbox(sftp) / "processing" / "20200101T000000Z-0123abcd-roster.zip")
    assert poll() == [] and (inbox(sftp) / "roster.zip").exists()
    (run,) = poll()
    assert run["state"] == "completed" and "roster.zip" in filed(sftp, "processed")

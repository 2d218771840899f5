"""Automated announcements from a notices CSV the SIS drops in the district's SFTP notices folder: one
announcement per row to the student's guardians, sent as the district's notices credential, with a report
beside the filed CSV; rows naming unknown students reported, not sent."""
from __future__ import annotations

import json

import pytest
from sftp_drops import configure_lincoln, drop_zip, filed, inbox

from shared.testing.fake_notify import RecordingNotify, fake_notify_service
from shared.testing.principals import make_principal

pytestmark = pytest.mark.postgres

NOTICES_CREDENTIAL = ("lincoln-notices", "notices-secret")
ABSENCES = ("Student ID,Student Name,Status,Date\n"
            "student-1,Ada Lovelace,absent,2026-09-01\n"
            "student-9,Sam Stone,absent,2026-09-01\n")


@pytest.fixture
def notify_recorder(container_factory, rostering_config):
    recorder = RecordingNotify()
    container_factory(fake_notify_service(recorder), rostering_config).start()
    return recorder


@pytest.fixture
def notices(sftp, poll, recorder, tmp_path, rostering_rpc, notify_recorder):
    """District lincoln imported once from its inbox, then given a notices folder and credential."""
    drop_zip(sftp, tmp_path)
    (inbox(sftp) / "roster.zip.done").write_text("")
    (run,) = poll()
    (sftp.root / "notices").mkdir()
    configure_lincoln(rostering_rpc, notices_folder="/notices", notices_subject="Attendance: {Student Name}",
                      notices_body="{Student Name} was marked {Status} on {Date}.",
                      notices_client_id=NOTICES_CREDENTIAL[0], notices_client_secret=NOTICES_CREDENTIAL[1])
    sender = make_principal(person_id="service:lincoln-notices", district_id=run["district_id"],
                            display_name="Lincoln notices")
    recorder.service_credentials[NOTICES_CREDENTIAL] = sender
    return sender


def test_each_row_goes_to_its_students_guardians_as_the_notices_credential_with_a_report(sftp, poll, notices,
                                                                                       recorder, notify_recorder):
    (sftp.root / "notices" / "absences.csv").write_text(ABSENCES)
    (sftp.root / "notices" / "absences.csv.done").write_text("")

    (report,) = poll("poll_sftp_notices")
    (sent, credential), = notify_recorder.announcements
    assert credential == "lincoln-notices-token" and sent["sender"] == notices
    student = recorder.saved_ids("upsert_people")["student-1"]
    audience = {name: value for name, value in sent["audience"].items() if value is not None}
    assert audience == {"person_ids": [student], "include_students": False, "include_guardians": True,
                        "include_staff": False}
    assert (sent["subject"], sent["body"]) == ("Attendance: Ada Lovelace",
                                               "Ada Lovelace was marked absent on 2026-09-01.")
    assert report["state"] == "completed" and [row["line"] for row in report["sent"]] == [2]
    assert [(problem["line"], problem["value"]) for problem in report["problems"]] == [(3, "student-9")]
    kept = filed(sftp, "processed", "notices")
    assert set(kept) == {"absences.csv", "absences.csv.report.json"}
    assert json.loads(kept["absences.csv.report.json"].read_text())["sent"] == report["sent"]


def test_a_notices_file_is_picked_up_once_complete_and_only_once(sftp, poll, notices, notify_recorder):
    (sftp.root / "notices" / "absences.csv").write_text(ABSENCES)
    assert poll("poll_sftp_notices") == []  # seen once: it may still be uploading
    assert len(poll("poll_sftp_notices")) == 1
    assert poll("poll_sftp_notices") == [] and len(notify_recorder.announcements) == 1


def test_a_file_the_templates_cannot_fill_goes_to_failed_and_nothing_is_sent(sftp, poll, notices, notify_recorder):
    (sftp.root / "notices" / "absences.csv").write_text("Student ID,Status\nstudent-1,absent\n")
    (sftp.root / "notices" / "absences.csv.done").write_text("")
    (report,) = poll("poll_sftp_notices")
    assert report["state"] == "rejected" and "Student Name" in report["message"]
    assert notify_recorder.announcements == [] and "absences.csv" in filed(sftp, "failed", "notices")


def test_a_refused_notices_credential_sends_nothing(sftp, poll, notices, notify_recorder, rostering_rpc):
    configure_lincoln(rostering_rpc, notices_client_secret="an-old-secret")
    (sftp.root / "notices" / "absences.csv").write_text(ABSENCES)
    (sftp.root / "notices" / "absences.csv.done").write_text("")
    (report,) = poll("poll_sftp_notices")
    assert report["state"] == "rejected" and "lincoln-notices was refused" in report["message"]
    assert notify_recorder.announcements == []

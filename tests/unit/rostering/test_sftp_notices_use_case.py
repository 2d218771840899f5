"""One poll of a notices folder against in-memory ports: rows sent one announcement each, as the notices
credential; a row notify refuses is reported and the others still go."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rostering_fakes import FakeAppliedRows, FakeClock, FakeInbox

from services.rostering import sftp_notices
from services.rostering.domain.applied_rows import AppliedRow
from services.rostering.domain.sftp_pickup import Entry
from shared.contracts.errors import InvalidRequest, NotAuthenticated
from shared.testing.principals import make_principal

SENDER = make_principal(person_id="service:notices", district_id="directory-district")
CSV = "Student ID,Status\nstudent-1,absent\nstudent-2,absent\nstudent-9,absent\n"


@dataclass
class Folder:
    connection: object = field(default_factory=lambda: type("Connection", (), {"address": "sftp://x/notices"})())
    subject: str = "Attendance"
    body: str = "Marked {Status}"
    client_id: str = "notices"
    client_secret: str = "secret"
    priority: bool = False


class CsvInbox(FakeInbox):
    def download(self, claimed: str, local: Path) -> None:
        local.write_text(CSV)


class Identity:
    def __init__(self, refuse: bool = False):
        self.refuse = refuse

    def issue_service_token(self, request):
        if self.refuse:
            raise NotAuthenticated("the client id or secret is not valid")
        return {"token": "notices-token", "principal": SENDER, "scopes": ["announcements:send"],
                "expires_at": datetime(2030, 1, 1, tzinfo=timezone.utc)}


class Notify:
    def __init__(self, refusing: set[str]):
        self.sent, self.refusing = [], refusing

    def send_announcement(self, request):
        if request["audience"]["person_ids"][0] in self.refusing:
            raise InvalidRequest("nobody in the audience")
        self.sent.append(request)
        return {"communication_id": f"c-{len(self.sent)}", "recipient_count": 2}


def poll(identity: Identity, notify: Notify, presented: list):
    applied = FakeAppliedRows()
    applied.start("district-1", "directory-district")
    applied.remember("district-1", "people", {f"student-{n}": AppliedRow(b"", f"person-{n}") for n in (1, 2)})
    inbox = CsvInbox(Entry("absences.csv", 100, 1), Entry("absences.csv.done", 0, 1))
    ports = sftp_notices.NoticePorts(folders=lambda: {"lincoln": Folder()}, open_inbox=lambda connection: inbox,
                                     identity=identity, notify=notify, present=presented.append, applied=applied,
                                     seen={}, clock=FakeClock())
    return sftp_notices.poll_notice_folders(ports=ports), inbox


def test_rows_go_out_as_the_notices_credential_and_a_refused_row_is_reported():
    presented: list = []
    notify = Notify(refusing={"person-2"})
    (report,), inbox = poll(Identity(), notify, presented)
    assert presented == ["notices-token"] and [sent["sender"] for sent in notify.sent] == [SENDER]
    assert [row["student_source_id"] for row in report["sent"]] == ["student-1"]
    assert {problem["value"]: problem["reason"] for problem in report["problems"]} == {
        "student-2": "notify refused it: nobody in the audience",
        "student-9": "no student student-9 in the district: not sent"}
    assert set(inbox.filed.values()) == {"processed"}


def test_a_refused_credential_sends_nothing_and_files_the_csv_in_failed():
    notify = Notify(refusing=set())
    (report,), inbox = poll(Identity(refuse=True), notify, [])
    assert report["state"] == "rejected" and notify.sent == [] and set(inbox.filed.values()) == {"failed"}

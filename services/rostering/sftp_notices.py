"""Automated announcements from a CSV an SIS drops in a district's SFTP notices folder (attendance-style notices).

The timer polls each configured notices folder; a complete `*.csv` (domain/sftp_pickup.py's rules) is claimed,
read (domain/notice_file.py), and each row sent through notify as one announcement to that student's guardians,
as the district's notices credential. The file is filed in processed/ with a report of what was sent and what
was not (rows naming students the district does not hold are reported, never sent), or in failed/ when it could
not be sent from at all (no Student ID column, a template naming a missing column, the credential refused).
"""
from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Callable, Mapping, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.rostering.domain.notice_file import NoticeFileRefused, addressed, read_notices
from services.rostering.domain.sftp_pickup import (
    FAILED,
    PROCESSED,
    Signature,
    choose_file,
    claim_stamp,
    report_name,
    stamped,
)
from services.rostering.domain.snapshot import RowProblem
from services.rostering.ports import AppliedRows, Clock, Inbox
from shared.contracts.errors import PlatformError

log = logging.getLogger(__name__)
NOTICES_SUFFIX = ".csv"
PEOPLE = "people"


@dataclass(frozen=True)
class NoticePorts:
    folders: Callable[[], Mapping[str, Any]]  # district -> its NoticeFolder, from its sync settings
    open_inbox: Callable[[Any], AbstractContextManager[Inbox]]
    identity: Any  # ServiceRpc(identity.contract): issue_service_token
    notify: Any  # ServiceRpc(notify.contract): send_announcement
    present: Callable[[str], None]  # the worker's calls from now on carry this credential
    applied: AppliedRows
    seen: MutableMapping[str, dict[str, Signature]]
    clock: Clock


def poll_notice_folders(*, ports: NoticePorts) -> list[dict]:
    reports = []
    for district, folder in ports.folders().items():
        try:
            report = poll_notice_folder(district, folder, ports=ports)
        except Exception:  # one district's folder must not stop the others'
            log.exception("SFTP notices folder of district %s not polled", district)
            continue
        if report is not None:
            reports.append(report)
    return reports


def poll_notice_folder(district: str, folder, *, ports: NoticePorts) -> dict | None:
    connection = folder.connection
    with ports.open_inbox(connection) as inbox:
        choice = choose_file(inbox.entries(), ports.seen.get(connection.address, {}), suffix=NOTICES_SUFFIX)
        ports.seen[connection.address] = choice.seen
        if choice.package is None:
            return None
        name = choice.package.name
        started = ports.clock()
        claimed = stamped(claim_stamp(started, uuid.uuid4().hex), name)
        if not inbox.claim(name, claimed):
            return None
        for marker in choice.markers:
            inbox.remove(marker)
        with tempfile.TemporaryDirectory(prefix="sftp-notices-") as staging:
            local = Path(staging) / "notices.csv"
            inbox.download(claimed, local)
            report = _send_file(local, name, folder, ports)
        report = {"district": district, "file": name, "started_at": started.isoformat(),
                  "finished_at": ports.clock().isoformat(), **report}
        outcome = PROCESSED if report["state"] == "completed" else FAILED
        inbox.file(claimed, outcome)
        inbox.write(outcome, report_name(claimed), json.dumps(report, indent=2).encode())
        log.info("SFTP %s: %s sent %d notice(s), %d not sent (%s)", connection.address, name, len(report["sent"]),
                 len(report["problems"]), report["state"])
        return report


def _send_file(local: Path, name: str, folder, ports: NoticePorts) -> dict:
    try:
        with local.open(encoding="utf-8-sig", newline="") as lines:
            rows = read_notices(lines, file=name, subject=folder.subject, body=folder.body)
    except (NoticeFileRefused, UnicodeDecodeError) as refused:
        return _refused(f"{refused}; nothing was sent")
    try:
        credential = ports.identity.issue_service_token({"client_id": folder.client_id,
                                                         "client_secret": folder.client_secret})
    except PlatformError as refused:
        return _refused(f"the notices credential {folder.client_id} was refused ({refused}); nothing was sent")
    principal = credential["principal"]
    person_ids = ports.applied.target_ids(principal["district_id"] or "", PEOPLE,
                                          sorted({notice.student_source_id for notice in rows.notices}))
    sendable, problems = addressed(rows, person_ids, file=name)
    ports.present(credential["token"])
    sent = []
    for notice, person_id in sendable:
        try:
            answer = ports.notify.send_announcement({
                "sender": principal, "subject": notice.subject, "body": notice.body, "priority": folder.priority,
                "audience": {"person_ids": [person_id], "include_students": False, "include_guardians": True}})
        except PlatformError as refused:
            problems.append(_row_problem(name, notice.line, notice.student_source_id, f"notify refused it: {refused}"))
            continue
        sent.append({"line": notice.line, "student_source_id": notice.student_source_id,
                     "communication_id": answer["communication_id"], "recipient_count": answer["recipient_count"]})
    return {"state": "completed", "message": None, "sent": sent, "problems": [problem.as_row() for problem in problems]}


def _refused(message: str) -> dict:
    return {"state": "rejected", "message": message, "sent": [], "problems": []}


def _row_problem(file: str, line: int, student: str, reason: str) -> RowProblem:
    return RowProblem(file, line, "Student ID", student, reason)

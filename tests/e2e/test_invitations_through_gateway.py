"""Invitations through the gateway with every process running: one person invited and re-invited (the new
Join link replaces the old one), a classroom's families invited as a job that skips who has joined, an
enabled student reading Invited only once invited, a printable invitation whose code joins, and bad input.

DESIGN.md §3 (Accounts, credentials, invitations; rows I1–I3 and U1).
"""
from __future__ import annotations

import re

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL, STUDENT_CONTACT_SCHOOL
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest
from shared.messaging import cluster_rpc

from district_support import enable_student, find_person_id, import_demo_district, person, sign_in, wait_for

pytestmark = pytest.mark.e2e

INVITED_GUARDIAN = "lincoln-elem-student-2-guardian-1"  # email and mobile
# Elementary students have no email or mobile: once enabled, only a printed invitation reaches them (U1).
CLASS_STUDENT = "lincoln-elem-student-2"
NO_CREDENTIAL_STUDENT = "lincoln-elem-student-3"
NOT_ENABLED_STUDENT = "lincoln-elem-student-1"
HOMEROOM_TEACHER = "lincoln-elem-teacher-1"
MIDDLE_SCHOOL_STUDENT = f"{STUDENT_CONTACT_SCHOOL}-student-1"  # a school email and an SIS mobile
NEW_PASSWORD = "Marigold-plover-Tq8-harbour"
TOKEN = re.compile(r"/join\?token=([A-Za-z0-9_\-%]+)")


@pytest.fixture
def district(stack, tmp_path):
    return import_demo_district(stack, tmp_path / "district")


def invitation_emails(stack, address: str) -> list[str]:
    return [message["body"] for message in stack.sandbox.messages(channel="email", to=address)
            if message["subject"].startswith("Your invitation to join")]


def join(stack, **invitation) -> dict:
    with cluster_rpc(stack.amqp_uri) as rpc:
        return rpc(identity.contract).join({**invitation, "password": NEW_PASSWORD, "language": "en"})


def classroom_of(stack, token: str, student_id: str) -> str:
    response = stack.api("GET", f"/api/v1/directory/students/{student_id}", token)
    assert response.status_code == 200, response.text
    return response.json()["classrooms"][0]["id"]


def finished_job(stack, token: str, job_id: str) -> dict:
    def completed():
        response = stack.api("GET", f"/api/v1/invitations/jobs/{job_id}", token, params={"per_page": 1000})
        assert response.status_code == 200, response.text
        return response.json() if response.json()["state"] == "completed" else None

    return wait_for(completed, what="the invitation job to complete")


def test_invite_resend_and_a_classroom_job_that_skips_whoever_joined(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian = person(district, INVITED_GUARDIAN)
    guardian_id = find_person_id(stack, admin, guardian, "guardian")

    # Send Invitation to Join, then Resend: each email has its own link; only the newest one joins.
    first = stack.api("POST", f"/api/v1/directory/people/{guardian_id}/invitation", admin)
    assert first.status_code == 200, first.text
    assert (first.json()["outcome"], first.json()["channel"]) == ("invited", "email")
    wait_for(lambda: invitation_emails(stack, guardian.email), what="the invitation email")
    resent = stack.api("POST", f"/api/v1/directory/people/{guardian_id}/invitation", admin)
    assert resent.status_code == 200, resent.text
    bodies = wait_for(lambda: (found := invitation_emails(stack, guardian.email)) and len(found) == 2 and found,
                      what="the second invitation email")
    old, new = [TOKEN.search(body).group(1) for body in bodies]
    assert old != new and all("Demo Unified School District invites you" in body for body in bodies)
    report = stack.api("GET", f"/api/v1/announcements/{resent.json()['communication_id']}/report", admin)
    assert report.status_code == 200, report.text
    assert report.json()["subject"] == "Invitation to join Demo Unified School District"
    with pytest.raises(InvalidRequest):
        join(stack, token=old)  # the resend replaced it
    assert join(stack, token=new)["principal"]["status"] == "active"

    # A classroom's guardians and enabled students: whoever joined is skipped, a student not enabled too, an
    # enabled student with no email (I2: never SMS) is unreachable; the other guardians are invited.
    student_id = find_person_id(stack, admin, person(district, CLASS_STUDENT), "student")
    enable_student(stack, admin, student_id)
    started = stack.api("POST", "/api/v1/invitations", admin, json={
        "classroom_id": classroom_of(stack, admin, student_id), "kinds": ["guardian", "student"]})
    assert started.status_code == 202, started.text
    assert started.headers["Location"] == f"/api/v1/invitations/jobs/{started.json()['job_id']}"
    assert started.json()["state"] == "running" and started.json()["total"] > 2
    job = finished_job(stack, admin, started.json()["job_id"])
    results = {row["person_id"]: row for row in job["items"]}
    assert (results[guardian_id]["outcome"], results[guardian_id]["reason"]) == ("skipped", "joined")
    assert (results[student_id]["reason"], results[student_id]["detail"]) == ("no_usable_credential",
                                                                               "no_credential")
    not_enabled = find_person_id(stack, admin, person(district, NOT_ENABLED_STUDENT), "student")
    assert results[not_enabled]["reason"] == "not_enabled"
    invited = [row for row in results.values() if row["outcome"] == "invited"]
    assert invited and {row["channel"] for row in invited} == {"email"}  # every guardian there has an email
    assert job["processed"] == job["total"] == len(results) and job["counts"]["invited"] == len(invited)

    # The same delivery report as announcements: one email line per person invited, sent by the workers.
    def sent_lines():
        report = stack.api("GET", f"/api/v1/announcements/{job['communication_id']}/report", admin,
                           params={"per_page": 1000}).json()
        sent = [line for line in report["items"] if line["status"] in ("sent", "delivered")]
        return sent if len(sent) == len(invited) else None

    sent = wait_for(sent_lines, what="every invitation of the job sent")
    assert {line["person_id"] for line in sent} == {row["person_id"] for row in invited}


def test_an_enabled_student_reads_invited_only_once_an_invitation_was_sent(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    student = person(district, MIDDLE_SCHOOL_STUDENT)
    student_id = find_person_id(stack, admin, student, "student")
    enable_student(stack, admin, student_id)

    def status():
        return stack.api("GET", f"/api/v1/directory/students/{student_id}", admin).json()["student_account_status"]

    wait_for(lambda: status() == "enabled", what="the student enabled")

    invited = stack.api("POST", f"/api/v1/directory/people/{student_id}/invitation", admin)
    assert invited.status_code == 200, invited.text
    assert invited.json()["channel"] == "email"  # I2: never SMS, though the student has a mobile
    wait_for(lambda: status() == "invited", what="the student shown as Invited")
    wait_for(lambda: invitation_emails(stack, student.email), what="the student's invitation email")


def test_a_printable_invitation_is_a_pdf_whose_code_joins_and_bad_input_is_refused_naming_the_field(
        stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    student_id = find_person_id(stack, admin, person(district, NO_CREDENTIAL_STUDENT), "student")
    enable_student(stack, admin, student_id)

    by_email = stack.api("POST", f"/api/v1/directory/people/{student_id}/invitation", admin)
    assert by_email.status_code == 409 and by_email.json()["error"]["fields"] == {
        "person_id": ["no_usable_credential"]}
    printed = stack.api("POST", f"/api/v1/directory/people/{student_id}/printable-invitation", admin)

    assert printed.status_code == 200 and printed.headers["Content-Type"].startswith("application/pdf")
    assert printed.content.startswith(b"%PDF")
    shown = re.findall(rb"\(([^()]*)\) Tj", printed.content)
    code = shown[shown.index(b"Join code") + 1].decode()
    assert join(stack, join_code=code)["principal"]["status"] == "active"

    unknown = stack.api("POST", f"/api/v1/directory/people/{'f' * 32}/invitation", admin)
    assert unknown.status_code == 404 and "person_id" in unknown.json()["error"]["fields"]
    no_kinds = stack.api("POST", "/api/v1/invitations", admin, json={"school_id": "x", "kinds": []})
    assert no_kinds.status_code == 400 and "kinds" in no_kinds.json()["error"]["fields"]
    teacher = sign_in(stack, person(district, HOMEROOM_TEACHER).email)
    school = stack.api("POST", "/api/v1/invitations", teacher, json={"school_id": "x", "kinds": ["guardian"]})
    assert school.status_code == 403
    middle_student = find_person_id(stack, admin, person(district, MIDDLE_SCHOOL_STUDENT), "student")
    other_school_class = classroom_of(stack, admin, middle_student)
    elsewhere = stack.api("POST", "/api/v1/invitations", teacher,
                          json={"classroom_id": other_school_class, "kinds": ["guardian"]})
    assert elsewhere.status_code == 404 and "audience.classroom_id" in elsewhere.json()["error"]["fields"]

"""The delivery loop through the gateway, with every process running: announcements go out through the
workers to the provider sandbox, the sandbox's signed webhooks come back through the gateway to notify,
and what notify learns shows on profiles, in delivery reports and in the unreachable-contacts list.

DESIGN.md §3: bad credentials and their reasons, fallback (F1), Reset Status, priority overriding
preferences (A5, A7), one SMS per user of a shared phone (F2), unreachable contacts (U1).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL

from district_support import PASSWORD, enable_student, find_person_id, import_demo_district, person, sign_in, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.also_on_sqlite]

# Seats of the demo district (schoolctl.demo): student 1's two guardians share the family mobile; students
# 2 and 3 have one guardian each; middle-school students have a school email and an SIS mobile.
LOOP_GUARDIAN = "lincoln-elem-student-2-guardian-1"
UNREACHABLE_GUARDIAN = "lincoln-elem-student-3-guardian-1"
SHARED_PHONE_GUARDIANS = ("lincoln-elem-student-1-guardian-1", "lincoln-elem-student-1-guardian-2")
HOMEROOM_TEACHER = "lincoln-elem-teacher-1"  # teaches students 1 to 8
OTHER_TEACHER = "lincoln-elem-teacher-2"
STUDENT_WITH_PHONE = "roosevelt-middle-student-1"


@pytest.fixture
def district(stack, tmp_path):
    return import_demo_district(stack, tmp_path / "district")


def announce(stack, token: str, person_ids: list[str], subject: str, body: str, **options) -> str:
    audience = {"person_ids": person_ids, "include_guardians": False}
    response = stack.api("POST", "/api/v1/announcements", token,
                         json={"audience": audience, "subject": subject, "body": body, **options})
    assert response.status_code == 202, response.text
    assert response.json()["refused"] == []
    return response.json()["communication_id"]


def report_of(stack, token: str, communication_id: str) -> dict:
    response = stack.api("GET", f"/api/v1/announcements/{communication_id}/report", token,
                         params={"per_page": 1000})
    assert response.status_code == 200, response.text
    return response.json()


def lines_on(report: dict, channel: str) -> list[dict]:
    return [line for line in report["items"] if line["channel"] == channel]


def emails_to(stack, address: str, subject: str) -> list[dict]:
    return [message for message in stack.sandbox.messages(channel="email", to=address)
            if message["subject"] == subject]


def texts_to(stack, number: str, containing: str) -> list[dict]:
    return [message for message in stack.sandbox.messages(channel="sms", to=number)
            if containing in message["body"]]


def delivery_status(stack, token: str, person_id: str, kind: str) -> dict | None:
    response = stack.api("GET", f"/api/v1/directory/people/{person_id}", token)
    assert response.status_code == 200, response.text
    credential = next(c for c in response.json()["credentials"] if c["kind"] == kind)
    return credential["delivery_status"]


def state_of(stack, token: str, person_id: str, kind: str, state: str) -> dict | None:
    """The credential's delivery status once it is `state`, else None (for wait_for)."""
    status = delivery_status(stack, token, person_id, kind)
    return status if status and status["state"] == state else None


def reset_status(stack, token: str, person_id: str, kind: str, reason: str):
    return stack.api("POST", f"/api/v1/people/{person_id}/credentials/{kind}/reset-status", token,
                     json={"reason": reason})


def test_a_bounced_email_goes_bad_falls_back_to_sms_until_reset_status_then_email_again(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian = person(district, LOOP_GUARDIAN)
    guardian_id = find_person_id(stack, admin, guardian, "guardian")
    stack.sandbox.add_rule(guardian.email, "hard_bounce", times=1)  # a mailbox that did not exist, then did

    # 1. The email bounces; SendGrid's signed event reaches notify through the gateway's webhook.
    first = announce(stack, admin, [guardian_id], "Field trip", "First: the bus leaves at 8.")
    wait_for(lambda: emails_to(stack, guardian.email, "Field trip"), what="the first email")
    bad = wait_for(lambda: state_of(stack, admin, guardian_id, "email", "bad"), what="the email marked bad")
    assert "bounce" in bad["reason"]

    # 2. The same announcement falls back to SMS (F1), and the report shows both.
    wait_for(lambda: texts_to(stack, guardian.mobile_phone, "First: the bus leaves at 8."), what="the fallback SMS")
    report = wait_for(lambda: (r := report_of(stack, admin, first)) and lines_on(r, "sms") and r,
                      what="the fallback in the report")
    [email] = lines_on(report, "email")
    [sms] = lines_on(report, "sms")
    assert email["status"] == "fell_back" and "bounce" in email["reason"]
    assert sms["fallback_of"] is not None and sms["address"] == guardian.mobile_phone
    assert report["subject"] == "Field trip" and report["priority"] is False

    # 3. Until the status is reset, the next announcement goes straight to SMS.
    announce(stack, admin, [guardian_id], "Lunch menu", "Second: pizza on Friday.")
    wait_for(lambda: texts_to(stack, guardian.mobile_phone, "Second: pizza on Friday."), what="the second SMS")
    assert emails_to(stack, guardian.email, "Lunch menu") == []

    # 4. Reset Status: denied to a teacher without the permission, allowed with Rostering Administrator.
    other_teacher = sign_in(stack, person(district, OTHER_TEACHER).email)
    denied = reset_status(stack, other_teacher, guardian_id, "email", "trying")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    homeroom = person(district, HOMEROOM_TEACHER)
    homeroom_id = find_person_id(stack, admin, homeroom, "staff")
    granted = stack.api("PUT", f"/api/v1/staff/{homeroom_id}/permissions", admin,
                        json={"permissions": ["rostering_administrator"]})
    assert granted.status_code == 200, granted.text
    teacher = sign_in(stack, homeroom.email)
    before = datetime.now(timezone.utc)

    reset = reset_status(stack, teacher, guardian_id, "email", "the family fixed the mailbox")

    assert reset.status_code == 200, reset.text
    record = reset.json()
    assert (record["reset_by"], record["previous_state"], record["state"]) == (homeroom_id, "bad", "good")
    assert record["reason"] == "the family fixed the mailbox" and record["address"] == guardian.email
    assert before - timedelta(seconds=5) <= datetime.fromisoformat(record["reset_at"]) <= \
        datetime.now(timezone.utc) + timedelta(seconds=5)
    assert delivery_status(stack, admin, guardian_id, "email")["state"] == "good"
    # The address came off SendGrid's bounce list, or SendGrid would drop the retry the reset allows.
    assert record["provider_suppressions"] == {"lifted": ["bounces"], "kept": []}

    # 5. The mailbox works again: email once more, delivered rather than dropped by the provider.
    third = announce(stack, admin, [guardian_id], "Picture day", "Third: smile!")
    wait_for(lambda: [m for m in emails_to(stack, guardian.email, "Picture day") if m["status"] == "delivered"],
             what="the third email")
    delivered = wait_for(lambda: [line for line in lines_on(report_of(stack, admin, third), "email")
                                  if line["status"] == "delivered"], what="the third email delivered in the report")
    assert delivered[0]["address"] == guardian.email
    assert texts_to(stack, guardian.mobile_phone, "Third: smile!") == []

    # 6. Nothing of the guardian's contact details, nor a password or token, is in any process's log.
    for process, log in stack.platform_logs().items():
        for secret in (guardian.email, guardian.mobile_phone, PASSWORD, admin, teacher):
            assert secret not in log, f"{process}'s log holds {secret[:3]}..."


def test_priority_reaches_students_and_shared_phones_and_the_unreachable_are_listed(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)

    # An enabled student with Email+app gets a plain announcement by email only (A7), and a priority one by
    # SMS as well (A5).
    student = person(district, STUDENT_WITH_PHONE)
    student_id = find_person_id(stack, admin, student, "student")
    enable_student(stack, admin, student_id)
    settings = stack.api("GET", "/api/v1/district/settings", admin)
    assert settings.status_code == 200 and settings.json()["default_preference"] == "email_app", settings.text
    chosen = stack.api("PUT", f"/api/v1/people/{student_id}/preference", admin, json={"preference": "email_app"})
    assert chosen.status_code == 200, chosen.text
    assert stack.api("GET", f"/api/v1/people/{student_id}/preference", admin).json()["chosen"] is True

    plain = announce(stack, admin, [student_id], "Library", "Plain: books are due.")
    wait_for(lambda: [line for line in lines_on(report_of(stack, admin, plain), "email")
                      if line["status"] in ("sent", "delivered")], what="the plain email sent")
    # notify may list the SMS it did not send (skipped), never one it sent.
    assert {line["status"] for line in lines_on(report_of(stack, admin, plain), "sms")} <= {"skipped"}
    priority = announce(stack, admin, [student_id], "Early closure", "Priority: school closes at noon.",
                        priority=True)
    wait_for(lambda: texts_to(stack, student.mobile_phone, "Priority: school closes at noon."),
             what="the priority SMS to the student")
    wait_for(lambda: emails_to(stack, student.email, "Early closure"), what="the priority email to the student")
    assert texts_to(stack, student.mobile_phone, "Plain:") == []
    assert report_of(stack, admin, priority)["priority"] is True

    # Two guardians sharing one mobile: one SMS each, each naming its reader (F2).
    sharing = [person(district, source_id) for source_id in SHARED_PHONE_GUARDIANS]
    assert sharing[0].mobile_phone == sharing[1].mobile_phone
    sharing_ids = [find_person_id(stack, admin, guardian, "guardian") for guardian in sharing]
    announce(stack, admin, sharing_ids, "Storm", "Shared: stay indoors.", priority=True)
    texts = wait_for(lambda: (found := texts_to(stack, sharing[0].mobile_phone, "Shared: stay indoors."))
                     and len(found) >= 2 and found, what="two SMS to the shared phone")
    assert sorted(text["body"] for text in texts) == sorted(
        f"For {guardian.given_name}: Shared: stay indoors." for guardian in sharing)

    # A guardian whose email bounces and whose mobile is a landline is unreachable, with the reason (U1).
    lost = person(district, UNREACHABLE_GUARDIAN)
    lost_id = find_person_id(stack, admin, lost, "guardian")
    stack.sandbox.add_rule(lost.email, "hard_bounce")
    stack.sandbox.add_rule(lost.mobile_phone, "landline")
    announce(stack, admin, [lost_id], "Picnic", "Unreachable: picnic on Friday.")
    wait_for(lambda: state_of(stack, admin, lost_id, "email", "bad"), what="the email marked bad")
    landline = wait_for(lambda: state_of(stack, admin, lost_id, "mobile_phone", "bad"), what="the phone marked bad")
    assert "landline" in landline["reason"]
    lincoln = next(school["id"] for school in stack.api("GET", "/api/v1/schools", admin).json()["items"]
                   if school["name"] == "Lincoln Elementary")
    response = stack.api("GET", f"/api/v1/schools/{lincoln}/unreachable-contacts", admin, params={"per_page": 1000})
    assert response.status_code == 200, response.text
    listed = {contact["person_id"]: contact for contact in response.json()["items"]}
    assert lost_id in listed and listed[lost_id]["reason"]
    assert "guardian" in listed[lost_id]["kinds"]
    assert sharing_ids[0] not in listed  # reachable: good email and mobile


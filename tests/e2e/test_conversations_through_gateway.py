"""Conversations through the gateway, with every process running: a message goes out through the workers to the
provider sandbox by rows M1-M4, and replies come back without signing in, by SMS (a handset's text, signed,
to Twilio's inbound webhook) and by email (SendGrid Inbound Parse, to the signed Reply-To address).

DESIGN.md "Conversations, inbox and language"; decision table rows M1-M4, F2.
"""
from __future__ import annotations

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL

from district_support import find_person_id, import_demo_district, person, sign_in, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.also_on_sqlite]

API = "/api/v1/conversations"
SHARED_PHONE_GUARDIANS = ("lincoln-elem-student-1-guardian-1", "lincoln-elem-student-1-guardian-2")
EMAIL_GUARDIAN = "lincoln-elem-student-2-guardian-1"
HOMEROOM_TEACHER = "lincoln-elem-teacher-1"  # teaches students 1 to 8
OTHER_TEACHER = "lincoln-elem-teacher-2"
FIRST_STUDENT = "lincoln-elem-student-1"


@pytest.fixture
def district(stack, tmp_path):
    return import_demo_district(stack, tmp_path / "district")


def conversation(stack, token: str, conversation_id: str) -> dict:
    response = stack.api("GET", f"{API}/{conversation_id}", token)
    assert response.status_code == 200, response.text
    return response.json()


def messages_via(stack, token: str, conversation_id: str, via: str) -> list[dict]:
    return [m for m in conversation(stack, token, conversation_id)["messages"] if m["via"] == via]


def texts_to(stack, number: str, containing: str) -> list[dict]:
    return [m for m in stack.sandbox.messages(channel="sms", to=number) if containing in m["body"]]


def emails_to(stack, address: str, containing: str) -> list[dict]:
    return [m for m in stack.sandbox.messages(channel="email", to=address) if containing in m["body"]]


def start(stack, token: str, **body):
    return stack.api("POST", API, token, json=body)


def test_a_message_to_a_shared_phone_is_labelled_and_a_text_back_is_filed_as_possibly_from_either_sharer(
        stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardians = [person(district, source_id) for source_id in SHARED_PHONE_GUARDIANS]
    guardian_ids = [find_person_id(stack, admin, guardian, "guardian") for guardian in guardians]
    student_id = find_person_id(stack, admin, person(district, FIRST_STUDENT), "student")
    for guardian_id in guardian_ids:  # M2: SMS+app gets the replyable SMS
        chosen = stack.api("PUT", f"/api/v1/people/{guardian_id}/preference", admin, json={"preference": "sms_app"})
        assert chosen.status_code == 200, chosen.text
    teacher_person = person(district, HOMEROOM_TEACHER)
    teacher = sign_in(stack, teacher_person.email)

    started = start(stack, teacher, guardians_of=student_id, text="Parent night is on Thursday at 6.")
    assert started.status_code == 201, started.text
    assert started.headers["Location"] == f"{API}/{started.json()['conversation_id']}"
    talk = started.json()
    assert sorted(p["person_id"] for p in talk["participants"][1:]) == sorted(guardian_ids)
    assert [m["via"] for m in talk["messages"]] == ["app"]

    # F2: one SMS per sharer of the family phone, each saying whom it is for.
    phone = guardians[0].mobile_phone
    texts = wait_for(lambda: len(found := texts_to(stack, phone, "Parent night is on Thursday")) == 2 and found,
                     what="an SMS per sharer")
    assert sorted(t["body"].split(":")[0] for t in texts) == sorted(f"For {g.given_name}" for g in guardians)

    # A text back from the shared phone lands in the conversation, from either sharer, and reaches the teacher.
    stack.sandbox.send_inbound_sms(phone, None, "We will both come.")
    [reply] = wait_for(lambda: messages_via(stack, teacher, talk["conversation_id"], "sms"), what="the text filed")
    assert reply["text"] == "We will both come."
    assert reply["author_id"] is None and sorted(reply["possible_author_ids"]) == sorted(guardian_ids)
    wait_for(lambda: emails_to(stack, teacher_person.email, "We will both come."), what="the reply to the teacher")

    # STOP keeps working as before and is never filed as a message.
    stack.sandbox.send_inbound_sms(phone, None, "STOP")
    wait_for(lambda: _mobile_state(stack, admin, guardian_ids[0]) == "opted_out", what="the phone opted out")
    assert [m["text"] for m in conversation(stack, teacher, talk["conversation_id"])["messages"]] == [
        "Parent night is on Thursday at 6.", "We will both come."]


def test_an_email_reply_to_its_reply_to_address_is_filed_without_its_quote_once_and_forgeries_are_not(
        stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian = person(district, EMAIL_GUARDIAN)
    guardian_id = find_person_id(stack, admin, guardian, "guardian")
    teacher = sign_in(stack, person(district, HOMEROOM_TEACHER).email)

    started = start(stack, teacher, participant_ids=[guardian_id], text="Could we meet about reading?",
                    attachments=[{"url": "https://files.example.org/reading.pdf", "name": "reading.pdf",
                                  "content_type": "application/pdf", "size_bytes": 48213}])
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation_id"]
    [email] = wait_for(lambda: emails_to(stack, guardian.email, "Could we meet about reading?"), what="the email (M1)")
    assert "reading.pdf https://files.example.org/reading.pdf" in email["body"]
    reply_to = email["reply_to"]
    assert reply_to and reply_to.startswith("reply-")

    quoted = f"Yes, Thursday works.\n\nOn Mon, Dec 7, 2026 at 9:00 AM <{reply_to}> wrote:\n> Could we meet?\n"
    stack.sandbox.send_inbound_email(guardian.email, reply_to, quoted, message_id="<reply-1@families.example.org>")
    [reply] = wait_for(lambda: messages_via(stack, teacher, conversation_id, "email"), what="the email reply filed")
    assert (reply["text"], reply["author_id"]) == ("Yes, Thursday works.", guardian_id)

    # A repeat of the same post, a forged address and a wrong inbound URL file nothing.
    stack.sandbox.send_inbound_email(guardian.email, reply_to, quoted, message_id="<reply-1@families.example.org>")
    local, _, domain = reply_to.partition("@")
    forged = f"{local[:-3]}{'aaa' if not local.endswith('aaa') else 'bbb'}@{domain}"
    stack.sandbox.send_inbound_email(guardian.email, forged, "Forged!", message_id="<forged@example.org>")
    wrong_secret = stack.api("POST", "/webhooks/sendgrid/inbound/not-the-secret",
                             files={"to": (None, reply_to), "text": (None, "Hello")})
    assert wrong_secret.status_code == 403
    wait_for(lambda: stack.sandbox.stats()["webhooks"].get("sendgrid_inbound.answered_2xx", 0) >= 3,
             what="the posts answered")
    assert [m["text"] for m in messages_via(stack, teacher, conversation_id, "email")] == ["Yes, Thursday works."]

    # The family writes again in the app, and starts one of its own with its student's teacher only.
    family = sign_in(stack, guardian.email)
    posted = stack.api("POST", f"{API}/{conversation_id}/messages", family, json={"text": "See you then."})
    assert posted.status_code == 201 and posted.json()["author_id"] == guardian_id, posted.text
    teacher_id = find_person_id(stack, admin, person(district, HOMEROOM_TEACHER), "staff")
    other_teacher_id = find_person_id(stack, admin, person(district, OTHER_TEACHER), "staff")
    assert start(stack, family, participant_ids=[teacher_id], text="A question").status_code == 201
    assert start(stack, family, participant_ids=[other_teacher_id], text="A question").status_code == 403
    listed = stack.api("GET", API, family).json()
    assert listed["total"] == 2 and listed["items"][0]["last_message_text"] == "A question"


def test_messages_out_of_reach_too_large_or_with_forbidden_attachments_are_refused(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian_id = find_person_id(stack, admin, person(district, EMAIL_GUARDIAN), "guardian")
    other_teacher = sign_in(stack, person(district, OTHER_TEACHER).email)
    teacher = sign_in(stack, person(district, HOMEROOM_TEACHER).email)

    out_of_reach = start(stack, other_teacher, participant_ids=[guardian_id], text="Hello")
    assert out_of_reach.status_code == 404, out_of_reach.text
    too_long = start(stack, teacher, participant_ids=[guardian_id], text="x" * 5001)
    assert too_long.status_code == 400 and "text" in too_long.json()["error"]["fields"], too_long.text
    executable = start(stack, teacher, participant_ids=[guardian_id], text="Hello", attachments=[{
        "url": "https://files.example.org/run.exe", "name": "run.exe", "content_type": "application/x-msdownload",
        "size_bytes": 10}])
    assert executable.status_code == 400, executable.text
    huge = start(stack, teacher, participant_ids=[guardian_id], text="Hello", attachments=[{
        "url": "https://files.example.org/big.pdf", "name": "big.pdf", "content_type": "application/pdf",
        "size_bytes": 50 * 1024 * 1024}])
    assert huge.status_code == 400, huge.text
    assert stack.api("GET", f"{API}/{'0' * 32}", teacher).status_code == 404


def _mobile_state(stack, token: str, person_id: str) -> str | None:
    profile = stack.api("GET", f"/api/v1/directory/people/{person_id}", token).json()
    mobile = next((c for c in profile["credentials"] if c["kind"] == "mobile_phone"), None)
    status = mobile and mobile["delivery_status"]
    return status["state"] if status else None

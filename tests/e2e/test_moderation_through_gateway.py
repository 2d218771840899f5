"""Content moderation through the gateway, with every process running: a guardian flags a teacher's message,
a teacher without Content Moderator is refused, one with it lists the flag and hides the message (the guardian
then sees the notice in the conversation and the inbox), then restores it; the audit log shows each decision.

DESIGN.md: "Content any participant flags is reviewed by a Content Moderator, who can hide or restore it;
decisions are audited."
"""
from __future__ import annotations

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL
from shared.contracts.moderation import HIDDEN_NOTICE

from district_support import find_person_id, import_demo_district, person, sign_in, signed_in_guardian, wait_for

pytestmark = pytest.mark.e2e

GUARDIAN = "lincoln-elem-student-2-guardian-1"
HOMEROOM_TEACHER = "lincoln-elem-teacher-1"  # teaches student 2
OTHER_TEACHER = "lincoln-elem-teacher-2"
TEXT = "Nia's classmate's mother is at 555-0100, call her."


@pytest.fixture
def district(stack, tmp_path):
    return import_demo_district(stack, tmp_path / "district")


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def shown_text(stack, token: str, conversation_id: str) -> str:
    return ok(stack.api("GET", f"/api/v1/conversations/{conversation_id}", token))["messages"][0]["text"]


def test_a_guardian_flags_a_moderator_hides_and_restores_and_the_audit_log_shows_each_decision(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian, guardian_id = signed_in_guardian(stack, admin, district, GUARDIAN)
    teacher = sign_in(stack, person(district, HOMEROOM_TEACHER).email)
    started = ok(stack.api("POST", "/api/v1/conversations", teacher, json={
        "participant_ids": [guardian_id], "text": TEXT}), 201)
    conversation_id, message_id = started["conversation_id"], started["messages"][0]["message_id"]

    flag = ok(stack.api("POST", f"/api/v1/conversations/{conversation_id}/messages/{message_id}/flag", guardian,
                        json={"reason": "another family's phone number"}))
    assert flag["flagged_by"] == guardian_id and flag["reviewed_at"] is None
    unknown_field = stack.api("POST", f"/api/v1/conversations/{conversation_id}/messages/{message_id}/flag",
                              guardian, json={"reason": "again", "severity": "high"})
    assert unknown_field.status_code == 400

    # A teacher without Content Moderator is refused; with it, they review their school's flags.
    other = person(district, OTHER_TEACHER)
    plain_teacher = sign_in(stack, other.email)
    refused = stack.api("GET", "/api/v1/moderation/flags", plain_teacher)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert stack.api("POST", f"/api/v1/moderation/messages/{message_id}/hide", plain_teacher,
                     json={"reason": "no"}).status_code == 403
    other_id = find_person_id(stack, admin, other, "staff")
    ok(stack.api("PUT", f"/api/v1/staff/{other_id}/permissions", admin, json={"permissions": ["content_moderator"]}))
    moderator = sign_in(stack, other.email)
    flagged = ok(stack.api("GET", "/api/v1/moderation/flags", moderator))
    assert [(m["message_id"], m["text"], m["hidden"]) for m in flagged["items"]] == [(message_id, TEXT, False)]
    assert flagged["items"][0]["flags"][0]["reason"] == "another family's phone number"

    hidden = ok(stack.api("POST", f"/api/v1/moderation/messages/{message_id}/hide", moderator,
                          json={"reason": "a private number"}))
    assert hidden["hidden"] is True and hidden["hidden_by"] == other_id
    assert shown_text(stack, guardian, conversation_id) == HIDDEN_NOTICE
    assert shown_text(stack, teacher, conversation_id) == HIDDEN_NOTICE
    inbox = wait_for(lambda: (found := ok(stack.api("GET", "/api/v1/me/inbox", guardian)))["items"] and found,
                     what="the message in the guardian's inbox")
    assert inbox["items"][0]["preview"] == HIDDEN_NOTICE
    # Hiding withdrew what no provider had yet; what the workers had handed over already cannot be recalled.
    assert "cannot be recalled" in hidden["deliveries"]["note"]
    report = ok(stack.api("GET", f"/api/v1/announcements/{started['messages'][0]['communication_id']}/report",
                          teacher, params={"per_page": 100}))
    withdrawn = [line for line in report["items"] if line["reason"] == "withdrawn_by_moderator"]
    assert len(withdrawn) == hidden["deliveries"]["withdrawn"]
    assert all(line["status"] == "skipped" for line in withdrawn)
    # Asked for as written, a hidden message is still the notice, in the list and in the inbox.
    [listed] = ok(stack.api("GET", "/api/v1/conversations", guardian, params={"original": "true"}))["items"]
    assert (listed["last_message_text"], listed["last_message_translation"]) == (HIDDEN_NOTICE, "original")
    item_id = inbox["items"][0]["communication_id"]
    assert ok(stack.api("GET", f"/api/v1/me/inbox/{item_id}", guardian, params={"original": "true"}))[
        "body"] == HIDDEN_NOTICE
    again = stack.api("POST", f"/api/v1/moderation/messages/{message_id}/hide", moderator, json={"reason": "twice"})
    assert again.status_code == 409
    assert ok(stack.api("GET", "/api/v1/moderation/flags", moderator))["total"] == 0

    restored = ok(stack.api("POST", f"/api/v1/moderation/messages/{message_id}/restore", admin,
                            json={"reason": "the school's own number"}))
    assert restored["hidden"] is False
    assert shown_text(stack, guardian, conversation_id) == TEXT

    def audited() -> list[dict]:
        return ok(stack.api("GET", "/api/v1/directory/audit-log", admin, params={"subject_id": message_id}))["items"]

    entries = wait_for(lambda: len(found := audited()) == 3 and found, what="three decisions in the audit log")
    assert sorted((e["action"], e["before"]["hidden"], e["after"]["hidden"], e["after"]["reason"])
                  for e in entries) == [
        ("flag_message", False, False, "another family's phone number"),
        ("hide_message", False, True, "a private number"),
        ("restore_message", True, False, "the school's own number")]

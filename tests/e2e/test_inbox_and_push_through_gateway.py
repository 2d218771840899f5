"""The app inbox and push through the gateway, with every process running: a joined guardian gets an
announcement, sees it unread in their inbox, opens it, and the sender's report shows it read; their
registered device got the push through the workers and the sandbox's FCM, and a stale token was removed.

DESIGN.md "Conversations, inbox and language": the inbox holds every announcement of a joined user, with
read state; staff see read state per recipient; push goes to registered devices.
"""
from __future__ import annotations

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL

from district_support import find_person_id, import_demo_district, person, sign_in, signed_in_guardian, wait_for

pytestmark = pytest.mark.e2e

GUARDIAN = "lincoln-elem-student-2-guardian-1"
OTHER_GUARDIAN = "lincoln-elem-student-3-guardian-1"
ME = "/api/v1/me"


@pytest.fixture
def district(stack, tmp_path):
    return import_demo_district(stack, tmp_path / "district")


def announce(stack, token: str, person_ids: list[str], subject: str, body: str) -> str:
    response = stack.api("POST", "/api/v1/announcements", token, json={
        "audience": {"person_ids": person_ids, "include_guardians": False}, "subject": subject, "body": body})
    assert response.status_code == 202, response.text
    return response.json()["communication_id"]


def register(stack, token: str, device_token: str) -> dict:
    response = stack.api("POST", f"{ME}/devices", token, json={"token": device_token, "platform": "android"})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{ME}/devices/{response.json()['device_id']}"
    return response.json()


def inbox(stack, token: str, **params) -> dict:
    response = stack.api("GET", f"{ME}/inbox", token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def report(stack, token: str, communication_id: str) -> dict:
    response = stack.api("GET", f"/api/v1/announcements/{communication_id}/report", token, params={"per_page": 100})
    assert response.status_code == 200, response.text
    return response.json()


def line(found: dict, channel: str) -> dict | None:
    return next((item for item in found["items"] if item["channel"] == channel), None)


def device_tokens_pushed(stack, device_token: str, subject: str) -> list[dict]:
    return [push for push in stack.sandbox.pushes(to=device_token) if push["subject"] == subject]


def test_a_joined_guardian_reads_an_announcement_in_the_inbox_gets_the_push_and_the_report_shows_it_read(
        stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian, guardian_id = signed_in_guardian(stack, admin, district, GUARDIAN)
    phone = register(stack, guardian, "guardian-phone-token")
    register(stack, guardian, "guardian-uninstalled-token")
    stack.sandbox.set_push_token_fate("guardian-uninstalled-token", "unregistered")

    communication_id = announce(stack, admin, [guardian_id], "Early dismissal", "School closes at noon on Friday.")

    # 1. In the inbox, unread; pushed to the phone; the uninstalled app's token is removed.
    listed = wait_for(lambda: (found := inbox(stack, guardian)) and found["total"] and found,
                      what="the announcement in the inbox")
    [item] = listed["items"]
    assert (item["communication_id"], item["kind"], item["subject"], item["read"]) == (
        communication_id, "announcement", "Early dismissal", False)
    assert listed["unread_count"] == 1 and item["preview"] == "School closes at noon on Friday."
    [push] = wait_for(lambda: device_tokens_pushed(stack, "guardian-phone-token", "Early dismissal"),
                      what="the push to the phone")
    assert push["body"] == "School closes at noon on Friday." and push["data"]["communication_id"] == communication_id
    remaining = wait_for(lambda: (devices := stack.api("GET", f"{ME}/devices", guardian).json()["devices"])
                         and len(devices) == 1 and devices, what="the stale token removed")
    assert remaining[0]["device_id"] == phone["device_id"]

    # 2. The sender's report: the app line is unread, the push went out.
    unread = wait_for(lambda: (found := report(stack, admin, communication_id)) and line(found, "push")
                      and line(found, "push")["status"] == "sent" and found, what="the push in the report")
    assert unread["app_read"] == {"read": 0, "unread": 1} and line(unread, "app")["read_at"] is None

    # 3. Someone else cannot open it; its recipient opens it, and it is read.
    other, _ = signed_in_guardian(stack, admin, district, OTHER_GUARDIAN)
    assert stack.api("GET", f"{ME}/inbox/{communication_id}", other).status_code == 404
    assert inbox(stack, other)["total"] == 0
    opened = stack.api("GET", f"{ME}/inbox/{communication_id}", guardian)
    assert opened.status_code == 200, opened.text
    assert opened.json()["body"] == "School closes at noon on Friday." and opened.json()["read"] is True
    assert inbox(stack, guardian)["unread_count"] == 0 and inbox(stack, guardian, unread="true")["items"] == []

    read = report(stack, admin, communication_id)
    assert read["app_read"] == {"read": 1, "unread": 0}
    assert line(read, "app")["read_at"] == opened.json()["read_at"]


def test_mark_all_read_and_removing_a_device(stack, district):
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    guardian, guardian_id = signed_in_guardian(stack, admin, district, GUARDIAN)
    device = register(stack, guardian, "guardian-tablet-token")
    for subject in ("Picture day", "Book fair"):
        announce(stack, admin, [guardian_id], subject, f"{subject} is next week.")
    wait_for(lambda: inbox(stack, guardian)["unread_count"] == 2, what="both announcements in the inbox")
    assert [item["subject"] for item in inbox(stack, guardian)["items"]] == ["Book fair", "Picture day"]

    marked = stack.api("POST", f"{ME}/inbox/read-all", guardian, json={})
    assert marked.status_code == 200 and marked.json() == {"marked": 2, "unread_count": 0}
    refused = stack.api("POST", f"{ME}/inbox/read-all", guardian, json={"kind": "newsletter"})
    assert refused.status_code == 400 and "kind" in refused.json()["error"]["fields"]

    other, _ = signed_in_guardian(stack, admin, district, OTHER_GUARDIAN)
    assert stack.api("DELETE", f"{ME}/devices/{device['device_id']}", other).status_code == 404
    removed = stack.api("DELETE", f"{ME}/devices/{device['device_id']}", guardian)
    assert removed.status_code == 200 and removed.json() == {"devices": []}

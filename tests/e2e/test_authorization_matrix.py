"""The authorization matrix, generated from the gateway's route table: every route × every role × every
relation of record, through the gateway, against two seeded districts on one running stack.

Each cell's expectation is declared once (shared/testing/authorization.py); each route's request is built
here from the cell's target. An allowed cell must succeed, a denied one must answer 403 or 404 (or, in a bulk
answer, refuse the item), and no cell may answer 2xx unless allowed. Every 2xx body is held to its route's
response schema (no field the schema does not declare, so no hash or token rides along), and a guardian's
or student's answers hold no one else's email or phone.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from services.gateway.routes import API, ROUTES
from shared.contracts import identity
from shared.contracts.permissions import ACTIONS, SET_STAFF_PERMISSIONS
from shared.migrations import upgrade
from shared.config import SERVICES
from shared.testing.authorization import (
    COLUMNS, DISTRICT_ADMIN, EXPECTED, GUARDIAN, RELATIONS, SCHOOL_ADMIN, SERVICE_CREDENTIAL, STUDENT, TEACHER,
    TEACHERS,
)
from shared.testing.responses import all_keys, undeclared_keys
from shared.testing.stack import running_stack

from authorization_world import Target, World, build_world, set_teacher_permissions
from district_support import PASSWORD, wait_for

pytestmark = pytest.mark.e2e

DIRECTORY = f"{API}/directory"
# Per item of a bulk answer: the item was not the caller's to act on.
DENIED_OUTCOMES = {"not_found", "forbidden"}
# Never in any answer, whoever asks.
SECRET_KEYS = re.compile(r"password|hash|secret|jti|refresh", re.IGNORECASE)
EMAIL = re.compile(r"[^@\s\"]+@[^@\s\"]+\.[a-z]+")
PHONE = re.compile(r"\+\d{10,15}")


@dataclass
class Request:
    method: str
    path: str
    json: object = None
    params: dict | None = None
    token: str | None = None  # None: the cell's caller
    fresh_session: bool = False  # sign the caller in anew for this cell (it ends the session it uses)
    bulk: bool = False  # the answer's results[0] says whether the item was acted on
    restore: Callable[[World, Target, dict], None] | None = None  # puts back what an allowed cell changed
    before: Callable[[World, Target], dict] = field(default=lambda world, target: {})

    @property
    def key(self) -> tuple:
        """What the gateway receives: two cells with the same key are one request."""
        return self.method, self.path, json.dumps(self.json, sort_keys=True), json.dumps(self.params, sort_keys=True)


def _readd_guardians(world: World, target: Target, before: dict) -> None:
    for guardian_id in before["guardians"]:
        added = world.api("POST", f"{DIRECTORY}/students/{target.student_id}/guardians",
                          world.administrator(target.district), json={"person_id": guardian_id})
        assert added.status_code == 200, added.text


def _guardians(world: World, target: Target) -> dict:
    profile = world.api("GET", f"{DIRECTORY}/students/{target.student_id}", world.administrator(target.district)).json()
    return {"guardians": [guardian["id"] for guardian in profile["guardians"]]}


def _undo(path: str, key: str, attribute: str):
    def restore(world: World, target: Target, before: dict) -> None:
        undone = world.api("POST", path, world.administrator(target.district), json={key: [getattr(target, attribute)]})
        assert undone.status_code == 200, undone.text
    return restore


def _sign_in_again(world: World, target: Target, before: dict) -> None:
    world.tokens[target.caller] = world.stack.login(target.caller_login, PASSWORD)


STAFF_ONLY_SCHOOL = {"include_students": False, "include_guardians": False, "include_staff": True}

REQUESTS: dict[str, Callable[[World, Target], Request]] = {
    "health": lambda w, t: Request("GET", "/health"),
    "show_readiness": lambda w, t: Request("GET", "/health/ready"),
    "openapi": lambda w, t: Request("GET", f"{API}/openapi.json"),
    "show_docs": lambda w, t: Request("GET", f"{API}/docs"),
    "show_docs_stylesheet": lambda w, t: Request("GET", f"{API}/docs/swagger-ui.css"),
    "show_docs_script": lambda w, t: Request("GET", f"{API}/docs/swagger-ui-bundle.js"),
    "log_in": lambda w, t: Request("POST", f"{API}/auth/login",
                                   json={"login": f"nobody.{t.person_id}@example.org", "password": "not it"}),
    "refresh_session": lambda w, t: Request("POST", f"{API}/auth/refresh", json={"refresh_token": "not-a-token"}),
    "sign_out": lambda w, t: Request("POST", f"{API}/auth/sign-out", fresh_session=True),
    # Ends the caller's every session, the matrix's own among them: it signs them in again after.
    "sign_out_everywhere": lambda w, t: Request("POST", f"{API}/auth/sign-out-everywhere", fresh_session=True,
                                                restore=_sign_in_again),
    "change_password": lambda w, t: Request("POST", f"{API}/me/password",
                                            json={"current_password": PASSWORD, "new_password": PASSWORD}),
    "show_me": lambda w, t: Request("GET", f"{API}/me"),
    "join": lambda w, t: Request("POST", f"{API}/join", json={"token": "not-a-join-token", "password": PASSWORD,
                                                              "language": "en"}),
    "check_join_invitation": lambda w, t: Request("POST", f"{API}/join/invitation", json={"join_code": "NOPE-NOPE"}),
    "show_district_languages": lambda w, t: Request("GET", f"{API}/district/languages"),
    "set_district_languages": lambda w, t: Request("PUT", f"{API}/district/languages", json={"languages": ["en"]}),
    "show_my_credentials": lambda w, t: Request("GET", f"{API}/me/credentials"),
    "set_my_language": lambda w, t: Request("PUT", f"{API}/me/language", json={"language": "en"}),
    # Refused for the address (400) once past authorization: the matrix sends no codes, and the joining tests do.
    "send_my_credential_code": lambda w, t: Request("POST", f"{API}/me/credentials/email/code",
                                                    json={"value": "not an address"}),
    "confirm_my_credential": lambda w, t: Request("POST", f"{API}/me/credentials/email/confirm",
                                                  json={"code": "000000"}),
    "remove_my_credential": lambda w, t: Request("DELETE", f"{API}/me/credentials/mobile_phone"),
    "show_my_inbox": lambda w, t: Request("GET", f"{API}/me/inbox", params={"unread": "true"}),
    "open_my_inbox_item": lambda w, t: Request("GET", f"{API}/me/inbox/{t.person_id}"),
    "mark_my_inbox_read": lambda w, t: Request("POST", f"{API}/me/inbox/read-all", json={}),
    "list_my_devices": lambda w, t: Request("GET", f"{API}/me/devices"),
    "register_my_device": lambda w, t: Request("POST", f"{API}/me/devices",
                                               json={"token": "matrix-device-token", "platform": "android"}),
    "remove_my_device": lambda w, t: Request("DELETE", f"{API}/me/devices/{t.person_id}"),
    "search_people": lambda w, t: Request("GET", f"{DIRECTORY}/people", params={"school_id": t.school_id}),
    "show_student_profile": lambda w, t: Request("GET", f"{DIRECTORY}/students/{t.student_id}"),
    "show_user_profile": lambda w, t: Request("GET", f"{DIRECTORY}/people/{t.person_id}"),
    "enable_student_accounts": lambda w, t: Request("POST", f"{DIRECTORY}/students/enable-accounts",
                                                    json={"student_ids": [t.student_id]}, bulk=True),
    "enroll_student": lambda w, t: Request("POST", f"{DIRECTORY}/enrollments", json={
        "school_id": t.school_id, "classroom_id": t.classroom_id, "person_id": t.student_id}),
    "unenroll_person": lambda w, t: Request("POST", f"{DIRECTORY}/people/{t.student_id}/unenroll",
                                            json={"classroom_id": t.spare_classroom_id}),
    "add_staff": lambda w, t: Request("POST", f"{DIRECTORY}/staff",
                                      json={"person_id": t.staff_id, "school_ids": [t.school_id]}),
    "set_job_title": lambda w, t: Request("PUT", f"{DIRECTORY}/staff/{t.staff_id}/job-title",
                                          json={"job_title": "Teacher"}),
    "assign_staff_to_classroom": lambda w, t: Request("POST", f"{DIRECTORY}/staff/{t.staff_id}/classrooms",
                                                      json={"classroom_id": t.classroom_id}),
    "add_guardian": lambda w, t: Request("POST", f"{DIRECTORY}/students/{t.student_id}/guardians",
                                         json={"person_id": t.guardian_id}),
    "update_guardian": lambda w, t: Request(
        "PATCH", f"{DIRECTORY}/students/{t.student_id}/guardians/{t.guardian_id}", json={"relationship": "guardian"}),
    "remove_guardian": lambda w, t: Request(
        "DELETE", f"{DIRECTORY}/students/{t.student_id}/guardians/{t.guardian_id}",
        restore=lambda world, target, before: _readd_guardians(world, target, {"guardians": [target.guardian_id]})),
    "remove_guardians": lambda w, t: Request("POST", f"{DIRECTORY}/students/remove-guardians",
                                             json={"student_ids": [t.student_id]}, bulk=True,
                                             before=_guardians, restore=_readd_guardians),
    "archive_people": lambda w, t: Request("POST", f"{DIRECTORY}/people/archive",
                                           json={"person_ids": [t.student_id]}, bulk=True,
                                           restore=_undo(f"{DIRECTORY}/people/unarchive", "person_ids",
                                                         "student_id")),
    "unarchive_people": lambda w, t: Request("POST", f"{DIRECTORY}/people/unarchive",
                                             json={"person_ids": [t.student_id]}, bulk=True),
    "archive_classrooms": lambda w, t: Request("POST", f"{DIRECTORY}/classrooms/archive",
                                               json={"classroom_ids": [t.spare_classroom_id]}, bulk=True,
                                               restore=_undo(f"{DIRECTORY}/classrooms/unarchive",
                                                             "classroom_ids", "spare_classroom_id")),
    "unarchive_classrooms": lambda w, t: Request("POST", f"{DIRECTORY}/classrooms/unarchive",
                                                 json={"classroom_ids": [t.spare_classroom_id]}, bulk=True),
    "show_job": lambda w, t: Request("GET", f"{DIRECTORY}/jobs/{t.job_id}"),
    "send_invitation": lambda w, t: Request("POST", f"{DIRECTORY}/people/{t.person_id}/invitation"),
    "print_invitation": lambda w, t: Request("POST", f"{DIRECTORY}/people/{t.person_id}/printable-invitation"),
    # Enabled students of a class: none in the seeded classes, so the job invites nobody.
    "send_invitations": lambda w, t: Request("POST", f"{API}/invitations",
                                             json={"classroom_id": t.classroom_id, "kinds": ["student"]}),
    "show_invitation_job": lambda w, t: Request("GET", f"{API}/invitations/jobs/{t.invitation_job_id}"),
    "show_audit_log": lambda w, t: Request("GET", f"{DIRECTORY}/audit-log", params={"subject_id": t.person_id}),
    "set_staff_permissions": lambda w, t: Request("PUT", f"{API}/staff/{t.staff_id}/permissions",
                                                  json={"permissions": []}),
    "list_schools": lambda w, t: Request("GET", f"{API}/schools"),
    "show_preference": lambda w, t: Request("GET", f"{API}/people/{t.person_id}/preference"),
    "set_preference": lambda w, t: Request("PUT", f"{API}/people/{t.person_id}/preference",
                                           json={"preference": "email_app"}),
    "show_district_settings": lambda w, t: Request("GET", f"{API}/district/settings"),
    "set_district_default": lambda w, t: Request("PUT", f"{API}/district/settings",
                                                 json={"default_preference": "email_app"}),
    "send_announcement": lambda w, t: Request("POST", f"{API}/announcements", json={
        "audience": {"school_id": t.school_id, **STAFF_ONLY_SCHOOL}, "subject": "Matrix", "body": "A check."}),
    "preview_announcement": lambda w, t: Request("POST", f"{API}/announcements/preview", json={
        "audience": {"school_id": t.school_id, **STAFF_ONLY_SCHOOL}, "subject": "Matrix", "body": "A check."}),
    "show_delivery_report": lambda w, t: Request("GET", f"{API}/announcements/{t.announcement_id}/report"),
    "list_unreachable_contacts": lambda w, t: Request("GET", f"{API}/schools/{t.school_id}/unreachable-contacts"),
    "reset_credential_status": lambda w, t: Request(
        "POST", f"{API}/people/{t.person_id}/credentials/email/reset-status", json={"reason": "matrix"}),
    "list_sync_runs": lambda w, t: Request("GET", f"{API}/rostering/runs"),
    "show_sync_run": lambda w, t: Request("GET", f"{API}/rostering/runs/{t.run_id}"),
    "follow_sync_run": lambda w, t: Request("GET", f"{API}/rostering/runs/{t.run_id}/progress"),
    "list_sync_run_changes": lambda w, t: Request("GET", f"{API}/rostering/runs/{t.run_id}/changes"),
    "approve_sync_run": lambda w, t: Request("POST", f"{API}/rostering/runs/{t.run_id}/approve"),
    "show_sync_settings": lambda w, t: Request("GET", f"{API}/rostering/settings"),
    # A change that changes nothing the world's other rows depend on (the threshold is the default).
    "change_sync_settings": lambda w, t: Request("PATCH", f"{API}/rostering/settings",
                                                 json={"mass_change_threshold": 0.1}),
    "reject_sync_run": lambda w, t: Request("POST", f"{API}/rostering/runs/{t.run_id}/reject",
                                            json={"reason": "matrix"}),
    "receive_twilio_status": lambda w, t: Request("POST", "/webhooks/twilio/status"),
    "receive_twilio_inbound": lambda w, t: Request("POST", "/webhooks/twilio/inbound"),
    "receive_sendgrid_events": lambda w, t: Request("POST", "/webhooks/sendgrid/events", json=[]),
    "receive_email_reply": lambda w, t: Request("POST", "/webhooks/sendgrid/inbound/not-the-secret"),
    "start_conversation": lambda w, t: Request("POST", f"{API}/conversations", json={
        "participant_ids": [t.guardian_id], "text": "A matrix check."}),
    "list_conversations": lambda w, t: Request("GET", f"{API}/conversations"),
    "list_my_teachers": lambda w, t: Request("GET", f"{API}/me/teachers"),
    "show_conversation": lambda w, t: Request("GET", f"{API}/conversations/{t.person_id}"),
    "post_conversation_message": lambda w, t: Request("POST", f"{API}/conversations/{t.person_id}/messages",
                                                      json={"text": "A matrix check."}),
    "preview_conversation": lambda w, t: Request("POST", f"{API}/conversations/preview", json={
        "participant_ids": [t.guardian_id], "text": "A matrix check."}),
    "preview_conversation_message": lambda w, t: Request(
        "POST", f"{API}/conversations/{t.person_id}/messages/preview", json={"text": "A matrix check."}),
    "flag_conversation_message": lambda w, t: Request(
        "POST", f"{API}/conversations/{t.person_id}/messages/{t.person_id}/flag", json={"reason": "matrix"}),
    "list_flagged_messages": lambda w, t: Request("GET", f"{API}/moderation/flags"),
    "hide_message": lambda w, t: Request("POST", f"{API}/moderation/messages/{t.person_id}/hide",
                                         json={"reason": "matrix"}),
    "restore_message": lambda w, t: Request("POST", f"{API}/moderation/messages/{t.person_id}/restore",
                                            json={"reason": "matrix"}),
}


@pytest.fixture(scope="module")
def world(vhost_pipeline, request, tmp_path_factory):
    """One stack for the whole matrix (on the embedded SQLite default), with both districts seeded."""
    folder = tmp_path_factory.mktemp("matrix")
    urls = {service: f"sqlite:///{folder / (service + '.db')}" for service in SERVICES}
    for service, url in urls.items():
        upgrade(service, url)
    amqp = request.config.getoption("RABBIT_AMQP_URI").rstrip("/")
    with vhost_pipeline.get() as vhost:
        with running_stack(f"{amqp}/{vhost}", urls, folder / "logs", workers=1) as stack:
            started = time.monotonic()
            built = build_world(stack, folder)
            print(f"\nmatrix world seeded in {time.monotonic() - started:.1f} s")
            yield built


def test_every_route_has_a_request_and_an_expectation():
    names = {route.name for route in ROUTES}
    assert set(REQUESTS) == names
    assert set(EXPECTED) == names


# The suite's 300 s per test is for a test that hangs; this one judges every cell in 245 s on an idle box and
# took over 300 s on one at half speed (2026-12-07 afternoon).
@pytest.mark.timeout(900)
def test_the_authorization_matrix(world):
    """Every cell is judged. A route whose request is the same for every relation (it names no record: /me,
    the caller's district settings, signing out) is sent once per role and its answer judged for each."""
    started, unexpected, observed, sent = time.monotonic(), [], {}, 0
    for column in COLUMNS:
        role = TEACHER if column in TEACHERS else column
        if role == TEACHER:
            set_teacher_permissions(world, [column.split("+", 1)[1]] if "+" in column else [])
        for route in ROUTES:
            access = EXPECTED[route.name]
            answers: dict[tuple, Answer] = {}
            for relation in RELATIONS:
                target = world.targets[role, relation]
                request = REQUESTS[route.name](world, target)
                if request.key not in answers:
                    answers[request.key] = send(world, route, access, request, role, target)
                    sent += 1
                answer = answers[request.key]
                observed[f"{route.name} {column} {relation}"] = answer.said
                verdict = judge(answer, access, (column, relation), role) or (
                    answer.leaks if (column, relation) in access.allowed else "")
                if verdict:
                    unexpected.append(f"{route.name} × {column} × {relation}: {verdict}")
    set_teacher_permissions(world, [])
    elapsed = time.monotonic() - started
    print(f"\nmatrix: {len(ROUTES)} routes × {len(COLUMNS)} roles × {len(RELATIONS)} relations = "
          f"{len(observed)} cells ({sent} requests) in {elapsed:.1f} s")
    if os.environ.get("MATRIX_OBSERVED"):
        with open(os.environ["MATRIX_OBSERVED"], "w") as out:
            json.dump(observed, out, indent=0, sort_keys=True)
    assert unexpected == [], "\n".join(unexpected)


@dataclass
class Answer:
    status: int
    item: str | None  # a bulk answer's outcome for the one item sent
    body: dict
    text: str
    leaks: str  # what a 2xx said that it must not

    @property
    def said(self) -> str:
        return f"{self.status}{f' {self.item}' if self.item else ''}"

    @property
    def acted(self) -> bool:
        return self.status < 300 and self.item not in DENIED_OUTCOMES


def send(world: World, route, access, request: Request, role: str, target: Target) -> Answer:
    token = None if access.public else (request.token or world.tokens[role])
    if request.fresh_session and role != SERVICE_CREDENTIAL:
        token = world.stack.login(target.caller_login, PASSWORD)
    before = request.before(world, target)
    response = world.api(request.method, request.path, token, json=request.json, params=request.params)
    body = _json(response)
    item = body["results"][0]["outcome"] if request.bulk and response.status_code < 300 and body.get(
        "results") else None
    answer = Answer(response.status_code, item, body, response.text[:200], "")
    if access.public:
        return answer
    if answer.acted and request.restore is not None:
        request.restore(world, target, before)
    if response.status_code < 300:
        answer.leaks = _leaks(route, body, world, role)
    return answer


def judge(answer: Answer, access, cell, role: str) -> str:
    """Why `answer` is wrong for `cell`, or ''."""
    if access.public:
        return "" if answer.status in access.public_statuses else f"public route answered {answer.said}"
    if cell in access.allowed:
        ok = answer.status in access.allowed_statuses if access.allowed_statuses else answer.acted
        return "" if ok else f"allowed, but answered {answer.said}: {answer.text}"
    if answer.acted and access.empty_when_denied and not _records(answer.body):
        return ""
    if answer.acted:
        return f"UNEXPECTED 2xx: {answer.text}"
    # A service token is no one signed in at the gateway; a person is refused for the permission or the record.
    refused = (401,) if role == SERVICE_CREDENTIAL else (403, 404)
    if answer.status not in refused and answer.item not in DENIED_OUTCOMES:
        return f"denied, but answered {answer.said}: {answer.text}"
    return ""


def _records(body: dict) -> list:
    """The rows of a page, whatever the route calls them."""
    return [row for key in ("items", "entries", "runs", "results") for row in body.get(key) or ()]


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"items": body}


def _leaks(route, body, world: World, role: str) -> str:
    undeclared = sorted(undeclared_keys(route.response, body)) if route.response else []
    if undeclared:
        return f"fields the response schema does not declare: {undeclared}"
    secrets = sorted(key for key in all_keys(body) if SECRET_KEYS.search(key))
    if secrets:
        return f"secret fields in the answer: {secrets}"
    if role in (GUARDIAN, STUDENT):
        own = {world.emails[role]}
        text = json.dumps(body)
        others = {value for value in EMAIL.findall(text) + PHONE.findall(text) if value not in own}
        mine = _own_phones(world, role)
        others -= mine
        if others:
            return f"someone else's credentials: {sorted(others)}"
    return ""


def _own_phones(world: World, role: str) -> set[str]:
    me = world.api("GET", f"{API}/me", world.tokens[role]).json()
    account = me.get("account") or {}
    return {value for value in (account.get("mobile_phone"), account.get("home_phone"), account.get("email"))
            if value}


def test_a_permissions_admin_cannot_abuse_the_permission_and_every_change_reads_in_the_audit_log(world):
    teacher, teacher_id = world.tokens[TEACHER], world.person_ids[TEACHER]
    colleague = world.schools["here", "lincoln"].teacher_2
    set_teacher_permissions(world, [identity.PERMISSIONS_ADMIN])

    def put(person_id: str, *permissions: str):
        return world.api("PUT", f"{API}/staff/{person_id}/permissions", teacher,
                         json={"permissions": list(permissions)})

    own = put(teacher_id, identity.PERMISSIONS_ADMIN, identity.ROSTERING_ADMINISTRATOR)
    assert own.status_code == 403
    assert "nobody changes their own permissions" in own.json()["error"]["message"]
    assert put(colleague, identity.USERS_MANAGER).json()["permissions"] == [identity.USERS_MANAGER]
    for beyond in (identity.PERMISSIONS_ADMIN, identity.ROSTERING_ADMINISTRATOR):
        refused = put(colleague, identity.USERS_MANAGER, beyond)
        assert refused.status_code == 403
        assert refused.json()["error"]["fields"]["permissions"] == [
            f"you may not grant or remove {beyond}: ask a district administrator"]
    assert put(colleague).status_code == 200
    assert SET_STAFF_PERMISSIONS in world.api("GET", f"{API}/me", teacher).json()["effective_permissions"]
    set_teacher_permissions(world, [])

    def colleague_changes():
        page = world.api("GET", f"{DIRECTORY}/audit-log", world.administrator("here"),
                         params={"subject_id": colleague})
        return [entry for entry in page.json()["items"] if entry["action"] == "set_staff_permissions"
                and entry["actor_id"] == teacher_id]

    changes = wait_for(lambda: len(colleague_changes()) == 2 and colleague_changes(), what="both changes audited")
    assert [(entry["before"], entry["after"]) for entry in changes] == [
        ({"permissions": [identity.USERS_MANAGER]}, {"permissions": []}),
        ({"permissions": []}, {"permissions": [identity.USERS_MANAGER]})]
    # Only the district's administrators read it.
    assert world.api("GET", f"{DIRECTORY}/audit-log", world.tokens[SCHOOL_ADMIN]).status_code == 403


def test_me_answers_what_each_caller_may_do_so_no_screen_hard_codes_roles(world):
    def effective(role: str) -> set[str]:
        me = world.api("GET", f"{API}/me", world.tokens[role])
        assert me.status_code == 200, me.text
        return set(me.json()["effective_permissions"])

    assert effective(DISTRICT_ADMIN) == set(ACTIONS)
    assert {"notify.announce_school", "directory.manage_people"} <= effective(SCHOOL_ADMIN)
    assert "directory.read_audit_log" not in effective(SCHOOL_ADMIN)
    assert effective(GUARDIAN) == effective(STUDENT) == {"directory.view_profiles"}

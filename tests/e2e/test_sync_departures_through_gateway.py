"""Departures through the whole platform: a package without a fifth of Lincoln's students is held by the
mass-change guard, shown row by row through the gateway, approved by the district administrator, and
applied: the departed leave searches and announcements, and their families cannot sign in. A run that is
rejected applies nothing."""
from __future__ import annotations

import csv
import json
import shutil

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL, write_demo_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package

from district_support import PASSWORD, find_person_id, person, schoolctl, search, set_password, sign_in, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.also_on_sqlite]

LEAVING = tuple(f"lincoln-elem-student-{n}" for n in range(1, 9))
LEAVING_GUARDIAN = "lincoln-elem-student-2-guardian-1"


def without(package, out, leaving: tuple[str, ...]):
    """The package without these students, their enrollments, and guardians left with no child."""
    shutil.copytree(package, out)
    gone = set(leaving)
    with (package / "users.csv").open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        columns, users = reader.fieldnames, list(reader)
    kept = []
    for user in users:
        agents = [agent for agent in user["agentSourcedIds"].split(",") if agent and agent not in gone]
        if user["sourcedId"] in gone or (user["role"] != "student" and user["agentSourcedIds"] and not agents):
            gone.add(user["sourcedId"])
            continue
        kept.append({**user, "agentSourcedIds": ",".join(agents)})
    _rewrite(out / "users.csv", columns, kept)
    with (package / "enrollments.csv").open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        columns, rows = reader.fieldnames, [row for row in reader if row["userSourcedId"] not in gone]
    _rewrite(out / "enrollments.csv", columns, rows)
    return out


def _rewrite(path, columns, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def held_run(stack, package) -> dict:
    result = schoolctl(stack, "roster", "import", str(package), "--json")
    assert result.returncode == 3, result.stdout + result.stderr  # 3: held for approval
    return json.loads(result.stdout)


def test_departures_wait_for_approval_then_leave_searches_sign_in_and_announcements(stack, tmp_path):
    package = write_demo_district(tmp_path / "district")
    snapshot = read_package(package)
    assert schoolctl(stack, "roster", "import", str(package)).returncode == 0
    set_password(stack, person(snapshot, LEAVING_GUARDIAN).email)
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    departing = person(snapshot, LEAVING[0])
    departing_id = find_person_id(stack, admin, departing, "student")

    held = held_run(stack, without(package, tmp_path / "departures", LEAVING))

    waiting = stack.api("GET", "/api/v1/rostering/runs", admin, params={"state": "awaiting_approval"}).json()
    assert [run["run_id"] for run in waiting["items"]] == [held["run_id"]]
    shown = stack.api("GET", f"/api/v1/rostering/runs/{held['run_id']}", admin).json()
    assert shown["state"] == "awaiting_approval" and shown["diff"]["archiving"]["people"] >= len(LEAVING)
    changes = stack.api("GET", f"/api/v1/rostering/runs/{held['run_id']}/changes", admin,
                        params={"entity": "people", "per_page": 100}).json()
    assert {change["key"] for change in changes["items"]} >= set(LEAVING)
    assert all(change["file"] == "users.csv" for change in changes["items"])
    # Nothing is applied while the run waits.
    assert departing_id in {item["id"] for item in search(stack, admin, kind="student", per_page=200)["items"]}

    approved = stack.api("POST", f"/api/v1/rostering/runs/{held['run_id']}/approve", admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == stack.api("GET", "/api/v1/me", admin).json()["principal"]["person_id"]
    wait_for(lambda: stack.api("GET", f"/api/v1/rostering/runs/{held['run_id']}", admin).json()["state"]
             == "completed", what="the approved run to complete")

    students = {item["id"] for item in search(stack, admin, kind="student", per_page=200)["items"]}
    assert departing_id not in students
    archived = search(stack, admin, query=departing.family_name, kind="student", include_archived=True,
                      per_page=200)["items"]
    assert any(item["id"] == departing_id and item["archived"] for item in archived)
    # The family that left can no longer sign in.
    wait_for(lambda: stack.api("POST", "/api/v1/auth/login", json={
        "login": person(snapshot, LEAVING_GUARDIAN).email, "password": PASSWORD}).status_code == 401,
        what="the guardian's account to be archived")
    # An announcement to the whole school reaches none of them.
    lincoln = next(s["id"] for s in stack.api("GET", "/api/v1/schools", admin).json()["items"]
                   if s["name"] == "Lincoln Elementary")
    sent = stack.api("POST", "/api/v1/announcements", admin, json={
        "audience": {"school_id": lincoln}, "subject": "Picture day", "body": "Friday."})
    assert sent.status_code == 202, sent.text
    report_path = f"/api/v1/announcements/{sent.json()['communication_id']}/report"
    wait_for(lambda: stack.api("GET", report_path, admin, params={"per_page": 1000}).json()["items"],
             what="the announcement to be planned")
    reached = {line["person_id"] for line in
               stack.api("GET", report_path, admin, params={"per_page": 1000}).json()["items"]}
    assert departing_id not in reached and reached


def test_a_rejected_run_applies_nothing_and_only_rostering_administrators_decide(stack, tmp_path):
    package = write_demo_district(tmp_path / "district")
    snapshot = read_package(package)
    assert schoolctl(stack, "roster", "import", str(package)).returncode == 0
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    teacher = sign_in(stack, person(snapshot, "lincoln-elem-teacher-1").email)
    held = held_run(stack, without(package, tmp_path / "departures", LEAVING))

    assert stack.api("POST", f"/api/v1/rostering/runs/{held['run_id']}/approve", teacher).status_code == 403
    rejected = stack.api("POST", f"/api/v1/rostering/runs/{held['run_id']}/reject", admin,
                         json={"reason": "the SIS export was cut short"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    again = stack.api("POST", f"/api/v1/rostering/runs/{held['run_id']}/approve", admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert stack.api("GET", "/api/v1/rostering/runs/no-such-run", admin).status_code == 404
    departing_id = find_person_id(stack, admin, person(snapshot, LEAVING[0]), "student")
    assert departing_id in {item["id"] for item in search(stack, admin, kind="student", per_page=200)["items"]}

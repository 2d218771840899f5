"""A OneRoster package imported through rostering, then searched and viewed through the gateway.

Every process runs separately (identity, directory, notify, rostering, gateway),
on a vhost and PostgreSQL schemas of this test's own.
"""
from __future__ import annotations

import json

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL, write_demo_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from shared.contracts import notify

from district_support import PASSWORD, find_person_id, people_named, schoolctl, search, set_password, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.also_on_sqlite]


@pytest.fixture
def district(tmp_path):
    package = write_demo_district(tmp_path / "district")
    return package, read_package(package)


def test_imported_district_is_searchable_and_scoped_through_the_gateway(stack, district):
    package, snapshot = district
    students = people_named(snapshot, roles=("student",))

    imported = schoolctl(stack, "roster", "import", str(package), "--json")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    run = json.loads(imported.stdout)
    assert run["state"] == "completed"
    assert run["errors"] == []
    assert run["counts"]["people"]["created"] == len(snapshot.people)

    # Importing the same package again changes nothing.
    again = json.loads(schoolctl(stack, "roster", "import", str(package), "--json").stdout)
    for entity, counts in again["counts"].items():
        assert counts["created"] == counts["updated"] == 0, (entity, counts)

    set_password(stack, DEMO_ADMIN_EMAIL)
    admin = stack.login(DEMO_ADMIN_EMAIL, PASSWORD)

    me = stack.api("GET", "/api/v1/me", admin).json()
    assert [grant["role"] for grant in me["principal"]["roles"]] == ["district_admin"]

    # The import printed its run's short id at once; the run's progress view answers to it.
    assert f"Sync run {run['short_id']} started" in imported.stderr
    followed = stack.api("GET", f"/api/v1/rostering/runs/{run['short_id']}/progress", admin).json()
    assert (followed["run_id"], followed["state"], followed["poll_after_seconds"]) == (run["run_id"], "completed",
                                                                                      None)
    assert followed["progress"]["pages_applied"] == followed["progress"]["pages_total"] > 0
    assert followed["counts"] == run["counts"] and followed["error_count"] == 0

    # Search with filters and pagination.
    all_students = search(stack, admin, kind="student", per_page=10)
    assert all_students["total"] == len(students)
    assert len(all_students["items"]) == 10
    second_page = search(stack, admin, kind="student", per_page=10, page=2)
    assert {i["id"] for i in second_page["items"]}.isdisjoint({i["id"] for i in all_students["items"]})

    schools = stack.api("GET", "/api/v1/schools", admin).json()["items"]
    assert sorted(s["name"] for s in schools) == ["Lincoln Elementary", "Roosevelt Middle School"]
    lincoln = next(s["id"] for s in schools if s["name"] == "Lincoln Elementary")
    lincoln_students = search(stack, admin, kind="student", school_id=lincoln, per_page=200)
    assert lincoln_students["total"] == sum("lincoln-elem" in p.org_source_ids for p in students)
    guardians = search(stack, admin, kind="guardian", per_page=1)
    assert guardians["total"] == len([p for p in snapshot.people if "guardian" in p.kinds])

    # A student profile shows guardians, school and classrooms.
    student = next(p for p in students if p.source_id == "lincoln-elem-student-1")
    student_id = find_person_id(stack, admin, student, "student")
    profile = stack.api("GET", f"/api/v1/directory/students/{student_id}", admin).json()
    assert profile["grade"] == student.grade
    assert [s["name"] for s in profile["schools"]] == ["Lincoln Elementary"]
    assert [c["title"] for c in profile["classrooms"]] == ["Homeroom 03"]
    assert len(profile["guardians"]) == 2
    assert profile["student_account_status"] == "not_enabled"

    # A guardian's user profile: credentials (the family's shared mobile is flagged), linked students.
    guardian = next(p for p in snapshot.people if p.source_id == "lincoln-elem-student-1-guardian-1")
    guardian_id = next(g["id"] for g in profile["guardians"] if g["given_name"] == guardian.given_name)
    user = stack.api("GET", f"/api/v1/directory/people/{guardian_id}", admin).json()
    assert [s["id"] for s in user["linked_students"]] == [student_id]
    assert user["account_status"] == "invitee"
    credentials = {c["kind"]: c for c in user["credentials"]}
    assert credentials["email"]["value"] == guardian.email
    mobile = {name: value for name, value in credentials["mobile_phone"].items() if name != "delivery_status"}
    assert mobile == {"kind": "mobile_phone", "value": guardian.mobile_phone, "shared": True}
    # Nothing was ever sent to it: notify knows the credential, and nothing says it is bad.
    assert credentials["mobile_phone"]["delivery_status"] in (None, {**credentials["mobile_phone"]["delivery_status"],
                                                                     "state": "good"})
    assert user["home_phone"] == guardian.home_phone

    # The teacher of Homeroom 03 sees their own students, not another class's.
    set_password(stack, next(p.email for p in snapshot.people if p.source_id == "lincoln-elem-teacher-1"))
    teacher = stack.login(next(p.email for p in snapshot.people if p.source_id == "lincoln-elem-teacher-1"), PASSWORD)
    teacher_students = search(stack, teacher, kind="student", per_page=200)
    assert teacher_students["total"] == 8
    other = next(p for p in students if p.source_id == "lincoln-elem-student-9")  # Mathematics class
    other_id = find_person_id(stack, admin, other, "student")
    hidden = stack.api("GET", f"/api/v1/directory/students/{other_id}", teacher)
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"
    denied = stack.api("POST", "/api/v1/directory/students/enable-accounts", teacher,
                       json={"student_ids": [student_id]})
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"

    # A guardian sees their own child and cannot search.
    set_password(stack, guardian.email)
    parent = stack.login(guardian.email, PASSWORD)
    assert stack.api("GET", f"/api/v1/directory/students/{student_id}", parent).status_code == 200
    assert stack.api("GET", f"/api/v1/directory/students/{other_id}", parent).status_code == 404
    assert stack.api("GET", "/api/v1/directory/people", parent).status_code == 403

    # Enabling student accounts: per-item results, visible in the filter and in notify's projection.
    enabled = stack.api("POST", "/api/v1/directory/students/enable-accounts", admin,
                        json={"student_ids": [student_id, other_id, "no-such-student"]})
    assert enabled.status_code == 200, enabled.text
    outcomes = {r["key"]: r["outcome"] for r in enabled.json()["results"]}
    assert outcomes == {student_id: "enabled", other_id: "enabled", "no-such-student": "not_found"}
    # Enabled, not yet invited: the status reads Invited only once an invitation was sent.
    enabled_now = search(stack, admin, kind="student", student_account_status="enabled")
    assert {i["id"] for i in enabled_now["items"]} == {student_id, other_id}
    assert search(stack, admin, kind="student", student_account_status="invited")["items"] == []

    def projected():
        with stack.rpc_as_operator() as rpc:
            rows = rpc(notify.contract).get_recipients({"person_ids": [student_id, guardian_id]})["recipients"]
        by_id = {row["person_id"]: row for row in rows}
        ready = (by_id.get(student_id, {}).get("student_account_enabled")
                 and by_id.get(guardian_id, {}).get("joined"))
        return by_id if ready else None

    recipients = wait_for(projected)
    assert recipients[guardian_id]["email"] == guardian.email
    assert recipients[guardian_id]["mobile_phone"] == guardian.mobile_phone
    assert "guardian" in recipients[guardian_id]["kinds"]

    # The district's sync settings: a source with its secret, which is never answered; each change audited.
    settings = stack.api("GET", "/api/v1/rostering/settings", admin)
    assert settings.status_code == 200, settings.text
    assert settings.json()["source"] == "oneroster_csv" and settings.json()["daily_sync"] is False
    connection = {"tenant_id": "1234", "application_id": "5678", "server_url": "https://lincoln.example.org",
                  "client_id": "key", "client_secret": "the-classlink-secret"}
    changed = stack.api("PATCH", "/api/v1/rostering/settings", admin,
                        json={"source": "classlink", "connection": connection, "daily_time": "05:30",
                              "time_zone": "America/Chicago"})  # the daily sync stays off: no run starts by itself
    assert changed.status_code == 200, changed.text
    assert changed.json()["connection"]["client_secret_set"] is True and changed.json()["daily_time"] == "05:30"
    assert changed.json()["updated_by"] == me["principal"]["person_id"]
    shown = stack.api("GET", "/api/v1/rostering/settings", admin)
    assert "the-classlink-secret" not in changed.text + shown.text
    unknown = stack.api("PATCH", "/api/v1/rostering/settings", admin, json={"source": "powerschool"})
    assert unknown.status_code == 400 and "source" in unknown.json()["error"]["fields"]
    assert stack.api("GET", "/api/v1/rostering/settings", teacher).status_code == 403

    def audited():
        entries = stack.api("GET", "/api/v1/directory/audit-log", admin).json()["items"]
        return [entry for entry in entries if entry["action"] == "change_sync_settings"] or None

    [entry] = wait_for(audited)
    assert entry["subject_type"] == "district" and entry["after"]["source"] == "classlink"
    assert entry["after"]["connection"]["client_secret_set"] is True and "the-classlink-secret" not in str(entry)

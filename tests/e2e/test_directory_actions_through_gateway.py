"""Staff managing the directory by hand through the gateway, every process running, on PostgreSQL:
enrolling, staff, guardians (new, linked, refused for a joined account's credential), archiving with jobs,
the locks of a district that syncs, bad input, and the audit log."""
from __future__ import annotations

import pytest

from schoolctl.demo import DEMO_ADMIN_EMAIL, DEMO_GUARDIAN_EMAIL
from shared.contracts import directory, rostering

from district_support import find_person_id, import_demo_district, person, sign_in

pytestmark = pytest.mark.e2e

DIRECTORY = "/api/v1/directory"


@pytest.fixture
def demo(stack, tmp_path):
    """The demo district imported; its administrator, Lincoln's principal and a Lincoln teacher signed in."""
    snapshot = import_demo_district(stack, tmp_path / "district")
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    schools = {s["name"]: s["id"] for s in stack.api("GET", "/api/v1/schools", admin).json()["items"]}
    return Demo(stack, snapshot, admin, sign_in(stack, "principal1@demo-district.example.org"),
                sign_in(stack, person(snapshot, "lincoln-elem-teacher-1").email), schools)


class Demo:
    def __init__(self, stack, snapshot, admin, principal, teacher, schools):
        self.stack, self.snapshot, self.admin, self.principal, self.teacher = stack, snapshot, admin, principal, teacher
        self.lincoln, self.roosevelt = schools["Lincoln Elementary"], schools["Roosevelt Middle School"]
        self.district_id = stack.api("GET", "/api/v1/me", admin).json()["principal"]["district_id"]

    def id_of(self, source_id: str, kind: str) -> str:
        return find_person_id(self.stack, self.admin, person(self.snapshot, source_id), kind)

    def call(self, method: str, path: str, token: str | None = None, expect: int = 200, **body):
        response = self.stack.api(method, DIRECTORY + path, token or self.admin, json=body or None)
        assert response.status_code == expect, response.text
        return response.json()

    def classrooms_of(self, student_id: str) -> dict[str, str]:
        profile = self.stack.api("GET", f"{DIRECTORY}/students/{student_id}", self.admin).json()
        return {room["title"]: room["id"] for room in profile["classrooms"]}

    def guardians_of(self, student_id: str) -> set[str]:
        profile = self.stack.api("GET", f"{DIRECTORY}/students/{student_id}", self.admin).json()
        return {guardian["id"] for guardian in profile["guardians"]}

    def directory_rpc(self, method: str, request: dict) -> dict:
        """What only rostering calls (a sync's writes), with rostering's platform credential."""
        with self.stack.rpc_as_platform(rostering.NAME) as rpc:
            return getattr(rpc(directory.contract), method)(request)


def test_staff_manage_the_directory_by_hand_through_the_gateway(demo):
    student_one = demo.id_of("lincoln-elem-student-1", "student")
    student_nine = demo.id_of("lincoln-elem-student-9", "student")
    homeroom = demo.classrooms_of(student_one)["Homeroom 03"]
    roosevelt_room = next(iter(demo.classrooms_of(demo.id_of("roosevelt-middle-student-1", "student")).values()))

    new_student = enrolls_and_unenrolls(demo, student_nine, homeroom)
    new_staff = adds_staff(demo, homeroom)
    manages_guardians(demo, new_student, student_one, student_nine)
    archives_with_jobs(demo, new_student, new_staff)
    refuses_bad_input(demo, new_student, homeroom, roosevelt_room)
    locks_what_the_sync_owns(demo, student_one)
    reads_the_audit_log(demo, new_student)


def enrolls_and_unenrolls(demo, student_nine: str, homeroom: str) -> str:
    created = demo.call("POST", "/enrollments", demo.principal, school_id=demo.lincoln, classroom_id=homeroom,
                        student={"given_name": "Nia", "family_name": "Zephyrine", "grade": "03"})
    assert created["outcome"] == "created"
    assert demo.classrooms_of(created["person_id"]) == {"Homeroom 03": homeroom}

    before = demo.classrooms_of(student_nine)
    assigned = demo.call("POST", "/enrollments", demo.principal, school_id=demo.lincoln, classroom_id=homeroom,
                         person_id=student_nine)
    assert assigned["outcome"] == "enrolled"
    assert demo.classrooms_of(student_nine) == {**before, "Homeroom 03": homeroom}
    left = demo.call("POST", f"/people/{student_nine}/unenroll", demo.principal, classroom_id=homeroom)
    assert (left["outcome"], left["classroom_ids"]) == ("done", [homeroom])
    assert demo.classrooms_of(student_nine) == before
    return created["person_id"]


def adds_staff(demo, homeroom: str) -> str:
    added = demo.call("POST", "/staff", demo.principal, school_ids=[demo.lincoln], job_title="Aide",
                      staff={"given_name": "Ola", "family_name": "Quillfeather", "email": "ola.q@demo-staff.example.org"})
    assert added["outcome"] == "created"
    titled = demo.call("PUT", f"/staff/{added['person_id']}/job-title", demo.principal, job_title="Reading tutor")
    assert titled["job_title"] == "Reading tutor"
    assigned = demo.call("POST", f"/staff/{added['person_id']}/classrooms", demo.principal, classroom_id=homeroom)
    assert assigned["outcome"] == "done"
    profile = demo.stack.api("GET", f"{DIRECTORY}/people/{added['person_id']}", demo.admin).json()
    assert (profile["kinds"], profile["job_title"], profile["managed_by_sync"]) == (["staff"], "Reading tutor", False)
    assert profile["account_status"] == "invitee"
    return added["person_id"]


def manages_guardians(demo, new_student: str, student_one: str, student_nine: str) -> None:
    typed = {"given_name": "Ray", "family_name": "Zephyrine", "email": "ray.z@families.example.org",
             "mobile_phone": "(415) 555-0199"}
    created = demo.call("POST", f"/students/{new_student}/guardians", demo.principal, guardian=typed,
                        relationship="father")
    assert created["outcome"] == "created"
    linked = demo.call("POST", f"/students/{student_nine}/guardians", demo.principal, guardian=typed)
    assert (linked["outcome"], linked["guardian_id"]) == ("linked_existing", created["guardian_id"])

    # The demo parent has joined: their email goes to nobody else, and the refusal names them.
    parent = sign_in(demo.stack, DEMO_GUARDIAN_EMAIL)
    assert parent
    parent_id = demo.id_of("lincoln-elem-student-1-guardian-1", "guardian")
    refused = demo.call("POST", f"/students/{new_student}/guardians", demo.principal, expect=409, guardian={
        "given_name": "Pat", "family_name": "Other", "email": DEMO_GUARDIAN_EMAIL, "mobile_phone": "(415) 555-0177"})
    assert refused["error"]["message"] == "This email and phone can't be used at the same time"
    assert refused["error"]["fields"]["existing_person_id"] == [parent_id]
    assert demo.call("POST", f"/students/{new_student}/guardians", demo.principal,
                     person_id=parent_id)["outcome"] == "linked"

    edited = demo.call("PATCH", f"/students/{new_student}/guardians/{created['guardian_id']}", demo.principal,
                       given_name="Raymond", email="raymond.z@families.example.org", relationship="stepfather")
    assert (edited["given_name"], edited["email"], edited["relationship"]) == (
        "Raymond", "raymond.z@families.example.org", "stepfather")
    removed = demo.call("DELETE", f"/students/{student_nine}/guardians/{created['guardian_id']}", demo.principal)
    assert removed["outcome"] == "done"
    assert created["guardian_id"] not in demo.guardians_of(student_nine)

    bulk = demo.call("POST", "/students/remove-guardians", demo.principal,
                     student_ids=[new_student, student_nine, "f" * 32])
    assert {r["key"]: r["outcome"] for r in bulk["results"]} == {
        new_student: "done", student_nine: "done", "f" * 32: "not_found"}
    assert bulk["summary"] == {"done": 2, "not_found": 1}
    assert demo.guardians_of(new_student) == set()
    assert demo.guardians_of(student_one)  # untouched


def archives_with_jobs(demo, new_student: str, new_staff: str) -> None:
    job = demo.call("POST", "/people/archive", demo.principal, person_ids=[new_student])
    assert (job["state"], job["summary"]) == ("completed", {"done": 1})
    found = demo.stack.api("GET", f"{DIRECTORY}/people", demo.admin, params={"query": "Nia Zephyrine"}).json()
    assert found["total"] == 0
    job = demo.call("POST", "/people/unarchive", demo.principal, person_ids=[new_student])
    assert job["summary"] == {"done": 1}

    job = demo.call("POST", "/people/archive", demo.admin, matching={"query": "Quillfeather", "kind": "staff"})
    assert (job["total"], job["summary"]) == (1, {"done": 1})
    assert demo.call("GET", f"/jobs/{job['job_id']}")["results"][0]["id"] == new_staff
    job = demo.call("POST", "/people/unarchive", demo.admin,
                    matching={"query": "Quillfeather", "include_archived": True})
    assert job["summary"] == {"done": 1}


def refuses_bad_input(demo, new_student: str, homeroom: str, roosevelt_room: str) -> None:
    other = demo.directory_rpc("upsert_district", {"source_id": "elsewhere", "name": "Elsewhere USD"})
    [other_school] = demo.directory_rpc("upsert_schools", {"district_id": other["id"], "schools": [
        {"source_id": "far", "name": "Far School"}]})["results"]
    teacher_id = demo.id_of("lincoln-elem-teacher-1", "staff")
    admin_id = demo.id_of("admin-1", "staff")
    cases = [
        ("POST", "/enrollments", dict(school_id="f" * 32, person_id=new_student), 404, "school_id"),
        ("POST", "/enrollments", dict(school_id=other_school["id"], person_id=new_student), 404, "school_id"),
        ("POST", "/enrollments", dict(school_id=demo.lincoln, classroom_id=roosevelt_room, person_id=new_student),
         400, "classroom_id"),
        ("POST", f"/students/{teacher_id}/guardians", dict(person_id=new_student), 400, "student_id"),
        ("POST", "/students/remove-guardians", dict(student_ids=["x"] * 5001), 400, "student_ids"),
        ("POST", "/people/archive", dict(matching={"kind": "teacher"}), 400, "matching.kind"),
        ("POST", f"/staff/{teacher_id}/classrooms", dict(classroom_id="f" * 32), 404, "classroom_id"),
    ]
    for method, path, body, status, field in cases:
        answer = demo.call(method, path, demo.admin, expect=status, **body)
        assert field in answer["error"]["fields"], (path, answer)
    yourself = demo.call("POST", "/people/archive", demo.admin, person_ids=[admin_id])
    assert yourself["results"][0]["outcome"] == "refused"
    assert yourself["results"][0]["problems"][0]["reason"] == "you cannot archive or unarchive yourself"
    assert demo.call("POST", "/staff", demo.teacher, expect=403, school_ids=[demo.lincoln],
                     person_id=teacher_id)["error"]["code"] == "permission_denied"
    assert homeroom in demo.classrooms_of(new_student).values()


def locks_what_the_sync_owns(demo, student_one: str) -> None:
    demo.directory_rpc("set_district_sync", {"district_id": demo.district_id, "source": "Clever",
                                             "manages_guardians": True,
                                             "updates_contact_details_of_active_users": False})
    guardian_two = demo.id_of("lincoln-elem-student-1-guardian-2", "guardian")
    locked = demo.call("DELETE", f"/students/{student_one}/guardians/{guardian_two}", expect=423)
    assert "Clever" in locked["error"]["message"] and "allow sync to manage guardians" in locked["error"]["message"]
    teacher_id = demo.id_of("lincoln-elem-teacher-1", "staff")
    assert "Clever" in demo.call("PUT", f"/staff/{teacher_id}/job-title", expect=423,
                                 job_title="Coach")["error"]["message"]

    # Guardians off: the guardian link is the school's, but the contact details of one who has not joined
    # stay the sync's.
    demo.directory_rpc("set_district_sync", {"district_id": demo.district_id, "source": "Clever",
                                             "manages_guardians": False})
    contact = demo.call("PATCH", f"/students/{student_one}/guardians/{guardian_two}", expect=423,
                        email="someone@families.example.org")
    assert "Clever" in contact["error"]["fields"]["email"][0]
    assert demo.call("DELETE", f"/students/{student_one}/guardians/{guardian_two}")["outcome"] == "done"
    demo.directory_rpc("set_district_sync", {"district_id": demo.district_id, "source": None})


def reads_the_audit_log(demo, new_student: str) -> None:
    page = demo.stack.api("GET", f"{DIRECTORY}/audit-log", demo.admin, params={"subject_id": new_student}).json()
    actions = {entry["action"] for entry in page["items"]}
    assert {"create_person", "enroll_student", "add_guardian", "remove_guardian", "archive_person",
            "unarchive_person"} <= actions
    assert all(entry["at"].endswith("+00:00") for entry in page["items"])
    first = demo.stack.api("GET", f"{DIRECTORY}/audit-log", demo.admin, params={"per_page": 2}).json()
    assert first["total"] > 2 and first["next"] == f"{DIRECTORY}/audit-log?per_page=2&page=2"
    after = demo.stack.api("GET", first["next"], demo.admin).json()
    assert {e["id"] for e in first["items"]}.isdisjoint({e["id"] for e in after["items"]})
    denied = demo.stack.api("GET", f"{DIRECTORY}/audit-log", demo.principal)
    assert denied.status_code == 403

"""The seeded world of the authorization matrix: two districts (the demo district and a copy of it), a signed-in
caller per role, and for each caller the records of each relation (their own, of their school, of the other
school, of the other district), with the jobs, announcements and sync runs the routes read."""
from __future__ import annotations

from dataclasses import dataclass, field

from schoolctl.demo import DEMO_ADMIN_EMAIL, DEMO_GUARDIAN_SOURCE_ID
from datetime import datetime, timezone

from services.identity.adapters.service_credentials import add_service_credential
from shared.contracts import identity
from shared.contracts.callers import ANNOUNCEMENTS_SEND, DIRECTORY_READ
from shared.messaging import cluster_rpc
from shared.testing.authorization import (
    DISTRICT_ADMIN, GUARDIAN, OTHER_DISTRICT, OTHER_SCHOOL, OWN, SAME_SCHOOL, SCHOOL_ADMIN, SERVICE_CREDENTIAL, STUDENT,
    TEACHER,
)

from district_support import (
    OTHER_DISTRICT_ID, find_person_id, import_demo_district, person, sign_in, write_other_district, wait_for,
)

SCHOOLS = {"lincoln": "Lincoln Elementary", "roosevelt": "Roosevelt Middle School"}
SOURCE_PREFIX = {"lincoln": "lincoln-elem", "roosevelt": "roosevelt-middle"}
OTHER = {"lincoln": "roosevelt", "roosevelt": "lincoln"}
# The demo's seats (schoolctl.demo): class 1 of each school seats students 1-8, class 2 students 9-16;
# student 1 has two guardians, student 9 one; the enabled student of the matrix sits at Roosevelt (its students
# have school emails to sign in with).
CALLER_SOURCES = {DISTRICT_ADMIN: "admin-1", SCHOOL_ADMIN: "principal-1", TEACHER: "lincoln-elem-teacher-1",
                  GUARDIAN: DEMO_GUARDIAN_SOURCE_ID, STUDENT: "roosevelt-middle-student-1"}
CALLER_SCHOOLS = {DISTRICT_ADMIN: "lincoln", SCHOOL_ADMIN: "lincoln", TEACHER: "lincoln", GUARDIAN: "lincoln",
                  STUDENT: "roosevelt"}
KINDS = {DISTRICT_ADMIN: "staff", SCHOOL_ADMIN: "staff", TEACHER: "staff", GUARDIAN: "guardian",
         STUDENT: "student"}


@dataclass
class SchoolRecords:
    """The records of one school of one district the matrix aims at."""

    school_id: str
    student_1: str  # in class 1, two guardians
    student_1_guardian_1: str
    student_9: str  # in class 2
    student_9_guardian_1: str
    teacher_2: str  # teaches class 2
    class_1: str
    class_2: str
    class_3: str


@dataclass
class Target:
    """What one cell aims at: ids of the relation's records, and who may put them back after a change."""

    school_id: str
    person_id: str  # a person route's subject: the caller themselves for OWN
    student_id: str
    guardian_id: str  # a guardian linked to student_id
    staff_id: str
    classroom_id: str  # a classroom of the student's school, one student_id is in
    spare_classroom_id: str  # a classroom of that school student_id is not in
    job_id: str
    invitation_job_id: str
    announcement_id: str
    run_id: str
    district: str  # "here" (the callers' district) or "there"
    caller: str  # the caller's role (every teacher column is the one teacher)
    caller_login: str


@dataclass
class World:
    stack: object
    tokens: dict[str, str]  # role -> token (the teacher's token serves every teacher column)
    person_ids: dict[str, str]
    emails: dict[str, str]
    schools: dict[tuple[str, str], SchoolRecords] = field(default_factory=dict)  # (district, school)
    jobs: dict[str, str] = field(default_factory=dict)  # requester key -> job id
    announcements: dict[str, str] = field(default_factory=dict)
    invitation_jobs: dict[str, str] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)  # district -> run id
    admins: dict[str, str] = field(default_factory=dict)  # district -> token
    targets: dict[tuple[str, str], Target] = field(default_factory=dict)  # (role, relation)

    def api(self, method: str, path: str, token: str, **kwargs):
        return self.stack.api(method, path, token, **kwargs)

    def administrator(self, district: str) -> str:
        """A token of `district`'s administrator, to put back what a cell changed; here it is the district
        administrator column's own, renewed whenever a cell signs them out everywhere."""
        return self.tokens[DISTRICT_ADMIN] if district == "here" else self.admins[district]


def build_world(stack, folder) -> World:
    here = import_demo_district(stack, folder / "demo")
    there = _import(stack, write_other_district(folder / "other"))
    admin = sign_in(stack, DEMO_ADMIN_EMAIL)
    other_admin = sign_in(stack, DEMO_ADMIN_EMAIL.replace("demo-district", OTHER_DISTRICT_ID))
    ids = {role: find_person_id(stack, admin, person(here, source), KINDS[role])
           for role, source in CALLER_SOURCES.items()}
    student_enabled = stack.api("POST", "/api/v1/directory/students/enable-accounts", admin,
                                json={"student_ids": [ids[STUDENT]]})
    assert student_enabled.status_code == 200, student_enabled.text
    tokens = {role: sign_in(stack, person(here, source).email) for role, source in CALLER_SOURCES.items()
              if role != DISTRICT_ADMIN}
    world = World(stack, {DISTRICT_ADMIN: admin, **tokens}, ids,
                  {role: person(here, source).email for role, source in CALLER_SOURCES.items()},
                  admins={"here": admin, "there": other_admin})
    for district, snapshot, token in (("here", here, admin), ("there", there, other_admin)):
        for school in SCHOOLS:
            world.schools[district, school] = _school_records(stack, token, snapshot, school)
    _seed_jobs_announcements_and_runs(world, here)
    for role in CALLER_SOURCES:
        for relation in (OWN, SAME_SCHOOL, OTHER_SCHOOL, OTHER_DISTRICT):
            world.targets[role, relation] = _target(world, role, relation)
    world.tokens[SERVICE_CREDENTIAL] = _service_token(world)
    for relation in (OWN, SAME_SCHOOL, OTHER_SCHOOL, OTHER_DISTRICT):
        # It acts district-wide: it aims where the district administrator does.
        world.targets[SERVICE_CREDENTIAL, relation] = world.targets[DISTRICT_ADMIN, relation]
    return world


def _service_token(world: World) -> str:
    """A service token of a credential with every scope a service acts in a district with."""
    district_id = world.api("GET", "/api/v1/me", world.tokens[DISTRICT_ADMIN]).json()["principal"]["district_id"]
    issued = add_service_credential(world.stack.database_urls["identity"], "matrix-service",
                                    [ANNOUNCEMENTS_SEND, DIRECTORY_READ], district_id, datetime.now(timezone.utc))
    with cluster_rpc(world.stack.amqp_uri) as rpc:
        return rpc(identity.contract).issue_service_token({
            "client_id": issued.credential.client_id, "client_secret": issued.secret})["token"]


def _import(stack, package):
    from services.rostering.adapters.sources.oneroster_csv.reader import read_package

    from district_support import schoolctl
    imported = schoolctl(stack, "roster", "import", str(package), "--json")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return read_package(package)


def _school_records(stack, token, snapshot, school: str) -> SchoolRecords:
    prefix = SOURCE_PREFIX[school]

    def find(source: str, kind: str) -> str:
        return find_person_id(stack, token, person(snapshot, source), kind)

    def classroom_of(student_id: str) -> str:
        profile = stack.api("GET", f"/api/v1/directory/students/{student_id}", token)
        assert profile.status_code == 200, profile.text
        [room] = profile.json()["classrooms"]
        return room["id"]

    student_1, student_9 = find(f"{prefix}-student-1", "student"), find(f"{prefix}-student-9", "student")
    schools = {s["name"]: s["id"] for s in stack.api("GET", "/api/v1/schools", token).json()["items"]}
    return SchoolRecords(
        school_id=schools[SCHOOLS[school]], student_1=student_1,
        student_1_guardian_1=find(f"{prefix}-student-1-guardian-1", "guardian"), student_9=student_9,
        student_9_guardian_1=find(f"{prefix}-student-9-guardian-1", "guardian"),
        teacher_2=find(f"{prefix}-teacher-2", "staff"), class_1=classroom_of(student_1),
        class_2=classroom_of(student_9), class_3=classroom_of(find(f"{prefix}-student-17", "student")))


def _seed_jobs_announcements_and_runs(world: World, here) -> None:
    """A job and an announcement by each requester the relations name, and each district's sync run."""
    stack = world.stack
    principal_2 = sign_in(stack, "principal2@demo-district.example.org")
    requesters = {
        "admin": (world.admins["here"], "lincoln", "here"),
        "principal-1": (world.tokens[SCHOOL_ADMIN], "lincoln", "here"),
        "principal-2": (principal_2, "roosevelt", "here"),
        "other-admin": (world.admins["there"], "lincoln", "there"),
        "teacher": (world.tokens[TEACHER], "lincoln", "here"),
    }
    teacher_id = world.person_ids[TEACHER]
    # The teacher may archive and announce school-wide only with these permissions: granted for the seeding.
    _set_permissions(world, teacher_id, [identity.USERS_MANAGER, identity.SCHOOL_WIDE_COMMUNICATIONS])
    for key, (token, school, district) in requesters.items():
        records = world.schools[district, school]
        job = stack.api("POST", "/api/v1/directory/people/unarchive", token,
                        json={"person_ids": [records.student_9]})
        assert job.status_code == 200, job.text
        world.jobs[key] = job.json()["job_id"]
        sent = stack.api("POST", "/api/v1/announcements", token, json={
            "audience": {"school_id": records.school_id, "include_students": False, "include_guardians": False,
                         "include_staff": True},
            "subject": "Staff meeting", "body": "In the library at 3."})
        assert sent.status_code == 202, sent.text
        world.announcements[key] = sent.json()["communication_id"]
        invited = stack.api("POST", "/api/v1/invitations", token,
                            json={"classroom_id": records.class_1, "kinds": ["student"]})
        assert invited.status_code == 202, invited.text
        world.invitation_jobs[key] = invited.json()["job_id"]
    _set_permissions(world, teacher_id, [])
    for district in ("here", "there"):
        runs = stack.api("GET", "/api/v1/rostering/runs", world.admins[district])
        assert runs.status_code == 200, runs.text
        world.runs[district] = runs.json()["items"][0]["run_id"]


def _set_permissions(world: World, person_id: str, permissions: list[str]) -> None:
    changed = world.stack.api("PUT", f"/api/v1/staff/{person_id}/permissions", world.administrator("here"),
                              json={"permissions": permissions})
    assert changed.status_code == 200, changed.text
    wait_for(lambda: sorted(world.stack.api("GET", "/api/v1/me", world.tokens[TEACHER]).json()["principal"][
        "permissions"]) == sorted(permissions), what="the teacher's permissions in effect")


def set_teacher_permissions(world: World, permissions: list[str]) -> None:
    _set_permissions(world, world.person_ids[TEACHER], permissions)


def _target(world: World, role: str, relation: str) -> Target:
    home = CALLER_SCHOOLS[role]
    district, school = {OWN: ("here", home), SAME_SCHOOL: ("here", home), OTHER_SCHOOL: ("here", OTHER[home]),
                        OTHER_DISTRICT: ("there", home)}[relation]
    records = world.schools[district, school]
    own = relation == OWN
    own_student = world.person_ids[STUDENT] if role == STUDENT else records.student_1
    student = own_student if own else records.student_9
    guardian = (world.person_ids[GUARDIAN] if role == GUARDIAN else records.student_1_guardian_1) if own \
        else records.student_9_guardian_1
    same_school_requester = "teacher" if role == SCHOOL_ADMIN else f"principal-{1 if home == 'lincoln' else 2}"
    requester = {OWN: {DISTRICT_ADMIN: "admin", SCHOOL_ADMIN: "principal-1", TEACHER: "teacher"}.get(
                     role, same_school_requester),
                 SAME_SCHOOL: same_school_requester,
                 OTHER_SCHOOL: f"principal-{1 if OTHER[home] == 'lincoln' else 2}",
                 OTHER_DISTRICT: "other-admin"}[relation]
    in_class_1 = own  # own students sit in class 1, the others in class 2
    return Target(
        school_id=records.school_id,
        person_id=world.person_ids[role] if own else student,
        student_id=student, guardian_id=guardian,
        staff_id=world.person_ids[role] if own else records.teacher_2,
        classroom_id=records.class_1 if in_class_1 else records.class_2,
        spare_classroom_id=records.class_3,
        job_id=world.jobs[requester], invitation_job_id=world.invitation_jobs[requester],
        announcement_id=world.announcements[requester], run_id=world.runs[district],
        district=district, caller=role, caller_login=world.emails[role])

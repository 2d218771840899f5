"""The invitation use cases with in-memory ports: pages (never a call per person), one runner per job,
a job that resumes where it stopped, and who may invite whom."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from services.notify import handlers_invitations as handlers
from services.notify.domain.personal_communications import Candidates, InvitationJobRow
from shared.contracts import identity
from shared.contracts.errors import InvalidRequest, PermissionDenied
from shared.testing.principals import make_principal
from tests.unit.notify.planner_builders import make_recipient

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
TEACHER = make_principal(person_id="t-1", district_id="d-1", roles=[{"role": identity.TEACHER, "school_ids": ["s-1"]}])


class FakeIdentity:
    def __init__(self, fail_on_call: int | None = None):
        self.calls: list[list[str]] = []
        self.fail_on_call = fail_on_call

    def issue_join_tokens(self, payload: dict) -> dict:
        self.calls.append(payload["person_ids"])
        if len(self.calls) == self.fail_on_call:
            raise RuntimeError("identity went away")
        expires = (NOW + timedelta(days=10)).isoformat()
        return {"results": [{"person_id": pid, "outcome": "issued", "token": f"tok-{pid}", "join_code": "C",
                             "expires_at": expires} for pid in payload["person_ids"]]}


class FakeDirectory:
    def __init__(self, people: list[str]):
        self.people = people

    def resolve_audience(self, payload: dict) -> dict:
        return {"person_ids": self.people, "next_after": None, "refused": []}

    def get_district(self, payload: dict) -> dict:
        return {"id": payload["district_id"], "source_id": None, "name": "Riverside"}


@dataclass
class FakeStore:
    pending_ids: list[str]
    lease: datetime | None = None
    pages: list = field(default_factory=list)
    finished: bool = False

    def job(self, job_id):
        return InvitationJobRow(job_id, "d-1", "comm-1", "t-1", TEACHER, {}, "completed" if self.finished
                                else "running", 0, NOW, None)

    def claim(self, job_id, *, now, until):
        if self.lease is not None and self.lease > now:
            return False
        self.lease = until
        return True

    def extend(self, job_id, *, until):
        self.lease = until

    def pending(self, job_id, *, limit):
        return self.pending_ids[:limit]

    def shared_mobiles(self):
        return {}

    def candidates(self, person_ids, *, mobiles=None):
        return Candidates({pid: make_recipient(person_id=pid) for pid in person_ids}, frozenset())

    def write_page(self, page, *, now):
        self.pages.append(page)
        done = {row["person_id"] for row in page.results}
        self.pending_ids = [pid for pid in self.pending_ids if pid not in done]

    def finish(self, job_id, *, now):
        self.finished = True


class Nothing:
    """Queue, marks and publishing: nothing to check here."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: []


@dataclass
class Ports:
    invitations: FakeStore
    identity_rpc: FakeIdentity
    directory_rpc: FakeDirectory = field(default_factory=lambda: FakeDirectory([]))
    communications: Nothing = field(default_factory=Nothing)
    queue_marks: Nothing = field(default_factory=Nothing)
    jobs: Nothing = field(default_factory=Nothing)
    publish: object = lambda *args: None
    join_base_url: str = "https://school.example.org"
    clock: object = lambda: NOW


def people(count: int) -> list[str]:
    return [f"p-{n:05d}" for n in range(count)]


def test_a_job_asks_identity_for_tokens_a_page_at_a_time_and_writes_each_page_once():
    ports = Ports(FakeStore(people(2500)), FakeIdentity())

    assert handlers.work_through_invitations({"job_id": "j-1"}, ports=ports) == 2500

    assert [len(call) for call in ports.identity_rpc.calls] == [1000, 1000, 500]
    assert [len(page.results) for page in ports.invitations.pages] == [1000, 1000, 500]
    assert ports.invitations.finished
    first = ports.invitations.pages[0]
    assert first.personal["p-00000"]["join_url"] == "https://school.example.org/join?token=tok-p-00000"


def test_a_job_another_runner_holds_is_left_alone():
    ports = Ports(FakeStore(people(3), lease=NOW + timedelta(minutes=1)), FakeIdentity())

    assert handlers.work_through_invitations({"job_id": "j-1"}, ports=ports) == 0
    assert ports.identity_rpc.calls == []


def test_a_job_that_fails_part_way_gives_up_its_lease_and_resumes_at_the_first_pending_person():
    ports = Ports(FakeStore(people(1500)), FakeIdentity(fail_on_call=2))

    with pytest.raises(RuntimeError):
        handlers.work_through_invitations({"job_id": "j-1"}, ports=ports)
    assert ports.invitations.lease is None and len(ports.invitations.pending_ids) == 500

    ports.identity_rpc.fail_on_call = None
    assert handlers.work_through_invitations({"job_id": "j-1"}, ports=ports) == 500
    assert ports.identity_rpc.calls[-1] == people(1500)[1000:]


def test_a_teacher_may_invite_a_classroom_but_not_a_school_nor_staff():
    ports = Ports(FakeStore([]), FakeIdentity())

    for audience in ({"school_id": "s-1", "classroom_id": None, "kinds": ["guardian"]},
                     {"school_id": None, "classroom_id": "c-1", "kinds": ["staff"]}):
        with pytest.raises(PermissionDenied):
            handlers.start_invitations({"inviter": TEACHER, "audience": audience}, ports=ports)


def test_an_audience_that_resolves_to_nobody_is_refused_naming_the_audience():
    ports = Ports(FakeStore([]), FakeIdentity())

    with pytest.raises(InvalidRequest) as refused:
        handlers.start_invitations({"inviter": TEACHER, "audience": {
            "school_id": None, "classroom_id": "c-1", "kinds": ["guardian"]}}, ports=ports)

    assert refused.value.fields == {"audience": ["resolves to nobody you may invite"]}

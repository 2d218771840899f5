"""send_announcement resolves, stores and returns at once; planning in the background is safe to repeat."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.notify.domain.communications import CommunicationFacts, CommunicationState, NewAnnouncement
from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.planned_rows import PlannedRows
from services.notify.handlers_announcements import plan_announcement, send_announcement, stalled_announcements
from services.notify.queue.jobs import PAGE_SIZES
from shared.contracts import notify
from shared.contracts.errors import InvalidRequest
from shared.testing.recording_outbox import RecordingOutbox, writes_commit_with_outbox
from tests.unit.notify.planner_builders import SMS_APP, make_recipient

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
SENDER = {"person_id": "tess", "district_id": "district-1", "display_name": "Tess", "status": "active",
          "roles": [{"role": "teacher", "school_ids": ["school-1"]}], "permissions": []}
AUDIENCE = {"school_id": None, "classroom_id": "room-5", "person_ids": None, "include_students": True,
            "include_guardians": True, "include_staff": False}


def make_request(**overrides) -> dict:
    request = {"sender": SENDER, "audience": AUDIENCE, "subject": "Snow day", "body": "School is closed.",
               "priority": False, "with_call": False}
    return {**request, **overrides}


class FakeDirectory:
    """resolve_audience in pages of `page_size`, refusing `refused` on the first page."""

    def __init__(self, person_ids: list[str], *, page_size: int = 2, refused: list[dict] = ()):
        self.person_ids, self.page_size, self.refused = person_ids, page_size, list(refused)
        self.calls: list[dict] = []

    def resolve_audience(self, payload: dict) -> dict:
        self.calls.append(payload)
        after = payload["after"]
        start = 0 if after is None else self.person_ids.index(after) + 1
        page = self.person_ids[start:start + self.page_size]
        more = start + self.page_size < len(self.person_ids)
        return {"person_ids": page, "next_after": page[-1] if more else None,
                "refused": self.refused if after is None else []}


@writes_commit_with_outbox("create_announcement", "write_plan", "mark_planned_queued")
class FakeCommunications:
    """Each write commits what the handler published through `outbox`, as notify's outbox does."""

    def __init__(self, *, state: CommunicationState = CommunicationState.PLANNING, planned: bool = False,
                 recipients=(), unqueued: list[tuple[str, Channel]] = ()):
        self.outbox = RecordingOutbox(dumped=False)
        self.created: list[tuple[NewAnnouncement, list[str]]] = []
        self.state, self.planned, self.recipients = state, planned, list(recipients)
        self.unqueued = list(unqueued)
        self.written: list[PlannedRows] = []
        self.marked_queued = 0
        self.stalled: list[str] = []

    def create_announcement(self, announcement, person_ids, *, announce=lambda: None):
        self.created.append((announcement, list(person_ids)))
        announce()

    def communication(self, communication_id):
        if communication_id != "comm-1":
            return None
        return CommunicationFacts("comm-1", "district-1", Communication.ANNOUNCEMENT, "Snow day", False, False,
                                  "tess", self.state, NOW)

    def write_plan(self, communication_id, plan_page, *, now):
        if self.planned:
            return None
        rows = plan_page(self.recipients)
        self.written.append(rows)
        self.unqueued += [(f"d-{row.person_id}-{row.channel}", row.channel) for row in rows.provider]
        self.planned = True
        return len(rows)

    def unqueued_provider_deliveries(self, communication_id):
        return list(self.unqueued)

    def mark_planned_queued(self, communication_id, *, now):
        self.marked_queued += 1
        queued, self.unqueued = len(self.unqueued), []
        return queued

    def stalled_in_planning(self, *, created_before):
        self.asked_before = created_before
        return self.stalled


class FakeSettings:
    def __init__(self, default: str | None = None):
        self.default = default

    def district_settings(self, district_id):
        return type("Settings", (), {"default_preference": self.default})()


class Recorder(list):
    def __call__(self, *args, **kwargs):
        self.append(args)

    def publish_jobs(self, jobs):
        self.extend(jobs)

    def mark_communication_queued(self, communication_id, *, now):
        self.append(("queued", communication_id))


def test_sending_collects_every_page_of_the_audience_stores_them_and_asks_for_planning():
    directory = FakeDirectory(["a", "b", "c", "d", "e"], refused=[{"key": "x", "outcome": "not_found"}])
    communications = FakeCommunications()

    answer = send_announcement(make_request(), directory_rpc=directory, communications=communications,
                               publish=communications.outbox, clock=lambda: NOW, new_id=lambda: "comm-1")

    assert answer == {"communication_id": "comm-1", "state": "planning", "created_at": NOW, "recipient_count": 5,
                      "refused": [{"key": "x", "outcome": "not_found"}]}
    [(announcement, person_ids)] = communications.created
    assert person_ids == ["a", "b", "c", "d", "e"]
    assert (announcement.sender_id, announcement.district_id, announcement.audience["classroom_id"]) == (
        "tess", "district-1", "room-5")
    assert communications.outbox.published == [(notify.ANNOUNCEMENT_REQUESTED.name, {"communication_id": "comm-1"})]
    assert [call["after"] for call in directory.calls] == [None, "b", "d"]
    assert all(call["viewer"] is SENDER for call in directory.calls)


def test_an_audience_that_resolves_to_nobody_is_refused_and_nothing_is_stored():
    communications = FakeCommunications()
    with pytest.raises(InvalidRequest) as refused:
        send_announcement(make_request(), directory_rpc=FakeDirectory([]), communications=communications,
                          publish=Recorder(), clock=lambda: NOW)

    assert "audience" in refused.value.fields and communications.created == []


def test_a_sender_outside_any_district_cannot_send():
    with pytest.raises(InvalidRequest) as refused:
        send_announcement(make_request(sender={**SENDER, "district_id": None}), directory_rpc=FakeDirectory(["a"]),
                          communications=FakeCommunications(), publish=Recorder(), clock=lambda: NOW)

    assert "sender.district_id" in refused.value.fields


def plan(communications, *, default=None, jobs=None, marks=None):
    return plan_announcement({"communication_id": "comm-1"}, communications=communications,
                             district_defaults=FakeSettings(default),
                             queue_marks=marks if marks is not None else Recorder(),
                             jobs=jobs if jobs is not None else Recorder(), clock=lambda: NOW)


def test_planning_queues_every_provider_delivery_in_pages_of_its_channel_then_marks_the_communication():
    guardians = [make_recipient(person_id=f"g{n:04}") for n in range(PAGE_SIZES[Channel.EMAIL] + 1)]
    texters = [make_recipient(person_id=f"s{n:04}", preference=SMS_APP) for n in range(3)]
    communications, jobs, marks = FakeCommunications(recipients=guardians + texters), Recorder(), Recorder()

    assert plan(communications, jobs=jobs, marks=marks) == len(guardians) + len(texters)

    assert sorted((job.channel.value, len(job.delivery_ids)) for job in jobs) == [
        ("email", 1), ("email", PAGE_SIZES[Channel.EMAIL]), ("sms", 3)]
    assert communications.marked_queued == 1 and marks == [("queued", "comm-1")]


def test_the_district_default_decides_for_people_who_never_chose():
    communications, jobs = FakeCommunications(recipients=[make_recipient()]), Recorder()

    plan(communications, default="sms_app", jobs=jobs)

    assert [job.channel for job in jobs] == [Channel.SMS]


def test_a_rerun_after_planning_committed_publishes_what_is_still_unqueued_without_planning_again():
    communications = FakeCommunications(planned=True, unqueued=[("d-1", Channel.EMAIL)])
    jobs = Recorder()

    assert plan(communications, jobs=jobs) == 1

    assert communications.written == [] and [job.delivery_ids for job in jobs] == [("d-1",)]


@pytest.mark.parametrize("state", [CommunicationState.QUEUED, CommunicationState.COMPLETED])
def test_a_communication_already_queued_is_skipped(state):
    communications, jobs = FakeCommunications(state=state, recipients=[make_recipient()]), Recorder()

    assert plan(communications, jobs=jobs) == 0
    assert jobs == [] and communications.written == []


def test_announcements_stuck_in_planning_are_requested_again():
    communications = FakeCommunications()
    communications.stalled = ["comm-1", "comm-2"]

    assert stalled_announcements(communications=communications, publish=communications.outbox,
                                 clock=lambda: NOW) == ["comm-1", "comm-2"]
    # Asking again changes nothing: the requests commit when the timer's handler returns.
    communications.outbox.handler_returned()
    assert communications.outbox.published == [(notify.ANNOUNCEMENT_REQUESTED.name, {"communication_id": "comm-1"}),
                                               (notify.ANNOUNCEMENT_REQUESTED.name, {"communication_id": "comm-2"})]
    assert communications.asked_before < NOW - timedelta(minutes=1)

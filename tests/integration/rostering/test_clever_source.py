"""A Clever district read into the same Snapshot a CSV package gives: full, then from its events."""
import pytest

from services.rostering.adapters.sources.clever.client import CleverClient
from services.rostering.adapters.sources.clever.connection import CleverConnection
from services.rostering.adapters.sources.clever.source import CleverSource
from services.rostering.adapters.sources.rest_roster import KeptRoster
from services.rostering.domain.errors import SourceRejected
from services.rostering.domain.snapshot import BULK, DELTA, GUARDIAN, STAFF, STUDENT, GuardianLink
from shared.testing.clever_fake import FakeClever, json_answer
from shared.testing.clever_objects import contact_role, small_district, student_role, teacher_role, user


@pytest.fixture
def fake():
    with FakeClever() as server:
        server.roster.update(small_district())
        yield server


def source_for(fake, *, after_event=None):
    connection = CleverConnection(district_id="d-1", token=fake.token, api_url=fake.url)
    return CleverSource(connection, after_event=after_event,
                        client=CleverClient(connection, page_size=2, sleep=lambda seconds: None))


def test_a_full_read_is_the_same_model_a_csv_package_gives(fake):
    snapshot = source_for(fake).read("US")
    people = {person.source_id: person for person in snapshot.people}
    assert people["teacher-1"].kinds == {STAFF} and people["student-1"].kinds == {STUDENT}
    assert people["parent-1"].kinds == {GUARDIAN} and people["parent-1"].mobile_phone == "+14155550101"
    assert snapshot.guardian_links == (GuardianLink("parent-1", "student-1"),)
    assert {(e.person_source_id, e.class_source_id) for e in snapshot.enrollments} == {
        ("teacher-1", "section-1"), ("student-1", "section-1")}
    assert {f.name: f.mode for f in snapshot.files}["users.csv"] == BULK
    assert snapshot.counts()["schools"] == 1 and snapshot.problems == () and snapshot.warnings == ()
    assert dict(snapshot.report_names)["classes.csv"] == "/sections"


def test_a_person_with_two_roles_is_read_once_holding_both(fake):
    fake.roster["users"].append(user("both-1", "Dana", teacher=teacher_role("school-1"),
                                     contact=contact_role(("student-1", "Father", "Parent/Guardian"))))
    snapshot = source_for(fake).read("US")
    both = [person for person in snapshot.people if person.source_id == "both-1"]
    assert len(both) == 1 and both[0].kinds == {STAFF, GUARDIAN}
    assert GuardianLink("both-1", "student-1") in snapshot.guardian_links


def test_a_full_read_notes_the_newest_event_so_the_next_run_reads_after_it(fake):
    fake.create("users", user("student-2", "Finn", student=student_role("school-1")))
    source = source_for(fake)
    source.read("US")
    assert source.event_cursor == "evt00000001"


def test_without_events_for_the_district_a_full_read_leaves_no_cursor_so_the_next_run_is_full_too(fake):
    fake.events_enabled = False
    source = source_for(fake)
    assert len(source.read("US").people) == 3
    assert source.event_cursor is None


def test_an_events_read_is_a_delta_of_what_changed_after_the_cursor(fake):
    fake.create("users", user("student-2", "Finn", student=student_role("school-1")))
    cursor = fake.events[-1]["id"]
    fake.create("users", user("student-3", "Gia", student=student_role("school-1")))
    fake.delete("users", "student-2")
    fake.update("sections", "section-1", students=["student-3"])
    source = source_for(fake, after_event=cursor)
    snapshot = source.read("US")
    assert [person.source_id for person in snapshot.people] == ["student-3"]
    assert {(t.file, t.source_id) for t in snapshot.tombstones} == {
        ("users.csv", "student-2"), ("enrollments.csv", "section-1/student/student-1")}
    modes = {f.name: f.mode for f in snapshot.files}
    assert modes["users.csv"] == DELTA and modes["orgs.csv"] == BULK  # the district is always found
    assert source.event_cursor == fake.events[-1]["id"] and "events after" in source.description
    assert not any(name == "users" for name, _ in fake.requests)  # users came from the events only


def test_an_events_read_with_nothing_new_keeps_the_cursor(fake):
    source = source_for(fake, after_event="evt00000009")
    assert source.read("US").people == ()
    assert source.event_cursor == "evt00000009"


def test_what_a_held_run_keeps_reads_back_to_the_same_snapshot(fake):
    source = source_for(fake)
    assert KeptRoster("kept", source.kept()).read("US") == source.read("US")


def test_a_failure_in_a_later_collection_fails_the_whole_read(fake):
    fake.then("users", json_answer(200, {"data": []}), json_answer(401, {"error": "Unauthorized"}))
    with pytest.raises(SourceRejected, match="Clever refused the token for district d-1"):
        source_for(fake).read("US")

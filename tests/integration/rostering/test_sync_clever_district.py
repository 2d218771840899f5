"""A district synced from Clever through the running service: a full run, then one from Clever's events;
a refused token and a failure part way reject the run with nothing applied."""
from __future__ import annotations

import pytest
from run_waiting import wait_for

from shared.testing.clever_fake import Answer, FakeClever
from shared.testing.clever_objects import contact_role, section, small_district, student_role, user

pytestmark = pytest.mark.postgres


@pytest.fixture
def clever(rostering_rpc):
    """District jefferson's settings name the loopback Clever, as an administrator would set them."""
    with FakeClever() as fake:
        fake.roster.update(small_district())
        rostering_rpc.update_district_sync_settings({
            "district_id": "jefferson", "changed_by": "admin-1", "source": "clever",
            "connection": {"district_id": "d-1", "api_url": fake.url, "token": fake.token}})
        yield fake


def sync(rostering_rpc, state, **request):
    return wait_for(rostering_rpc, rostering_rpc.sync_district({"district": "jefferson", **request})["run_id"], state)


def test_a_first_run_reads_the_district_whole_and_the_next_one_only_its_events(rostering_rpc, recorder, clever):
    # Enough people that archiving one stays under the mass-change guard's limit.
    clever.roster["users"] += [user(f"student-{n}", "Kim", student=student_role("school-1")) for n in range(10, 30)]
    first = sync(rostering_rpc, "completed")
    assert first["source"] == "Clever district d-1"
    assert first["counts"]["people"]["created"] == 23 and first["counts"]["guardian_links"]["created"] == 1
    clever.requests.clear()
    clever.create("users", user("student-2", "Finn", student=student_role("school-1")))

    second = sync(rostering_rpc, "completed")
    assert second["source"] == "Clever district d-1, every event"  # the feed was empty when the first run began
    assert second["counts"]["people"]["created"] == 1
    assert {name for name, _ in clever.requests} == {"events", "districts", "schools", "terms"}

    clever.delete("users", "student-2")
    third = sync(rostering_rpc, "completed")
    assert third["source"] == "Clever district d-1, events after evt00000001"
    archived = {key for entity, key in recorder.records.archived if entity == "people"}
    assert archived == {"student-2"}


def test_an_events_run_enrols_and_links_people_an_earlier_run_read(rostering_rpc, recorder, clever):
    clever.roster["users"].append(user("student-2", "Finn", student=student_role("school-1")))
    sync(rostering_rpc, "completed")
    clever.create("sections", section("section-2", "school-1", teachers=("teacher-1",), students=("student-1",)))
    parent = next(u for u in clever.roster["users"] if u["id"] == "parent-1")
    clever.update("users", "parent-1", roles={"contact": contact_role(("student-1", "Mother", "Parent/Guardian"),
                                                                      ("student-2", "Mother", "Parent/Guardian"))})

    run = sync(rostering_rpc, "completed")
    assert run["errors"] == [] and parent["roles"]["contact"]["student_relationships"][1]["student"] == "student-2"
    counts = {entity: counts["created"] for entity, counts in run["counts"].items()}
    assert counts == {"schools": 0, "classrooms": 1, "people": 0, "accounts": 0, "enrollments": 2,
                      "guardian_links": 1}
    assert run["counts"]["people"]["updated"] == 1  # the mother, now linked to both her children


def test_a_refused_token_rejects_the_run_by_district_and_applies_nothing(rostering_rpc, recorder, clever):
    rostering_rpc.update_district_sync_settings({"district_id": "jefferson", "changed_by": "admin-1",
                                                 "connection": {"token": "a-revoked-token"}})
    run = sync(rostering_rpc, "rejected")
    assert "Clever refused the token for district d-1" in run["message"]
    assert recorder.calls == []


def test_a_failure_part_way_through_the_roster_rejects_the_run_and_applies_nothing(rostering_rpc, recorder,
                                                                                   clever):
    clever.then("users", Answer(200, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"}))
    run = sync(rostering_rpc, "rejected")
    assert "users" in run["message"] and "not JSON" in run["message"]
    assert recorder.calls == []


def test_a_held_run_is_applied_on_approval_from_what_it_fetched(rostering_rpc, recorder, clever):
    clever.roster["users"] += [user(f"student-{n}", "Kim", student=student_role("school-1")) for n in range(10, 30)]
    sync(rostering_rpc, "completed")
    clever.roster["users"] = clever.roster["users"][:13]  # ten of the students are gone

    held = sync(rostering_rpc, "awaiting_approval", full=True)
    assert held["diff"]["archiving"]["people"] == 10
    clever.roster["users"] = []  # approval applies what the run read, not what Clever says now
    rostering_rpc.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1"})

    wait_for(rostering_rpc, held["run_id"], "completed")
    archived = {key for entity, key in recorder.records.archived if entity == "people"}
    assert archived == {f"student-{n}" for n in range(20, 30)}

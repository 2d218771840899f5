"""The mass-change guard through the running service: held, listed, shown row by row, approved or rejected."""
from __future__ import annotations

import shutil

import pytest
from roster_csv import make_enrollment_row, make_user_row, write_package
from run_waiting import imported as run_to_end
from run_waiting import wait_for

from shared.contracts.errors import Conflict, InvalidRequest

pytestmark = pytest.mark.postgres


def school(folder, students: range):
    users = [make_user_row(sourcedId=f"student-{n}", givenName=f"Student{n}") for n in students]
    enrollments = [make_enrollment_row(sourcedId=f"enr-{n}", userSourcedId=f"student-{n}") for n in students]
    return write_package(folder, users=users, enrollments=enrollments)


def archived_people(recorder) -> set[str]:
    return {key for entity, key in recorder.records.archived if entity == "people"}


@pytest.fixture
def imported(rostering_rpc, tmp_path):
    """A school of 20 students, imported."""
    run = run_to_end(rostering_rpc, {"path": str(school(tmp_path / "first", range(20)))})
    assert run["state"] == "completed", run["message"]
    return run


def test_a_package_that_drops_a_quarter_of_the_students_is_held_with_its_diff_and_applies_nothing(
        rostering_rpc, recorder, imported, tmp_path):
    calls_before = len(recorder.calls)
    held = run_to_end(rostering_rpc, {"path": str(school(tmp_path / "second", range(15)))})

    assert held["state"] == "awaiting_approval"
    assert held["diff"]["archiving"] == {"people": 5, "classrooms": 0, "enrollments": 5, "guardian_links": 0}
    assert held["diff"]["people_share"] == 0.25
    assert [method for method, _ in recorder.calls[calls_before:] if method.startswith("upsert_")] == [
        "upsert_district"]
    listed = rostering_rpc.list_sync_runs({"state": "awaiting_approval", "district_id": held["district_id"]})
    assert [run["run_id"] for run in listed["runs"]] == [held["run_id"]]
    changes = rostering_rpc.get_sync_run_changes({"run_id": held["run_id"], "entity": "people", "per_page": 2})
    assert changes["total"] == 5 and len(changes["changes"]) == 2
    assert changes["changes"][0]["file"] == "users.csv" and changes["changes"][0]["outcome"] == "done"
    assert archived_people(recorder) == set()


def test_an_approved_run_is_applied_from_the_package_as_it_was_held(rostering_rpc, recorder, imported, tmp_path):
    folder = school(tmp_path / "second", range(15))
    held = run_to_end(rostering_rpc, {"path": str(folder)})
    shutil.rmtree(folder)  # the file at the original path is gone: the held copy is what counts

    approved = rostering_rpc.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1"})
    assert approved["state"] == "running" and approved["decided_by"] == "admin-1"

    run = wait_for(rostering_rpc, held["run_id"], "completed")
    assert run["decided_by"] == "admin-1" and run["counts"]["people"]["unchanged"] == 15
    assert archived_people(recorder) == {f"student-{n}" for n in range(15, 20)}
    with pytest.raises(Conflict):
        rostering_rpc.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1"})


def test_a_rejected_run_keeps_its_report_and_a_newer_import_supersedes_a_held_one(rostering_rpc, recorder, imported,
                                                                                 tmp_path):
    first = run_to_end(rostering_rpc, {"path": str(school(tmp_path / "a", range(10)))})
    second = run_to_end(rostering_rpc, {"path": str(school(tmp_path / "b", range(12)))})

    assert rostering_rpc.get_sync_run({"run_id": first["run_id"]})["state"] == "superseded"
    rejected = rostering_rpc.reject_sync_run({"run_id": second["run_id"], "decided_by": "admin-2",
                                              "reason": "half the school is missing"})
    assert rejected["state"] == "rejected" and rejected["decided_by"] == "admin-2"
    assert rostering_rpc.get_sync_run_changes({"run_id": second["run_id"]})["total"] == 16
    assert archived_people(recorder) == set()


def test_a_preview_shows_the_same_diff_and_applies_nothing(rostering_rpc, recorder, imported, tmp_path):
    calls_before = len(recorder.calls)
    preview = rostering_rpc.preview_import({"path": str(school(tmp_path / "second", range(15)))})

    assert preview["would_hold"] is True and preview["diff"]["archiving"]["people"] == 5
    assert len(preview["changes"]) == 10
    assert preview["entities"]["people"] == {"to_send": 0, "unchanged": 15}
    assert not [method for method, _ in recorder.calls[calls_before:] if method.startswith("upsert_")]
    assert rostering_rpc.list_sync_runs({"state": "awaiting_approval"})["runs"] == []


def test_district_settings_are_kept_and_a_bad_threshold_is_refused(rostering_rpc, recorder, imported):
    district_id = imported["district_id"]
    assert rostering_rpc.get_district_sync_settings({"district_id": district_id})["mass_change_threshold"] == 0.1

    updated = rostering_rpc.update_district_sync_settings({"district_id": district_id, "changed_by": "admin-1",
                                                           "daily_sync": True, "mass_change_threshold": 0.3})

    assert (updated["daily_sync"], updated["mass_change_threshold"]) == (True, 0.3)
    assert recorder.ownership["source"] == "OneRoster CSV"
    with pytest.raises(InvalidRequest):
        rostering_rpc.update_district_sync_settings({"district_id": district_id, "changed_by": "admin-1",
                                                     "mass_change_threshold": 1.5})

"""Archiving by hand: people and classrooms leave audiences and default searches, keep their history,
and come back when unarchived; every item answers done, already, not_found or refused."""
from __future__ import annotations

import time

import pytest
from directory_district import EventRecorder
from nameko.testing.services import entrypoint_waiter

from services.directory.domain import jobs
from shared.contracts import directory
from shared.contracts.errors import InvalidRequest, NotFound

pytestmark = pytest.mark.postgres


def archive(rpc, district, viewer: str, *people: str, undo: bool = False) -> dict[str, str]:
    ids = [district.ids.get(person, person) for person in people]
    method = rpc.unarchive_people if undo else rpc.archive_people
    job = method({"viewer": district.viewer(viewer), "selection": {"person_ids": ids}})
    assert job["state"] == "completed" and job["processed"] == job["total"] == len(set(ids))
    return {district.source_of(r["key"]) if r["key"] in district.ids.values() else r["key"]:
            r["outcome"] for r in job["results"]}


def reasons(job: dict) -> dict[str, str]:
    return {result["key"]: result["problems"][0]["reason"] for result in job["results"] if result["problems"]}


def audience(rpc, district, viewer: str, **target) -> set[str]:
    page = rpc.resolve_audience({"viewer": district.viewer(viewer),
                                 "audience": {"include_staff": "school_id" in target, **target}})
    return {district.source_of(pid) for pid in page["person_ids"]}


def search(rpc, district, viewer: str, **filters) -> set[str]:
    page = rpc.search_people({"viewer": district.viewer(viewer), "per_page": 200, **filters})
    return {district.source_of(item["id"]) for item in page["items"]}


def test_an_archived_student_leaves_audiences_and_searches_and_keeps_links_and_classes(
        directory_rpc, district, recorder):
    north = district.ids["sch-north"]
    with entrypoint_waiter(recorder, "on_people_upserted"):
        assert archive(directory_rpc, district, "north_admin", "ben") == {"ben": "done"}

    [(event, payload)] = EventRecorder.received
    assert event == directory.PEOPLE_UPSERTED.name
    assert [(c["person_id"], c["archived"]) for c in payload["people"]] == [(district.ids["ben"], True)]
    # Ben's guardians (Gus, and Dana who is also staff) were reached only through him.
    assert audience(directory_rpc, district, "district_admin", school_id=north) == {
        "ana", "eve", "gina", "tess", "pat"}
    assert audience(directory_rpc, district, "district_admin", classroom_id=district.ids["cls-art"]) == {"eve"}
    assert "ben" not in search(directory_rpc, district, "north_admin")
    assert "ben" in search(directory_rpc, district, "north_admin", include_archived=True)
    profile = directory_rpc.get_student_profile({"viewer": district.viewer("district_admin"),
                                                 "person_id": district.ids["ben"]})
    assert profile["archived"] is True
    assert {room["title"] for room in profile["classrooms"]} == {"Art 4"}
    assert {guardian["given_name"] for guardian in profile["guardians"]} == {"Gus", "Dana"}

    assert archive(directory_rpc, district, "north_admin", "ben", undo=True) == {"ben": "done"}
    assert audience(directory_rpc, district, "district_admin", school_id=north) == {
        "ana", "ben", "eve", "gina", "gus", "dana", "tess", "pat"}
    assert "ben" in search(directory_rpc, district, "north_admin")


def test_each_item_answers_done_already_not_found_or_refused_with_the_reason(directory_rpc, district):
    archive(directory_rpc, district, "district_admin", "eve")
    viewer = district.principal("pat", district.role("school_admin", "sch-north"))
    job = directory_rpc.archive_people({"viewer": viewer, "selection": {"person_ids": [
        district.ids[p] for p in ("ana", "eve", "cal", "gina", "pat")] + ["f" * 32]}})

    outcomes = {district.source_of(r["key"]) if r["key"] in district.ids.values() else r["key"]: r["outcome"]
                for r in job["results"]}
    assert outcomes == {"ana": "done", "eve": "already", "cal": "not_found", "gina": "refused",
                        "pat": "refused", "f" * 32: "not_found"}
    assert reasons(job)[district.ids["gina"]].startswith("also belongs to 1 school(s) you do not manage")
    assert reasons(job)[district.ids["pat"]] == "you cannot archive or unarchive yourself"
    assert job["summary"] == {"done": 1, "already": 1, "not_found": 2, "refused": 2}


def test_a_district_administrator_archives_and_unarchives_staff_and_guardians(directory_rpc, district):
    assert archive(directory_rpc, district, "district_admin", "sam", "gina") == {"sam": "done", "gina": "done"}
    assert audience(directory_rpc, district, "district_admin", school_id=district.ids["sch-south"]) == {
        "cal", "dot", "dana"}
    assert archive(directory_rpc, district, "district_admin", "sam", "gina", undo=True) == {
        "sam": "done", "gina": "done"}
    assert archive(directory_rpc, district, "district_admin", "sam", undo=True) == {"sam": "already"}


def test_everything_a_search_finds_is_archived_as_a_background_job_with_progress(
        directory_rpc, district, monkeypatch):
    monkeypatch.setattr(jobs, "INLINE_ITEMS", 1)
    monkeypatch.setattr(jobs, "JOB_PAGE", 2)
    viewer = district.viewer("north_admin")
    job = directory_rpc.archive_people({"viewer": viewer, "selection": {"matching": {
        "kind": "student", "school_id": district.ids["sch-north"]}}})
    assert job["state"] == "queued" and job["total"] == 3 and job["results"] == []

    deadline = time.monotonic() + 30
    while job["state"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.1)
        job = directory_rpc.get_job({"viewer": viewer, "job_id": job["job_id"]})
    assert job["state"] == "completed" and job["processed"] == 3
    assert job["summary"] == {"done": 3}
    assert search(directory_rpc, district, "north_admin", kind="student") == set()
    # Only the asker and the district's administrators may read the job.
    with pytest.raises(NotFound):
        directory_rpc.get_job({"viewer": district.viewer("tess"), "job_id": job["job_id"]})
    assert directory_rpc.get_job({"viewer": district.viewer("district_admin"), "job_id": job["job_id"]})["total"] == 3


def test_an_archived_classroom_reaches_nobody_until_it_is_unarchived(directory_rpc, district):
    art = district.ids["cls-art"]
    job = directory_rpc.archive_classrooms({"viewer": district.viewer("north_admin"), "classroom_ids": [art]})
    assert [r["outcome"] for r in job["results"]] == ["done"]
    assert audience(directory_rpc, district, "district_admin", classroom_id=art) == set()
    # Its students still belong to their school.
    assert {"ben", "eve"} <= audience(directory_rpc, district, "district_admin", school_id=district.ids["sch-north"])

    again = directory_rpc.archive_classrooms({"viewer": district.viewer("north_admin"), "classroom_ids": [art]})
    assert [r["outcome"] for r in again["results"]] == ["already"]
    south = directory_rpc.archive_classrooms({"viewer": district.viewer("north_admin"),
                                              "classroom_ids": [district.ids["cls-bio"]]})
    assert [r["outcome"] for r in south["results"]] == ["not_found"]
    directory_rpc.unarchive_classrooms({"viewer": district.viewer("north_admin"), "classroom_ids": [art]})
    assert audience(directory_rpc, district, "district_admin", classroom_id=art) == {"ben", "eve", "gus", "dana"}


def test_a_malformed_selection_is_refused_naming_the_field(directory_rpc, district):
    viewer = district.viewer("district_admin")
    for selection, field in (({"person_ids": ["x"] * 5001}, "selection"),
                             ({"person_ids": ["x"], "matching": {}}, "selection"),
                             ({"matching": {"kind": "teacher"}}, "selection")):
        with pytest.raises(InvalidRequest) as refused:
            directory_rpc.archive_people({"viewer": viewer, "selection": selection})
        assert field in refused.value.fields

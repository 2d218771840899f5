"""What disappears from a full file, or is marked tobedeleted, is archived; too much at once waits for approval."""
from __future__ import annotations

import pytest
from rostering_builders import make_snapshot, make_student
from rostering_fakes import Importer

from services.rostering import handlers
from services.rostering.domain.settings import SyncSettings
from services.rostering.domain.snapshot import BULK, DELTA, GuardianLink, PackageFile, Tombstone
from shared.contracts import rostering
from shared.contracts.errors import Conflict

BULK_FILES = tuple(PackageFile(name, BULK, 3) for name in ("orgs.csv", "classes.csv", "users.csv", "enrollments.csv"))
DELTA_FILES = tuple(PackageFile(name, DELTA, 1) for name in ("users.csv", "enrollments.csv"))


@pytest.fixture
def run_import():
    return Importer()


def many_students(count: int):
    return tuple(make_student(source_id=f"student-{n}", identifier=f"S{n}") for n in range(1, count + 1))


def district(count: int, **overrides):
    """`count` students, no guardians or enrollments: shares of people are easy to reason about."""
    fields = {"files": BULK_FILES, "people": many_students(count), "enrollments": (), "guardian_links": ()}
    return make_snapshot(**{**fields, **overrides})


def archived(run_import, entity: str) -> set[str]:
    return {key for kind, key in run_import.directory.archived if kind == entity}


def test_people_a_full_file_no_longer_lists_are_archived_and_reported_row_by_row(run_import):
    run_import(district(20))

    run = run_import(district(18))

    assert run["state"] == "completed"
    assert archived(run_import, "people") == {"student-19", "student-20"}
    assert run["diff"]["archiving"] == {"people": 2, "classrooms": 0, "enrollments": 0, "guardian_links": 0}
    changes = handlers.get_sync_run_changes({"run_id": run["run_id"], "entity": None, "page": 1, "per_page": 10},
                                            runs=run_import.runs, held=run_import.held)
    assert changes["total"] == 2
    assert changes["changes"][0] | {"name": None} == {
        "entity": "people", "key": "student-19", "file": "users.csv", "line": None, "outcome": "done",
        "reason": "no longer in the full users.csv", "name": None, "kinds": ["student"], "school_ids": []}


def test_a_delta_archives_what_it_marks_tobedeleted_and_a_returning_person_is_sent_again(run_import):
    run_import(district(20))
    tombstones = (Tombstone("users.csv", 4, "student-3", "tobedeleted", None),)

    run = run_import(make_snapshot(files=DELTA_FILES, people=(), enrollments=(), guardian_links=(),
                                   tombstones=tombstones))

    assert run["state"] == "completed" and archived(run_import, "people") == {"student-3"}
    assert "student-3" not in run_import.applied.remembered("people")
    run_import(make_snapshot(files=DELTA_FILES, people=(make_student(source_id="student-3", identifier="S3"),),
                             enrollments=(), guardian_links=()))
    assert [row["source_id"] for row in run_import.directory.method_calls("upsert_people")[-1]["people"]] == [
        "student-3"]


def test_a_run_that_would_archive_more_than_the_threshold_is_held_and_applies_nothing(run_import):
    run_import(district(20))
    calls_before = len(run_import.directory.calls)

    run = run_import(district(17, people=many_students(17) + (make_student(source_id="new", identifier="N"),)))

    assert run["state"] == "awaiting_approval"
    assert "3 of 20 current people (15.0%)" in run["message"]
    sent = [name for name, _ in run_import.directory.calls[calls_before:]]
    assert "upsert_people" not in sent and archived(run_import, "people") == set()
    assert run_import.held.package(run["run_id"]) is not None
    assert run["diff"]["people_share"] == 0.15
    assert [event for event, _ in run_import.published].count("sync_run_completed.v1") == 1  # the first run's


def test_an_approved_run_applies_exactly_the_held_diff_and_says_who_approved(run_import):
    run_import(district(20))
    held = run_import(district(15))

    approved = handlers.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1", "reason": None},
                                         runs=run_import.runs, held=run_import.held,
                                         publish=run_import.outbox,
                                         clock=run_import.clock)
    assert approved["state"] == "running" and approved["decided_by"] == "admin-1"
    assert run_import.published[-1] == ("sync_run_approved.v1", {"run_id": held["run_id"]})

    assert handlers.apply_approved_run({"run_id": held["run_id"]}, ports=run_import.ports()) == "completed"
    run = handlers.get_sync_run({"run_id": held["run_id"]}, runs=run_import.runs, clock=run_import.clock)
    assert run["decided_by"] == "admin-1" and run["counts"]["people"]["unchanged"] == 15
    assert archived(run_import, "people") == {f"student-{n}" for n in range(16, 21)}
    assert run_import.held.package(held["run_id"]) is None
    # A redelivered approval finds nothing left to do.
    assert handlers.apply_approved_run({"run_id": held["run_id"]}, ports=run_import.ports()) is None


def test_an_approval_is_not_applied_when_the_archive_set_changed_since_it_was_held(run_import):
    run_import(district(20))
    held = run_import(district(15))
    handlers.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1", "reason": None},
                              runs=run_import.runs, held=run_import.held, publish=lambda e, p: None,
                              clock=run_import.clock)
    run_import.applied.forget("district-1", "people", ["student-20"])

    assert handlers.apply_approved_run({"run_id": held["run_id"]}, ports=run_import.ports()) == "failed"
    assert archived(run_import, "people") == set()
    assert "changed since this run was held" in handlers.get_sync_run(
        {"run_id": held["run_id"]}, runs=run_import.runs, clock=run_import.clock)["message"]


def test_a_rejected_run_applies_nothing_and_keeps_its_report(run_import):
    run_import(district(20))
    held = run_import(district(10))

    rejected = handlers.reject_sync_run({"run_id": held["run_id"], "decided_by": "admin-1", "reason": "wrong file"},
                                        runs=run_import.runs, held=run_import.held, publish=lambda e, p: None,
                                        clock=run_import.clock)

    assert rejected["state"] == "rejected" and rejected["decided_by"] == "admin-1"
    assert rejected["message"] == "rejected by admin-1: wrong file; nothing was applied"
    assert rejected["diff"]["archiving"]["people"] == 10
    assert archived(run_import, "people") == set() and run_import.held.package(held["run_id"]) is None


def test_a_newer_import_supersedes_a_held_run_which_can_then_not_be_approved(run_import):
    run_import(district(20))
    held = run_import(district(10))

    newer = run_import(district(20))

    assert newer["state"] == "completed"
    old = handlers.get_sync_run({"run_id": held["run_id"]}, runs=run_import.runs, clock=run_import.clock)
    assert old["state"] == "superseded" and newer["run_id"] in old["message"]
    completed = [payload for name, payload in run_import.outbox.published if name == rostering.SYNC_RUN_COMPLETED.name]
    assert {"run_id": held["run_id"], "state": "superseded", "district_id": held["district_id"],
            "error_count": 0} in completed
    with pytest.raises(Conflict):
        handlers.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1", "reason": None},
                                  runs=run_import.runs, held=run_import.held, publish=lambda e, p: None,
                                  clock=run_import.clock)


def test_only_a_held_run_can_be_approved_or_rejected(run_import):
    done = run_import(district(3))
    for decide in (handlers.approve_sync_run, handlers.reject_sync_run):
        with pytest.raises(Conflict, match="only a run awaiting approval"):
            decide({"run_id": done["run_id"], "decided_by": "admin-1", "reason": None}, runs=run_import.runs,
                   held=run_import.held, publish=lambda e, p: None, clock=run_import.clock)


def test_the_district_threshold_decides_what_is_held(run_import):
    run_import(district(20))
    run_import.allow_archiving_up_to(0.5)

    assert run_import(district(11))["state"] == "completed"


def test_stale_guardian_links_are_archived_by_their_pair_even_when_ids_hold_a_colon(run_import):
    people = many_students(10) + (make_student(source_id="g:1", identifier=None, kinds=frozenset({"guardian"})),)
    links = tuple(GuardianLink("g:1", f"student-{n}") for n in range(1, 11))
    run_import(make_snapshot(files=BULK_FILES, people=people, enrollments=(), guardian_links=links))

    run_import(make_snapshot(files=BULK_FILES, people=people, enrollments=(), guardian_links=links[:-1]))

    assert archived(run_import, "guardian_links") == {"g:1:student-10"}


def test_the_links_of_a_guardian_no_longer_listed_are_archived_by_their_pair(run_import):
    run_import.allow_archiving_up_to(1.0)
    guardian = make_student(source_id="g:1", identifier=None, kinds=frozenset({"guardian"}))
    links = tuple(GuardianLink("g:1", f"student-{n}") for n in range(1, 3))
    run_import(make_snapshot(files=BULK_FILES, people=(*many_students(10), guardian), enrollments=(),
                             guardian_links=links))

    run_import(make_snapshot(files=BULK_FILES, people=many_students(10), enrollments=(), guardian_links=()))

    assert archived(run_import, "people") == {"g:1"}
    assert archived(run_import, "guardian_links") == {"g:1:student-1", "g:1:student-2"}


def test_a_preview_shows_the_diff_and_what_would_be_sent_and_applies_nothing(run_import):
    run_import(district(20))
    calls_before = len(run_import.directory.calls)
    run_import.packages_read["/exports/next"] = district(15)

    preview = handlers.preview_import({"path": "/exports/next", "region": "US", "district_name": None,
                                       "full": False, "requested_by": None}, ports=run_import.ports())

    assert preview["would_hold"] is True and preview["district_id"] == "district-id"
    assert preview["entities"]["people"] == {"to_send": 0, "unchanged": 15}
    assert len(preview["changes"]) == 5 and preview["diff"]["archiving"]["people"] == 5
    assert {name for name, _ in run_import.directory.calls[calls_before:]} <= {
        "archive_synced_records", "get_district_counts", "get_schools"}
    assert all(payload.get("dry_run", True) for _, payload in run_import.directory.calls[calls_before:])
    assert archived(run_import, "people") == set()


def test_a_preview_of_a_district_never_imported_sends_everything_and_archives_nothing(run_import):
    run_import.packages_read["/exports/new"] = district(5)
    preview = handlers.preview_import({"path": "/exports/new", "region": "US", "district_name": None, "full": False,
                                       "requested_by": None}, ports=run_import.ports())
    assert preview["district_id"] is None and preview["changes"] == [] and preview["would_hold"] is False
    assert preview["entities"]["people"] == {"to_send": 5, "unchanged": 0}


def test_the_district_settings_reach_the_stages_and_the_directory(run_import):
    run_import.settings.save(SyncSettings("district-id", daily_sync=True, unarchive_classrooms_that_reappear=False,
                                          sync_updates_contact_details_of_active_users=True))
    run_import()

    assert run_import.directory.method_calls("upsert_classrooms")[0]["unarchive_reappearing"] is False
    assert run_import.identity.method_calls("upsert_accounts")[0]["update_contact_details_of_active_users"] is True
    assert run_import.directory.ownership == {"district_id": "district-id", "source": "OneRoster CSV",
                                              "manages_guardians": True,
                                              "updates_contact_details_of_active_users": True}



def test_a_held_run_is_not_approved_while_another_run_of_its_district_is_running(run_import):
    run_import(district(20))
    held = run_import(district(15))
    run_import.packages_read["/exports/next"] = district(20)
    newer = run_import.request_import("/exports/next")
    run_import.runs.claim(run_import.runs.stored[newer["run_id"]], "district-1", "worker-2", run_import.clock())

    with pytest.raises(Conflict, match=f"already being synced by run {newer['short_id']}"):
        handlers.approve_sync_run({"run_id": held["run_id"], "decided_by": "admin-1", "reason": None},
                                  runs=run_import.runs, held=run_import.held, publish=lambda e, p: None,
                                  clock=run_import.clock)
    assert run_import.runs.get(held["run_id"]).state == "awaiting_approval"

"""Bulk files are full snapshots, delta files are changes; tombstones are archived, never hard-deleted."""
from datetime import datetime, timezone

from oneroster_builders import (
    located,
    make_class_row,
    make_enrollment_row,
    make_guardian_row,
    make_user_row,
    people_by_id,
    write_package,
)

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.snapshot import BULK, DELTA, GuardianLink, Tombstone

MODIFIED = "2026-08-01T12:00:00Z"
AT_MODIFIED = datetime(2026, 8, 1, 12, tzinfo=timezone.utc)


def delta_user(**overrides):
    return make_user_row(**{"dateLastModified": MODIFIED, **overrides})


# --- bulk ----------------------------------------------------------------------------------


def test_tobedeleted_row_in_a_bulk_file_is_left_out_listed_for_archiving_and_reported(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_user_row(sourcedId="student-2", status="tobedeleted")])

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert snapshot.tombstones == (Tombstone("users.csv", 3, "student-2", "tobedeleted", None),)
    assert snapshot.problems == ()
    assert located(snapshot.warnings) == [("users.csv", 3, "status", "tobedeleted")]
    assert "will be archived, as if the row were missing" in snapshot.warnings[0].reason


def test_inactive_row_is_read_as_tobedeleted_with_a_warning(tmp_path):
    write_package(tmp_path, classes=[make_class_row(), make_class_row(sourcedId="class-2", status="Inactive")])

    snapshot = read_package(tmp_path)

    assert [c.source_id for c in snapshot.classes] == ["class-1"]
    assert snapshot.tombstones[0].status == "tobedeleted"
    assert snapshot.warnings[0].reason == "status inactive read as tobedeleted: class-2 is to be archived"


def test_empty_status_in_a_bulk_file_is_active(tmp_path):
    write_package(tmp_path, users=[make_user_row(status="")])

    assert len(read_package(tmp_path).people) == 1


def test_unknown_status_is_a_row_error(tmp_path):
    write_package(tmp_path, users=[make_user_row(status="archived")], enrollments=[])

    snapshot = read_package(tmp_path)

    assert snapshot.people == () and located(snapshot.problems) == [("users.csv", 2, "status", "archived")]


def test_reference_to_a_row_marked_for_deletion_is_a_row_error(tmp_path):
    write_package(tmp_path, classes=[make_class_row(status="tobedeleted")])

    snapshot = read_package(tmp_path)

    assert snapshot.enrollments == ()
    assert located(snapshot.problems) == [("enrollments.csv", 2, "classSourcedId", "class-1")]
    assert snapshot.problems[0].reason == "class class-1 is marked tobedeleted in classes.csv; row skipped"


def test_a_file_rejected_as_a_whole_is_no_full_snapshot_whatever_its_mode(tmp_path):
    classes = [{k: v for k, v in make_class_row().items() if k != "title"}]
    write_package(tmp_path, classes=classes)

    snapshot = read_package(tmp_path)

    classes_file = next(f for f in snapshot.files if f.name == "classes.csv")
    assert classes_file.mode == BULK and classes_file.read is False
    assert "classes.csv" not in snapshot.full_snapshot_files
    # Nothing could check the enrollment's class: it is kept, and that is said once.
    assert len(snapshot.enrollments) == 1
    assert "classes.csv was not read" in snapshot.warnings[0].reason


# --- delta ----------------------------------------------------------------------------------


def test_delta_rows_are_changes_and_tombstones_need_no_warning(tmp_path):
    users = [delta_user(), delta_user(sourcedId="student-2", status="tobedeleted")]
    write_package(tmp_path, modes={"users": "delta"}, users=users)

    snapshot = read_package(tmp_path)

    assert snapshot.mode_of("users.csv") == DELTA and "users.csv" not in snapshot.full_snapshot_files
    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert snapshot.tombstones == (Tombstone("users.csv", 3, "student-2", "tobedeleted", AT_MODIFIED),)
    assert snapshot.warnings == () and snapshot.problems == ()


def test_delta_row_without_a_status_is_a_row_error(tmp_path):
    write_package(tmp_path, modes={"users": "delta"}, users=[delta_user(status="")], enrollments=[])

    snapshot = read_package(tmp_path)

    assert snapshot.people == ()
    assert located(snapshot.problems) == [("users.csv", 2, "status", None)]


def test_delta_may_refer_to_records_from_an_earlier_sync(tmp_path):
    enrollments = [make_enrollment_row(userSourcedId="student-from-last-week", status="active",
                                       dateLastModified=MODIFIED)]
    write_package(tmp_path, modes={"users": "delta", "enrollments": "delta"}, users=[delta_user()],
                  enrollments=enrollments)

    snapshot = read_package(tmp_path)

    assert snapshot.enrollments[0].person_source_id == "student-from-last-week" and snapshot.problems == ()


def test_delta_guardian_link_to_a_person_from_an_earlier_sync_is_kept(tmp_path):
    write_package(tmp_path, modes={"users": "delta"}, users=[delta_user(agentSourcedIds="guardian-from-2025")])

    assert read_package(tmp_path).guardian_links == (GuardianLink("guardian-from-2025", "student-1"),)


def test_delta_guardian_naming_a_student_from_an_earlier_sync_is_linked_guardian_first(tmp_path):
    # The other side is unknown to this file, so which side is the guardian comes from the row's own role.
    write_package(tmp_path, modes={"users": "delta"},
                  users=[make_guardian_row(agentSourcedIds="student-from-2025", dateLastModified=MODIFIED)])

    assert read_package(tmp_path).guardian_links == (GuardianLink("guardian-1", "student-from-2025"),)


def test_delta_reference_to_a_deleted_row_is_still_a_row_error(tmp_path):
    users = [make_guardian_row(status="tobedeleted", dateLastModified=MODIFIED),
             delta_user(agentSourcedIds="guardian-1")]
    write_package(tmp_path, modes={"users": "delta"}, users=users)

    snapshot = read_package(tmp_path)

    assert snapshot.guardian_links == ()
    assert located(snapshot.problems) == [("users.csv", 3, "agentSourcedIds", "guardian-1")]
    assert snapshot.problems[0].reason == "user guardian-1 is marked tobedeleted; link dropped"


def test_people_of_a_delta_keep_their_modification_time_for_ordering_changes(tmp_path):
    write_package(tmp_path, modes={"users": "delta"}, users=[delta_user()])

    assert people_by_id(read_package(tmp_path))["student-1"].date_last_modified == AT_MODIFIED

"""A district that enables student accounts automatically (SFTP districts' setting, or any district's) gets the
students its sync brings in enabled through the directory, which tells identity: once each, remembered."""
import pytest
from nameko.exceptions import RemoteError
from rostering_builders import make_snapshot, make_staff, make_student
from rostering_fakes import Importer

from services.rostering.domain.settings import SyncSettings

ENABLE = "enable_synced_student_accounts"


@pytest.fixture
def run_import():
    importer = Importer()
    importer.settings.save(SyncSettings("district-id", source="sftp", enable_student_accounts_automatically=True))
    return importer


def enabled_pages(importer) -> list[list[str]]:
    return [page["student_ids"] for page in importer.directory.method_calls(ENABLE)]


def students(count: int) -> tuple:
    return tuple(make_student(source_id=f"student-{n}", identifier=f"S{n}") for n in range(count))


def test_the_students_a_run_brings_in_are_enabled_as_the_sync_run_and_counted(run_import):
    run = run_import()
    student_id = run_import.directory.saved_ids("upsert_people")["student-1"]
    [call] = run_import.directory.method_calls(ENABLE)
    assert call == {"district_id": "district-id", "student_ids": [student_id], "enabled_by": f"sync:{run['run_id']}"}
    assert run["counts"]["student_accounts"]["updated"] == 1 and run["state"] == "completed"


def test_staff_and_guardians_are_never_enabled_as_students(run_import):
    run_import()
    people = run_import.directory.saved_ids("upsert_people")
    assert enabled_pages(run_import) == [[people["student-1"]]]
    assert people["teacher-1"] not in run_import.directory.enabled_students


def test_a_later_run_asks_only_for_students_not_enabled_yet(run_import):
    run_import(make_snapshot(people=students(3), enrollments=(), guardian_links=()))
    again = run_import(make_snapshot(people=students(4), enrollments=(), guardian_links=()))
    people = run_import.directory.saved_ids("upsert_people")
    assert enabled_pages(run_import)[-1] == [people["student-3"]]
    assert again["counts"]["student_accounts"]["updated"] == 1


def test_a_full_run_asks_again_for_every_student_and_finds_them_enabled(run_import):
    run_import(make_snapshot(people=students(2), enrollments=(), guardian_links=()))
    again = run_import(make_snapshot(people=students(2), enrollments=(), guardian_links=()), full=True)
    assert again["counts"]["student_accounts"] == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0,
                                                   "failed": 0}


def test_students_are_enabled_a_page_at_a_time(run_import):
    run_import(make_snapshot(people=students(2500), enrollments=(), guardian_links=()))
    assert [len(page) for page in enabled_pages(run_import)] == [1000, 1000, 500]


def test_a_district_with_the_setting_off_enables_no_one():
    importer = Importer()
    run = importer()
    assert importer.directory.method_calls(ENABLE) == [] and "student_accounts" not in run["counts"]


def test_a_student_the_directory_will_not_enable_is_a_finding_naming_them_and_is_asked_again_next_run(run_import):
    run_import.directory.refuse_enabling = True
    first = run_import(make_snapshot(people=(make_student(), make_staff()), enrollments=(), guardian_links=()))
    assert first["counts"]["student_accounts"]["failed"] == 1
    assert [(e["file"], e["source_id"], e["reason"]) for e in first["errors"]] == [
        ("users.csv", "student-1", "the student's account was not enabled (not a student)")]
    run_import.directory.refuse_enabling = False
    run_import(make_snapshot(people=(make_student(), make_staff()), enrollments=(), guardian_links=()))
    assert len(enabled_pages(run_import)) == 2 and run_import.directory.enabled_students


def test_a_directory_that_fails_to_enable_fails_the_run_and_the_students_are_asked_for_again(run_import):
    run_import.directory.broken[ENABLE] = RemoteError("ServiceUnavailable", "directory down")
    failed = run_import()
    assert failed["state"] == "failed" and "enable_synced_student_accounts" in failed["message"]
    del run_import.directory.broken[ENABLE]
    run_import()
    assert len(enabled_pages(run_import)) == 2 and run_import.directory.enabled_students

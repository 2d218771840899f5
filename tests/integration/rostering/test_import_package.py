import zipfile

import pytest
from nameko.testing.services import entrypoint_waiter
from roster_csv import (
    make_class_row,
    make_enrollment_row,
    make_org_row,
    make_user_row,
    write_package,
    write_package_1_2,
)
from run_waiting import imported

from shared.contracts.errors import NotFound

pytestmark = pytest.mark.postgres

APPLY_ORDER = ["upsert_district", "upsert_schools", "upsert_classrooms", "upsert_people", "upsert_accounts",
               "upsert_enrollments", "upsert_guardian_links"]


def large_school(folder, students: int):
    """One school whose students arrive in more than one page."""
    users = [make_user_row(sourcedId="teacher-1", role="teacher", givenName="Grace", familyName="Hopper", grades="")]
    users += [make_user_row(sourcedId=f"student-{n}", givenName=f"Student{n}") for n in range(students)]
    enrollments = [make_enrollment_row(sourcedId=f"enr-{n}", userSourcedId=f"student-{n}") for n in range(students)]
    return write_package(folder, users=users, enrollments=enrollments)


def counts_of(run, outcome):
    return {entity: counts[outcome] for entity, counts in run["counts"].items()}


def test_import_applies_the_package_in_dependency_order_and_reports_what_it_created(rostering_rpc, recorder,
                                                                                     package):
    run = imported(rostering_rpc, {"path": str(package)})

    assert run["state"] == "completed", run["message"]
    assert [method for method, _ in recorder.calls] == APPLY_ORDER
    assert run["district_id"] == recorder.saved_ids("upsert_district")["district-1"]
    assert counts_of(run, "created") == {"schools": 1, "classrooms": 1, "people": 3, "accounts": 3,
                                         "enrollments": 2, "guardian_links": 1}
    assert run["errors"] == [] and run["warnings"] == []


def test_rows_travel_a_page_per_call_never_a_row_per_call(rostering_rpc, recorder, tmp_path):
    run = imported(rostering_rpc, {"path": str(large_school(tmp_path / "big", students=2100))})

    people_pages = recorder.calls_to("upsert_people")
    assert [len(page["people"]) for page in people_pages] == [1000, 1000, 101]
    assert [len(page["accounts"]) for page in recorder.calls_to("upsert_accounts")] == [1000, 1000, 101]
    assert [len(page["enrollments"]) for page in recorder.calls_to("upsert_enrollments")] == [1000, 1000, 100]
    assert len(recorder.calls) == 1 + 1 + 1 + 3 + 3 + 3 + 0  # district, schools, classrooms, people, ...
    assert run["counts"]["people"]["created"] == 2101


def test_accounts_are_sent_with_the_directory_ids_of_people_and_schools(rostering_rpc, recorder, package):
    imported(rostering_rpc, {"path": str(package)})

    person_ids = recorder.saved_ids("upsert_people")
    school_id = recorder.saved_ids("upsert_schools")["school-1"]
    (page,) = recorder.calls_to("upsert_accounts")
    accounts = {account["person_id"]: account for account in page["accounts"]}
    assert accounts[person_ids["student-1"]]["roles"] == [{"role": "student", "school_ids": [school_id]}]
    assert accounts[person_ids["teacher-1"]]["roles"] == [{"role": "teacher", "school_ids": [school_id]}]
    assert accounts[person_ids["guardian-1"]]["mobile_phone"] == "+16172531000"


def test_importing_the_same_package_twice_reports_everything_unchanged(rostering_rpc, package):
    first = imported(rostering_rpc, {"path": str(package)})

    second = imported(rostering_rpc, {"path": str(package)})

    assert second["run_id"] != first["run_id"]
    assert counts_of(second, "unchanged") == counts_of(first, "created")
    assert set(counts_of(second, "created").values()) == set(counts_of(second, "updated").values()) == {0}


def test_rejected_package_applies_nothing_and_says_why(rostering_rpc, recorder, package):
    (package / "users.csv").unlink()

    run = imported(rostering_rpc, {"path": str(package)})

    assert run["state"] == "rejected"
    assert "users.csv" in run["message"]
    assert recorder.calls == [] and run["counts"] == {}


def test_row_problems_carry_file_and_line_and_the_good_rows_are_still_applied(rostering_rpc, recorder, tmp_path):
    users = [
        make_user_row(),
        make_user_row(sourcedId="student-2", givenName="Alan", email="not-an-email"),
        make_user_row(sourcedId="student-3", familyName=""),
    ]
    folder = write_package(tmp_path / "bad-rows", users=users, enrollments=[make_enrollment_row()])

    run = imported(rostering_rpc, {"path": str(folder)})

    assert run["state"] == "completed"
    problems = [(e["file"], e["line"], e["column"], e["value"]) for e in run["errors"]]
    assert problems == [("users.csv", 3, "email", "not-an-email"), ("users.csv", 4, "familyName", None)]
    assert run["counts"]["people"]["created"] == 2


def test_items_the_directory_refuses_are_counted_failed_and_named_by_file_line_and_source_id(rostering_rpc,
                                                                                            tmp_path):
    # A class at an org the directory holds no school for: the directory refuses it and its enrollments.
    orgs = [make_org_row(sourcedId="district-1", type="district", parentSourcedId=""), make_org_row(),
            make_org_row(sourcedId="dept-1", name="Athletics", type="department")]
    classes = [make_class_row(), make_class_row(sourcedId="class-2", title="Soccer", schoolSourcedId="dept-1")]
    enrollments = [make_enrollment_row(), make_enrollment_row(sourcedId="enr-2", classSourcedId="class-2",
                                                              schoolSourcedId="dept-1")]
    folder = write_package(tmp_path / "refused", orgs=orgs, classes=classes, enrollments=enrollments,
                           users=[make_user_row()])

    run = imported(rostering_rpc, {"path": str(folder)})

    assert run["counts"]["classrooms"] == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 1}
    assert run["counts"]["enrollments"]["failed"] == 1
    assert [(e["file"], e["line"], e["column"], e["value"]) for e in run["errors"]] == [
        ("classes.csv", 3, "schoolSourcedId", "class-2"),
        ("enrollments.csv", 3, "classSourcedId", "enr-2"),
    ]
    assert "unknown dept-1" in run["errors"][0]["reason"]


def test_finished_run_is_stored_and_announced(rostering_rpc, recorder, running_services, package):
    with entrypoint_waiter(running_services["sync_run_listener"], "on_sync_run_completed"):
        run = imported(rostering_rpc, {"path": str(package)})

    assert rostering_rpc.get_sync_run({"run_id": run["run_id"]}) == run
    assert recorder.completed_runs == [{"run_id": run["run_id"], "state": "completed",
                                        "district_id": run["district_id"], "error_count": 0}]


def test_unknown_run_is_not_found(rostering_rpc):
    with pytest.raises(NotFound):
        rostering_rpc.get_sync_run({"run_id": "no-such-run"})


def test_package_without_a_district_org_is_filed_under_the_requested_district_name(rostering_rpc, recorder,
                                                                                    tmp_path):
    folder = write_package(tmp_path / "no-district", orgs=[make_org_row(parentSourcedId="")])

    imported(rostering_rpc, {"path": str(folder), "district_name": "Springfield Public Schools"})

    (district,) = recorder.calls_to("upsert_district")
    assert district == {"source_id": "named:springfield public schools", "name": "Springfield Public Schools"}


def test_a_1_2_zip_with_roles_is_imported_with_one_account_per_person_whatever_their_roles(rostering_rpc, recorder,
                                                                                             tmp_path):
    package = write_package_1_2(tmp_path / "v12")
    archive = tmp_path / "v12.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(package.iterdir()):
            zipped.write(path, f"export/{path.name}")

    run = imported(rostering_rpc, {"path": str(archive)})

    assert run["state"] == "completed", run["message"]
    assert run["errors"] == [] and run["warnings"] == []
    assert run["counts"]["people"]["created"] == 2 and run["counts"]["guardian_links"]["created"] == 1
    person_ids = recorder.saved_ids("upsert_people")
    (page,) = recorder.calls_to("upsert_accounts")
    teacher = next(a for a in page["accounts"] if a["person_id"] == person_ids["teacher-1"])
    assert [grant["role"] for grant in teacher["roles"]] == ["teacher", "guardian"]

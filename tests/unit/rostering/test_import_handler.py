import pytest
from nameko.exceptions import RemoteError
from prometheus_client import REGISTRY
from rostering_builders import (make_class, make_district, make_enrollment, make_guardian, make_org, make_problem,
                               make_snapshot, make_student)
from rostering_fakes import Importer

from services.rostering import handlers
from services.rostering.domain.errors import PackageRejected
from shared.contracts import rostering
from shared.contracts.errors import InvalidRequest, NotFound

ENTITIES = ("schools", "classrooms", "people", "accounts", "enrollments", "guardian_links")


@pytest.fixture
def run_import():
    return Importer()


def many_students(count):
    return tuple(make_student(source_id=f"student-{n}", identifier=f"S{n}") for n in range(count))


def test_import_applies_every_entity_in_dependency_order(run_import):
    run_import()

    assert run_import.methods_called() == [
        "upsert_district", "upsert_schools", "upsert_classrooms", "upsert_people", "upsert_accounts",
        "upsert_enrollments", "upsert_guardian_links",
    ]


def test_rows_travel_in_pages_of_at_most_a_thousand(run_import):
    run = run_import(make_snapshot(people=many_students(2500), enrollments=(), guardian_links=()))

    pages = run_import.directory.method_calls("upsert_people")
    assert [len(page["people"]) for page in pages] == [1000, 1000, 500]
    assert [len(page["accounts"]) for page in run_import.identity.method_calls("upsert_accounts")] == [
        1000, 1000, 500]
    assert run["counts"]["people"]["created"] == 2500


def test_first_import_reports_everything_created(run_import):
    run = run_import()

    assert run["state"] == "completed" and run["district_id"] == "district-id"
    assert {entity: counts["created"] for entity, counts in run["counts"].items()} == {
        "schools": 1, "classrooms": 1, "people": 3, "accounts": 3, "enrollments": 2, "guardian_links": 1}
    assert run["errors"] == [] and run["message"] is None


def test_importing_the_same_package_again_reports_everything_unchanged(run_import):
    run_import()

    again = run_import()

    assert set(again["counts"]) == set(ENTITIES)
    assert all(counts == {"created": 0, "updated": 0, "unchanged": counts["unchanged"], "skipped": 0, "failed": 0}
               and counts["unchanged"] > 0 for counts in again["counts"].values())


def test_changed_person_is_reported_updated(run_import):
    run_import()

    again = run_import(make_snapshot(people=(make_student(given_name="Augusta"),) + make_snapshot().people[1:]))

    assert again["counts"]["people"] == {"created": 0, "updated": 1, "unchanged": 2, "skipped": 0, "failed": 0}


def test_accounts_name_directory_person_and_school_ids(run_import):
    run_import()

    (page,) = run_import.identity.method_calls("upsert_accounts")
    person_ids = run_import.directory.saved_ids("upsert_people")
    school_id = run_import.directory.saved_ids("upsert_schools")["school-1"]
    student = next(a for a in page["accounts"] if a["person_id"] == person_ids["student-1"])
    assert student["roles"] == [{"role": "student", "school_ids": [school_id]}]
    assert page["district_id"] == "district-id" and page["region"] == "US"


def test_rejected_package_applies_nothing_and_says_why(run_import):
    run = run_import(rejection=PackageRejected("users.csv is missing from /exports/lincoln"))

    assert run_import.directory.calls == []
    assert (run["state"], run["message"]) == ("rejected", "users.csv is missing from /exports/lincoln")
    assert run["finished_at"] is not None
    assert [name for name, _ in run_import.published] == ["package_import_requested.v1", "sync_run_completed.v1"]
    assert run_import.published[1:] == [("sync_run_completed.v1", {"run_id": "run-1", "state": "rejected",
                                                             "district_id": None, "error_count": 0})]


def test_reader_problems_and_warnings_are_reported_with_file_and_line(run_import):
    warning = make_problem(line=7, column="status", value="tobedeleted", reason="status is tobedeleted")
    snapshot = make_snapshot(problems=(make_problem(),), warnings=(warning,))

    run = run_import(snapshot)

    assert run["state"] == "completed"
    assert run["errors"] == [{"file": "users.csv", "line": 3, "column": "email", "value": "ada@",
                              "reason": "invalid email address"}]
    assert run["warnings"][0]["line"] == 7


def test_item_the_directory_refuses_is_counted_failed_and_named_by_its_source_id(run_import):
    run_import.directory.refuse["class-1"] = {"field": "school_source_id", "reason": "unknown school"}

    run = run_import()

    assert run["counts"]["classrooms"]["failed"] == 1
    assert run["errors"] == [{"file": "classes.csv", "line": None, "column": "schoolSourcedId",
                              "value": "class-1", "reason": "unknown school", "source_id": "class-1"}]
    assert run["state"] == "completed" and "1 row error" in run["message"]


def test_refused_account_is_named_by_the_person_source_id_and_csv_column(run_import):
    run_import()
    person_id = run_import.directory.saved_ids("upsert_people")["guardian-1"]
    run_import.identity.refuse[person_id] = {"field": "mobile_phone", "reason": "not a mobile number"}

    run = run_import(make_snapshot(people=(make_student(), make_guardian(mobile_phone="+16172531000"))))

    assert run["counts"]["accounts"]["failed"] == 1
    assert run["errors"] == [{"file": "users.csv", "line": None, "column": "sms", "value": "guardian-1",
                              "reason": "not a mobile number", "source_id": "guardian-1"}]


def test_people_the_directory_refused_get_no_account(run_import):
    run_import.directory.refuse["guardian-1"] = {"field": "kinds", "reason": "no"}

    run = run_import()

    assert run["counts"]["accounts"]["created"] == 2
    assert run["counts"]["people"]["failed"] == 1


def test_row_the_contract_refuses_is_taken_out_and_the_rest_of_its_page_still_goes(run_import):
    orgs = (make_district(), make_org(), make_org(source_id="school-2", name="x" * 300))

    run = run_import(make_snapshot(orgs=orgs))

    (page,) = run_import.directory.method_calls("upsert_schools")
    assert [school["source_id"] for school in page["schools"]] == ["school-1"]
    assert run["counts"]["schools"] == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 1}
    (error,) = run["errors"]
    assert (error["file"], error["column"], error["value"]) == ("orgs.csv", "name", "school-2")


def test_guardian_enrolled_in_a_class_is_counted_failed_with_a_reason(run_import):
    enrollments = (make_enrollment(), make_enrollment(source_id="enr-9", person_source_id="guardian-1", role="parent"))

    run = run_import(make_snapshot(enrollments=enrollments))

    assert run["counts"]["enrollments"]["created"] == 1 and run["counts"]["enrollments"]["failed"] == 1
    assert [(e["file"], e["column"], e["value"]) for e in run["errors"]] == [("enrollments.csv", "role", "parent")]


def test_service_failure_ends_the_run_as_failed_naming_the_call(run_import):
    run_import.directory.broken["upsert_people"] = RemoteError("OperationalError", "database is gone")

    run = run_import()

    assert run["state"] == "failed"
    assert run["message"].startswith("directory.upsert_people failed:") and "database is gone" in run["message"]
    assert set(run["counts"]) == {"schools", "classrooms"}  # what landed before the failure
    assert "upsert_accounts" not in run_import.methods_called()
    assert run_import.runs.get("run-1").state == "failed"
    assert run_import.published[-1][1]["state"] == "failed"


def test_unexpected_error_still_closes_the_run_before_propagating(run_import):
    run_import.directory.broken["upsert_schools"] = ZeroDivisionError("bug")

    with pytest.raises(ZeroDivisionError):
        run_import()

    stored = run_import.runs.get("run-1")
    assert stored.state == "failed" and stored.finished_at is not None


def test_progress_is_saved_after_each_entity(run_import):
    run_import()

    assert run_import.runs.saved_states == ["running"] * 7 + ["completed"]


def test_completed_run_is_stored_and_announced(run_import):
    run = run_import(make_snapshot(problems=(make_problem(),)))

    assert handlers.get_sync_run({"run_id": run["run_id"]}, runs=run_import.runs, clock=run_import.clock) == run
    assert run_import.published[1:] == [("sync_run_completed.v1", {"run_id": "run-1", "state": "completed",
                                                             "district_id": "district-id", "error_count": 1})]
    assert rostering.get_sync_run.dump_response(run)["counts"]["people"]["created"] == 3


def test_a_followed_run_counts_its_findings_and_lists_none_of_them(run_import):
    run = run_import(make_snapshot(problems=(make_problem(), make_problem(line=9))))

    followed = handlers.follow_sync_run({"run_id": run["run_id"][:6]}, runs=run_import.runs, clock=run_import.clock)

    assert (followed["error_count"], followed["warning_count"]) == (2, 0)
    assert "errors" not in followed and "warnings" not in followed and "diff" not in followed
    assert {name: followed[name] for name in ("run_id", "state", "counts", "message", "progress")} == {
        name: run[name] for name in ("run_id", "state", "counts", "message", "progress")}
    assert rostering.follow_sync_run.dump_response(followed).keys() == followed.keys()
    with pytest.raises(NotFound):
        handlers.follow_sync_run({"run_id": "nope"}, runs=run_import.runs, clock=run_import.clock)


def test_unknown_run_is_not_found(run_import):
    with pytest.raises(NotFound):
        handlers.get_sync_run({"run_id": "nope"}, runs=run_import.runs, clock=run_import.clock)


def test_unknown_phone_region_is_refused_before_a_run_starts(run_import):
    with pytest.raises(InvalidRequest) as refused:
        run_import(region="XX")

    assert "region" in refused.value.fields
    assert run_import.runs.stored == {}


def test_district_name_from_the_request_names_a_package_without_a_district(run_import):
    run_import(make_snapshot(orgs=(make_org(parent_source_id=None),)), district_name="Springfield")

    (district,) = run_import.directory.method_calls("upsert_district")
    assert district == {"source_id": "named:springfield", "name": "Springfield"}


def test_package_without_a_district_and_no_name_is_rejected_before_anything_is_applied(run_import):
    run = run_import(make_snapshot(orgs=(make_org(parent_source_id=None),)))

    assert run["state"] == "rejected"
    assert "--district-name" in run["message"]
    assert run_import.directory.method_calls("upsert_district") == []


def test_recent_runs_are_listed_as_summaries_with_problem_counts(run_import):
    run = run_import(make_snapshot(problems=(make_problem(),)))

    listed = handlers.list_sync_runs({"limit": 5}, runs=run_import.runs, clock=run_import.clock)

    assert listed == {"runs": [{
        "run_id": run["run_id"], "state": "completed", "source": run["source"], "district_id": "district-id",
        "started_at": run["started_at"], "finished_at": run["finished_at"], "error_count": 1, "warning_count": 0,
        "decided_by": None, "decided_at": None, "short_id": run["run_id"][:8], "progress": run["progress"],
    }]}


def test_a_row_another_service_refuses_is_named_by_file_and_line(run_import):
    run_import.directory.refuse["class-1"] = {"field": "school_source_id", "reason": "unknown school"}
    guardian = make_guardian(mobile_phone="+16172531000", line=9)
    run_import()
    run_import.identity.refuse[run_import.directory.saved_ids("upsert_people")["guardian-1"]] = {
        "field": "mobile_phone", "reason": "belongs to an account that has joined"}

    run = run_import(make_snapshot(classes=(make_class(line=4),),
                                   people=(make_student(line=2), guardian)))

    assert {(error["file"], error["line"], error["column"]) for error in run["errors"]} == {
        ("classes.csv", 4, "schoolSourcedId"), ("users.csv", 9, "sms")}


def test_an_enrollment_no_class_role_fits_is_named_by_its_line(run_import):
    enrollment = make_enrollment(source_id="enr-9", person_source_id="guardian-1", role="guardian", line=7)
    run = run_import(make_snapshot(enrollments=(enrollment,)))

    [error] = run["errors"]
    assert (error["file"], error["line"], error["value"]) == ("enrollments.csv", 7, "guardian")


def test_a_finished_run_is_measured_for_the_metrics(run_import):
    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    runs = sample("school_sync_run_seconds_count", state="completed")
    people = sample("school_sync_rows_total", entity="people", result="created")

    run_import()

    assert sample("school_sync_run_seconds_count", state="completed") == runs + 1
    assert sample("school_sync_rows_total", entity="people", result="created") == people + 3


def test_freed_memory_is_given_back_once_the_source_is_read_and_again_when_the_run_ends(run_import):
    run_import()

    calls = len(run_import.directory.calls)
    assert calls > 1
    assert run_import.memory_given_back == [0, calls]  # before the first call (the district), after the last


def test_a_rejected_package_gives_back_what_its_read_freed_when_its_run_ends(run_import):
    run_import(rejection=PackageRejected("users.csv is missing from /exports/lincoln"))

    assert run_import.memory_given_back == [0]

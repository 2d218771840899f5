from datetime import datetime, timezone

import pytest
from rostering_builders import make_problem

from services.rostering.domain.mapping import Unmapped
from services.rostering.domain.run import EntityCounts, Refusal, SyncRun, problem_row, tally, unmapped_row

STARTED = datetime(2025, 9, 1, 6, 0, tzinfo=timezone.utc)
FINISHED = datetime(2025, 9, 1, 6, 5, tzinfo=timezone.utc)


def make_result(**overrides) -> dict:
    return {"key": "student-1", "id": "p-1", "outcome": "created", "problems": [], **overrides}


def make_run(**overrides) -> SyncRun:
    return SyncRun(**{"run_id": "run-1", "source": "/exports/lincoln", "started_at": STARTED, **overrides})


def test_tally_counts_each_outcome_and_keeps_the_ids_of_saved_items():
    results = [
        make_result(key="a", id="1"), make_result(key="b", id="2", outcome="updated"),
        make_result(key="c", id="3", outcome="unchanged"), make_result(key="d", id=None, outcome="skipped"),
        make_result(key="e", id=None, outcome="failed", problems=[{"field": "name", "reason": "too long"}]),
    ]

    counted = tally("schools", results, sent=5)

    assert counted.counts == EntityCounts(created=1, updated=1, unchanged=1, skipped=1, failed=1)
    assert counted.ids == {"a": "1", "b": "2", "c": "3"}
    assert counted.refusals == [Refusal("schools", "e", "name", "too long")]


def test_every_problem_of_a_failed_item_becomes_a_refusal():
    problems = [{"field": "email", "reason": "invalid"}, {"field": "mobile_phone", "reason": "landline"}]

    counted = tally("accounts", [make_result(outcome="failed", id=None, problems=problems)], sent=1)

    assert [refusal.field for refusal in counted.refusals] == ["email", "mobile_phone"]
    assert counted.counts.failed == 1


def test_outcomes_that_mean_not_saved_count_as_failed_with_the_outcome_as_reason():
    counted = tally("enrollments", [make_result(outcome="not_found", id=None)], sent=1)

    assert counted.counts.failed == 1
    assert counted.refusals == [Refusal("enrollments", "student-1", None, "not saved (not_found)")]


def test_items_sent_without_a_result_count_as_failed():
    counted = tally("people", [make_result()], sent=3)

    assert counted.counts.created == 1 and counted.counts.failed == 2
    assert counted.refusals[0].reason == "2 item(s) got no result from the service"


def test_labels_name_refused_items_by_their_source_id():
    counted = tally("accounts", [make_result(key="p-7", outcome="failed", id=None)], sent=1,
                    labels={"p-7": "guardian-1"})

    assert counted.refusals[0].label == "guardian-1"


def test_refusal_becomes_an_error_row_with_the_csv_file_and_column():
    row = Refusal("people", "student-1", "given_name", "required").as_problem()

    assert row == {"file": "users.csv", "line": None, "column": "givenName", "value": "student-1",
                   "reason": "required", "source_id": "student-1"}


def test_refusal_of_a_field_with_no_csv_column_keeps_the_field_name():
    assert Refusal("people", "student-1", "kinds", "bad").as_problem()["column"] == "kinds"


def test_reader_problems_and_unmapped_rows_become_error_rows():
    assert problem_row(make_problem()) == {"file": "users.csv", "line": 3, "column": "email", "value": "ada@",
                                           "reason": "invalid email address"}
    assert unmapped_row(Unmapped("enrollments.csv", "enr-1", "role", "parent", "no class role")) == {
        "file": "enrollments.csv", "line": None, "column": "role", "value": "parent", "reason": "no class role",
        "source_id": "enr-1"}


def test_completed_run_with_errors_says_how_many():
    run = make_run(errors=[problem_row(make_problem())])
    run.record("schools", tally("schools", [make_result(outcome="failed", id=None)], sent=1))

    run.complete(FINISHED)

    assert run.state == "completed" and run.finished_at == FINISHED
    assert run.message == "2 row error(s); 1 item(s) not saved"


def test_completed_run_whose_errors_cost_no_item_only_counts_the_errors():
    run = make_run(errors=[problem_row(make_problem())])

    run.complete(FINISHED)

    assert run.message == "1 row error(s)"


def test_clean_completed_run_has_no_message():
    run = make_run()

    run.complete(FINISHED)

    assert run.message is None


def test_a_finished_run_cannot_finish_again():
    run = make_run()
    run.reject("users.csv is missing", FINISHED)

    with pytest.raises(ValueError):
        run.complete(FINISHED)


def test_payload_lists_counts_per_entity_and_the_completion_event_counts_errors():
    run = make_run(district_id="d-1", errors=[problem_row(make_problem())])
    run.record("people", tally("people", [make_result()], sent=1))
    run.complete(FINISHED)

    payload = run.as_payload()

    assert payload["counts"] == {"people": {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}}
    assert (payload["state"], payload["started_at"], payload["finished_at"]) == ("completed", STARTED, FINISHED)
    assert run.completion_event() == {"run_id": "run-1", "state": "completed", "district_id": "d-1",
                                      "error_count": 1}

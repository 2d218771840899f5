"""What applying a page of synced rows reports, item by item."""
from __future__ import annotations

import itertools

from services.directory.domain.upserts import (
    CREATED,
    FAILED,
    UNCHANGED,
    UPDATED,
    Desired,
    Problem,
    Stored,
    plan_upserts,
    unknown_reference,
)


def sequential_ids():
    counter = itertools.count(1)
    return lambda: f"new-{next(counter)}"


def make_desired(key="s-1", **values) -> Desired:
    return Desired(key, {"name": "North Elementary", "identifier": None, **values})


def outcomes(plan):
    return [(item.key, item.id, item.outcome) for item in plan.outcomes]


def test_an_item_never_seen_before_is_created_with_a_new_id():
    plan = plan_upserts([make_desired()], {}, new_id=sequential_ids())
    assert outcomes(plan) == [("s-1", "new-1", CREATED)]
    assert [(row.id, row.key, dict(row.values)) for row in plan.creates] == [
        ("new-1", "s-1", {"name": "North Elementary", "identifier": None})]


def test_an_item_equal_to_its_stored_row_is_unchanged_and_written_nowhere():
    stored = {"s-1": Stored("id-1", {"name": "North Elementary", "identifier": None})}
    plan = plan_upserts([make_desired()], stored, new_id=sequential_ids())
    assert outcomes(plan) == [("s-1", "id-1", UNCHANGED)]
    assert plan.changed == ()


def test_an_item_that_differs_is_updated_keeping_stored_columns_it_does_not_carry():
    stored = {"s-1": Stored("id-1", {"name": "North", "identifier": None, "student_account_enabled": True})}
    plan = plan_upserts([make_desired()], stored, new_id=sequential_ids())
    assert outcomes(plan) == [("s-1", "id-1", UPDATED)]
    assert dict(plan.updates[0].values) == {"name": "North Elementary", "identifier": None,
                                            "student_account_enabled": True}


def test_columns_the_sync_does_not_own_never_make_a_row_updated():
    stored = {"s-1": Stored("id-1", {"name": "North Elementary", "identifier": None, "joined": True})}
    plan = plan_upserts([make_desired()], stored, new_id=sequential_ids())
    assert outcomes(plan) == [("s-1", "id-1", UNCHANGED)]


def test_an_item_with_problems_fails_without_stopping_the_others():
    problem = unknown_reference("school_source_id", "school", "nowhere")
    plan = plan_upserts([Desired("bad", {}, (problem,)), make_desired("good")], {}, new_id=sequential_ids())
    assert outcomes(plan) == [("bad", None, FAILED), ("good", "new-1", CREATED)]
    assert plan.outcomes[0].problems == (
        Problem("school_source_id", "no school with source id 'nowhere' in this district"),)


def test_a_key_repeated_in_one_page_is_applied_once_and_the_repeat_fails():
    plan = plan_upserts([make_desired(), make_desired(name="Other")], {}, new_id=sequential_ids())
    assert outcomes(plan) == [("s-1", "new-1", CREATED), ("s-1", "new-1", FAILED)]
    assert [row.values["name"] for row in plan.creates] == ["North Elementary"]
    assert plan.outcomes[1].problems[0].field == "source_id"


def test_results_follow_the_page_order_and_match_the_bulk_result_shape():
    stored = {"b": Stored("id-b", {"name": "North Elementary", "identifier": None})}
    plan = plan_upserts([make_desired("a"), make_desired("b")], stored, new_id=sequential_ids())
    assert plan.results() == {"results": [
        {"key": "a", "id": "new-1", "outcome": CREATED, "problems": []},
        {"key": "b", "id": "id-b", "outcome": UNCHANGED, "problems": []},
    ]}

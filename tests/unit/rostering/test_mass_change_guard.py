"""The mass-change guard holds a run that would archive more than the district's share, and shows why."""
from __future__ import annotations

from services.rostering.domain.archive_plan import ArchiveRow
from services.rostering.domain.guard import CheckedRow, diff_summary, judge

COUNTS = {"people": 100, "enrollments": 400}


def checked(entity: str, n: int, outcome: str = "done", kinds=("student",), school="north") -> list[CheckedRow]:
    return [CheckedRow(ArchiveRow(entity, f"{entity}-{outcome}-{i}", "users.csv", None, "gone"), outcome,
                       f"Person {i}", kinds, (school,)) for i in range(n)]


def test_archiving_up_to_the_threshold_goes_ahead():
    verdict = judge(checked("people", 10) + checked("enrollments", 40, kinds=()), COUNTS, 0.10)
    assert not verdict.hold and verdict.message is None


def test_more_than_the_threshold_of_people_or_of_enrollments_is_held_with_a_readable_reason():
    people = judge(checked("people", 11), COUNTS, 0.10)
    assert people.hold and "11 of 100 current people (11.0%)" in people.message
    enrollments = judge(checked("enrollments", 41, kinds=()), COUNTS, 0.10)
    assert enrollments.hold and "41 of 400 current enrollments" in enrollments.message


def test_only_what_would_really_be_archived_counts():
    rows = checked("people", 5) + checked("people", 50, outcome="already") + checked("people", 50, "not_found")
    assert not judge(rows, COUNTS, 0.10).hold


def test_an_empty_district_is_never_held():
    assert not judge(checked("people", 3), {"people": 0, "enrollments": 0}, 0.10).hold


def test_the_diff_counts_each_kind_per_school_by_name():
    rows = (checked("people", 2) + checked("people", 1, kinds=("staff", "guardian"), school="south")
            + checked("enrollments", 3, kinds=()) + checked("people", 4, outcome="already"))
    verdict = judge(rows, COUNTS, 0.10)
    summary = diff_summary(rows, COUNTS, verdict, {"north": "North Elementary", "south": "South High"})

    assert summary["archiving"] == {"people": 3, "classrooms": 0, "enrollments": 3, "guardian_links": 0}
    assert summary["by_school"] == [
        {"school_id": "north", "school_name": "North Elementary", "counts": {"student": 2, "enrollments": 3}},
        {"school_id": "south", "school_name": "South High", "counts": {"staff": 1, "guardian": 1}},
    ]

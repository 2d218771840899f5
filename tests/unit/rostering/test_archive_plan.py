"""What a run archives: what a full file no longer lists, and tombstones, each with file, line and reason."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rostering_builders import make_snapshot

from services.rostering.domain.archive_plan import (
    ArchiveRow,
    digest,
    link_key,
    plan_archives,
    split_link_keys,
)
from services.rostering.domain.snapshot import BULK, DELTA, PackageFile, Tombstone

REMEMBERED = {
    "people": {"student-1", "teacher-1", "guardian-1", "student-2", "guardian-2"},
    "classrooms": {"class-1", "class-2"},
    "enrollments": {"enr-1", "enr-2", "enr-3"},
    "guardian_links": {"guardian-1:student-1", "guardian-2:student-2"},
}


def files(mode: str) -> tuple[PackageFile, ...]:
    return tuple(PackageFile(name, mode, 10) for name in ("classes.csv", "users.csv", "enrollments.csv"))


def keys(rows) -> set[tuple[str, str]]:
    return {(row.entity, row.key) for row in rows}


def test_what_a_full_file_no_longer_lists_is_archived_with_the_reason():
    rows = plan_archives(make_snapshot(files=files(BULK)), REMEMBERED)

    assert keys(rows) == {("people", "student-2"), ("people", "guardian-2"), ("classrooms", "class-2"),
                          ("enrollments", "enr-3"), ("guardian_links", "guardian-2:student-2")}
    assert ArchiveRow("people", "student-2", "users.csv", None, "no longer in the full users.csv") in rows
    # People first: their enrollments and links then change no current audience.
    assert [row.entity for row in rows] == ["people", "people", "classrooms", "enrollments", "guardian_links"]


def test_a_delta_archives_only_its_tombstones_and_names_their_lines():
    tombstones = (Tombstone("users.csv", 7, "student-2", "tobedeleted", None),
                  Tombstone("enrollments.csv", 3, "enr-3", "tobedeleted", None),
                  Tombstone("orgs.csv", 2, "school-9", "tobedeleted", None))
    rows = plan_archives(make_snapshot(files=files(DELTA), tombstones=tombstones), REMEMBERED)

    assert rows == [ArchiveRow("people", "student-2", "users.csv", 7, "marked tobedeleted in users.csv"),
                    ArchiveRow("enrollments", "enr-3", "enrollments.csv", 3, "marked tobedeleted in enrollments.csv")]


def test_a_tombstone_for_a_record_the_same_run_lists_archives_nothing():
    tombstones = (Tombstone("users.csv", 9, "student-1", "tobedeleted", None),)
    assert plan_archives(make_snapshot(files=files(DELTA), tombstones=tombstones), REMEMBERED) == []


def test_a_file_not_read_as_a_whole_archives_nothing_it_does_not_list():
    unread = tuple(PackageFile(name, BULK, 0, read=False) for name in ("classes.csv", "users.csv",
                                                                        "enrollments.csv"))
    assert plan_archives(make_snapshot(files=unread), REMEMBERED) == []


def test_link_keys_split_where_both_halves_are_people_even_when_ids_hold_the_separator():
    people = frozenset({"g:1", "s:1", "g", "s"})
    assert split_link_keys([link_key("g:1", "s:1"), link_key("g", "s"), "x:y"], people) == {
        "g:1:s:1": ("g:1", "s:1"), "g:s": ("g", "s")}


@given(st.lists(st.tuples(st.sampled_from(["people", "enrollments"]), st.text(min_size=1, max_size=5)),
                max_size=20))
def test_the_digest_names_the_set_of_archives_whatever_their_order(pairs):
    rows = [ArchiveRow(entity, key, "users.csv", None, "gone") for entity, key in pairs]
    assert digest(rows) == digest(list(reversed(rows)))
    assert digest(rows) == digest(rows + rows[:1])

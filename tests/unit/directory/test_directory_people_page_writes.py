"""What a page of synced people writes besides their rows: school links and reach rows only where they change."""
from __future__ import annotations

import pytest

from services.directory.adapters import reach_sql
from services.directory.adapters.repository import PERSON_FIELDS
from services.directory.domain.people_pages import REACHED_FLAGS, REACHED_NAMES, page_writes
from services.directory.domain.upserts import Desired, Stored, plan_upserts

STORED = {"given_name": "Ana", "family_name": "Lopez", "middle_name": None, "is_student": True, "is_staff": False,
          "is_guardian": False, "grade": "04", "job_title": None, "identifier": "1001", "archived": False,
          "managed_by_sync": True, "student_account_enabled": True, "joined": False, "invited": False,
          "school_ids": ("sch-north",)}


def writes_for(**changed):
    stored = {"ana": Stored("id-ana", STORED)}
    plan = plan_upserts([Desired("ana", {**STORED, **changed})], stored, new_id=lambda: "id-new")
    return page_writes(plan, stored)


def written(writes):
    return writes.school_links, writes.reach, writes.renamed, writes.through_students


NOTHING = frozenset()


def test_a_new_person_has_school_links_and_reach_rows_written_and_no_guardians_yet():
    plan = plan_upserts([Desired("new", STORED)], {}, new_id=lambda: "id-new")
    assert written(page_writes(plan, {})) == ({"id-new"}, {"id-new"}, NOTHING, NOTHING)


def test_an_unchanged_person_writes_nothing():
    assert written(writes_for()) == (NOTHING, NOTHING, NOTHING, NOTHING)


@pytest.mark.parametrize("changed", [{"given_name": "Anae"}, {"family_name": "Lopes"}])
def test_a_changed_name_renames_the_persons_reach_rows_alone(changed):
    assert written(writes_for(**changed)) == (NOTHING, NOTHING, {"id-ana"}, NOTHING)


@pytest.mark.parametrize("changed", [{"is_staff": True}, {"is_guardian": True}, {"is_student": False},
                                     {"is_guardian": True, "given_name": "Anae"}])
def test_a_changed_kind_derives_the_persons_reach_rows_afresh(changed):
    assert written(writes_for(**changed)) == (NOTHING, {"id-ana"}, NOTHING, NOTHING)


@pytest.mark.parametrize("changed", [{"given_name": "ANA"}, {"middle_name": "Maria"}, {"grade": "05"},
                                     {"job_title": "aide"}, {"identifier": "9"}, {"managed_by_sync": False}])
def test_a_change_the_reach_rows_do_not_copy_writes_the_row_alone(changed):
    assert written(writes_for(**changed)) == (NOTHING, NOTHING, NOTHING, NOTHING)


def test_new_schools_rewrite_the_links_and_the_reach_rows_of_the_person_and_their_guardians():
    assert written(writes_for(school_ids=("sch-north", "sch-south"), given_name="Anae")) == (
        {"id-ana"}, {"id-ana"}, NOTHING, {"id-ana"})


def test_archiving_rewrites_the_reach_rows_of_the_person_and_their_guardians_but_not_the_links():
    assert written(writes_for(archived=True)) == (NOTHING, {"id-ana"}, NOTHING, {"id-ana"})


def test_every_column_a_reach_row_copies_of_what_a_sync_writes_is_compared():
    written = set(PERSON_FIELDS) | {"given_name_key", "family_name_key"}
    compared = set(REACHED_FLAGS) | {f"{name}_key" for name in REACHED_NAMES}
    assert set(reach_sql.PERSON_COLUMNS) & written == compared

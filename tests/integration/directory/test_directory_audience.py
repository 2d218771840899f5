"""Resolving who an announcement reaches: the district, a school, a classroom or a selection, within the sender's scope."""
from __future__ import annotations

import pytest

from shared.contracts.errors import InvalidRequest, NotFound, PermissionDenied

pytestmark = pytest.mark.postgres


def resolve(rpc, district, viewer: str, /, *, limit: int = 5000, after: str | None = None, **audience) -> dict:
    if "person_ids" in audience:
        audience["person_ids"] = [district.ids.get(p, p) for p in audience["person_ids"]]
    for target in ("school_id", "classroom_id"):
        if target in audience:
            audience[target] = district.ids.get(audience[target], audience[target])
    return rpc.resolve_audience({"viewer": district.viewer(viewer), "audience": audience, "limit": limit,
                                 "after": after})


def members(district, page: dict) -> set[str]:
    return {district.source_of(person_id) for person_id in page["person_ids"]}


def test_a_school_audience_is_its_students_and_their_guardians(directory_rpc, district):
    page = resolve(directory_rpc, district, "north_admin", school_id="sch-north")

    assert members(district, page) == {"ana", "ben", "eve", "gina", "gus", "dana"}
    assert page["next_after"] is None and page["refused"] == []


def test_a_school_audience_can_include_its_staff_and_leave_out_students(directory_rpc, district):
    page = resolve(directory_rpc, district, "north_admin", school_id="sch-north", include_staff=True,
                   include_students=False)

    assert members(district, page) == {"gina", "gus", "dana", "tess", "pat"}


def test_a_classroom_audience_is_its_students_and_their_guardians(directory_rpc, district):
    page = resolve(directory_rpc, district, "tess", classroom_id="cls-math")

    assert members(district, page) == {"ana", "gina"}


def test_a_teacher_cannot_reach_a_classroom_they_do_not_teach(directory_rpc, district):
    with pytest.raises(NotFound) as refused:
        resolve(directory_rpc, district, "tess", classroom_id="cls-art")

    assert "audience.classroom_id" in refused.value.fields


def test_a_school_of_another_admin_reads_as_not_found(directory_rpc, district):
    with pytest.raises(NotFound):
        resolve(directory_rpc, district, "north_admin", school_id="sch-south")


def test_a_school_audience_never_reaches_beyond_the_senders_scope(directory_rpc, district):
    page = resolve(directory_rpc, district, "tess", school_id="sch-north")

    assert members(district, page) == {"ana", "gina"}


def test_selected_students_bring_their_guardians(directory_rpc, district):
    page = resolve(directory_rpc, district, "district_admin", person_ids=["ana", "cal", "ben"])

    assert members(district, page) == {"ana", "cal", "ben", "gina", "gus", "dana"}


def test_selected_families_only_leave_the_students_out(directory_rpc, district):
    page = resolve(directory_rpc, district, "district_admin", person_ids=["ben", "sam"], include_students=False)

    assert members(district, page) == {"gus", "dana", "sam"}


def test_selected_people_outside_the_scope_are_refused_as_not_found(directory_rpc, district):
    page = resolve(directory_rpc, district, "tess", person_ids=["ana", "ben", "nobody"])

    assert members(district, page) == {"ana", "gina"}
    assert {r["key"]: r["outcome"] for r in page["refused"]} == {district.ids["ben"]: "not_found",
                                                                  "nobody": "not_found"}


def test_large_audiences_come_in_pages_that_resume_after_the_last_id(directory_rpc, district):
    seen, after = [], None
    while True:
        page = resolve(directory_rpc, district, "district_admin", school_id="sch-north", limit=4, after=after)
        seen += page["person_ids"]
        if page["next_after"] is None:
            break
        after = page["next_after"]

    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert {district.source_of(person_id) for person_id in seen} == {"ana", "ben", "eve", "gina", "gus", "dana"}


def test_an_audience_names_exactly_one_target(directory_rpc, district):
    with pytest.raises(InvalidRequest):
        resolve(directory_rpc, district, "district_admin", school_id="sch-north", classroom_id="cls-math")


def test_a_district_audience_is_every_student_and_guardian_of_the_district(directory_rpc, district):
    page = resolve(directory_rpc, district, "district_admin", district=True)

    assert members(district, page) == {"ana", "ben", "eve", "cal", "dot", "gina", "gus", "dana"}
    assert page["refused"] == []


def test_a_district_audience_can_include_staff_and_leave_out_students(directory_rpc, district):
    page = resolve(directory_rpc, district, "district_admin", district=True, include_staff=True,
                   include_students=False)

    assert members(district, page) == {"gina", "gus", "dana", "tess", "pat", "sam"}


def test_a_district_audience_comes_in_keyset_pages(directory_rpc, district):
    seen, after = [], None
    while True:
        page = resolve(directory_rpc, district, "district_admin", district=True, limit=3, after=after)
        seen += page["person_ids"]
        after = page["next_after"]
        if after is None:
            break

    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8


@pytest.mark.parametrize("viewer", ["north_admin", "tess", "tess_family_access", "gina"])
def test_only_a_district_administrator_may_address_the_whole_district(directory_rpc, district, viewer):
    with pytest.raises(PermissionDenied) as refused:
        resolve(directory_rpc, district, viewer, district=True)

    assert "audience.district" in refused.value.fields


def test_the_district_and_a_school_together_are_refused(directory_rpc, district):
    with pytest.raises(InvalidRequest):
        resolve(directory_rpc, district, "district_admin", district=True, school_id="sch-north")


def test_staff_can_be_included_only_in_a_district_or_school_audience(directory_rpc, district):
    with pytest.raises(InvalidRequest):
        resolve(directory_rpc, district, "tess", classroom_id="cls-math", include_staff=True)

"""Whom a family may start a conversation with: the teachers of a guardian's students, or of a student."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres


def teachers(rpc, district, viewer: dict) -> list[str]:
    return [district.source_of(t["person_id"]) for t in rpc.list_teachers_of({"viewer": viewer})["teachers"]]


def test_a_guardian_and_a_student_see_the_teachers_of_the_student_s_classes(directory_rpc, district):
    [tess] = directory_rpc.list_teachers_of({"viewer": district.viewer("gina")})["teachers"]

    assert (district.source_of(tess["person_id"]), tess["given_name"], tess["family_name"]) == ("tess", "Tess", "Ito")
    assert tess["classroom_ids"] == [district.ids["cls-math"]]
    assert teachers(directory_rpc, district, district.viewer("ana")) == ["tess"]


def test_a_guardian_whose_students_have_no_teacher_and_staff_see_none(directory_rpc, district):
    gus = district.principal("gus", district.role("guardian"))

    assert teachers(directory_rpc, district, gus) == []  # Ben's Art class has no teacher enrolled
    assert teachers(directory_rpc, district, district.viewer("tess")) == []

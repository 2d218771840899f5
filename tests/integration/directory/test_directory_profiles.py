"""Student and person profiles, showing only what the viewer may see."""
from __future__ import annotations

import pytest

from shared.contracts.errors import NotFound

pytestmark = pytest.mark.postgres


def student_profile(rpc, district, viewer: str, student: str) -> dict:
    return rpc.get_student_profile({"viewer": district.viewer(viewer), "person_id": district.ids[student]})


def person_profile(rpc, district, viewer: str, person: str) -> dict:
    return rpc.get_person_profile({"viewer": district.viewer(viewer), "person_id": district.ids[person]})


def test_a_district_admin_sees_the_whole_student_profile(directory_rpc, district):
    profile = student_profile(directory_rpc, district, "district_admin", "ana")
    assert profile == {
        "id": district.ids["ana"], "given_name": "Ana", "family_name": "Lopez", "grade": "03",
        "identifier": "1001",
        "schools": [{"id": district.ids["sch-north"], "name": "North Elementary"}],
        "classrooms": [{"id": district.ids["cls-math"], "title": "Math 3", "school_id": district.ids["sch-north"],
                        "class_code": "M3"}],
        "guardians": [{"id": district.ids["gina"], "given_name": "Gina", "family_name": "Lopez"}],
        "student_account_status": "not_enabled", "archived": False,
    }


def test_a_student_profile_lists_every_guardian(directory_rpc, district):
    profile = student_profile(directory_rpc, district, "north_admin", "ben")
    assert [g["given_name"] for g in profile["guardians"]] == ["Dana", "Gus"]


def test_a_teacher_sees_only_the_classrooms_they_teach_on_a_student_profile(directory_rpc, district):
    # Ana also takes Art, which Tess does not teach.
    directory_rpc.upsert_enrollments({"district_id": district.id, "enrollments": [
        {"source_id": "enr-ana-art", "classroom_source_id": "cls-art", "person_source_id": "ana", "role": "student"}]})
    titles = lambda viewer: [room["title"] for room in  # noqa: E731
                             student_profile(directory_rpc, district, viewer, "ana")["classrooms"]]
    assert titles("tess") == ["Math 3"]
    assert titles("tess_family_access") == ["Art 4", "Math 3"]
    assert titles("north_admin") == ["Art 4", "Math 3"]
    assert titles("gina") == ["Art 4", "Math 3"]
    assert titles("ana") == ["Art 4", "Math 3"]


def test_a_guardian_sees_each_linked_student_with_that_students_school(directory_rpc, district):
    cal = student_profile(directory_rpc, district, "gina", "cal")
    assert [school["name"] for school in cal["schools"]] == ["South High"]
    assert [room["title"] for room in cal["classrooms"]] == ["Biology"]


@pytest.mark.parametrize("viewer,student", [
    ("tess", "ben"), ("tess", "cal"), ("north_admin", "cal"), ("gina", "ben"), ("ana", "ben"), ("ana", "cal"),
])
def test_a_student_outside_the_viewers_scope_is_not_found(directory_rpc, district, viewer, student):
    with pytest.raises(NotFound):
        student_profile(directory_rpc, district, viewer, student)


def test_a_missing_person_and_a_hidden_person_are_refused_alike(directory_rpc, district):
    viewer = district.viewer("tess")
    with pytest.raises(NotFound) as hidden:
        directory_rpc.get_person_profile({"viewer": viewer, "person_id": district.ids["sam"]})
    with pytest.raises(NotFound) as missing:
        directory_rpc.get_person_profile({"viewer": viewer, "person_id": "0" * 32})
    assert (hidden.value.message, hidden.value.fields) == (missing.value.message, missing.value.fields)


def test_a_staff_member_is_not_found_as_a_student(directory_rpc, district):
    with pytest.raises(NotFound):
        student_profile(directory_rpc, district, "district_admin", "tess")


def test_a_person_profile_shows_kinds_title_schools_and_sync_ownership(directory_rpc, district):
    profile = person_profile(directory_rpc, district, "district_admin", "dana")
    assert profile == {
        "id": district.ids["dana"], "given_name": "Dana", "family_name": "Okafor", "kinds": ["staff", "guardian"],
        "job_title": "Librarian", "schools": [{"id": district.ids["sch-south"], "name": "South High"}],
        "linked_students": [{"id": district.ids["ben"], "given_name": "Ben", "family_name": "Okafor"}],
        "archived": False, "managed_by_sync": True,
    }


def test_a_guardian_profile_lists_only_the_children_the_viewer_may_see(directory_rpc, district):
    linked = lambda viewer: [s["given_name"] for s in  # noqa: E731
                             person_profile(directory_rpc, district, viewer, "gina")["linked_students"]]
    assert linked("district_admin") == ["Ana", "Cal"]
    assert linked("gina") == ["Ana", "Cal"]
    assert linked("tess") == ["Ana"]
    assert linked("north_admin") == ["Ana"]


def test_a_teacher_opens_the_profile_of_a_colleague_at_their_school(directory_rpc, district):
    profile = person_profile(directory_rpc, district, "tess", "pat")
    assert profile["job_title"] == "Principal"
    assert [school["name"] for school in profile["schools"]] == ["North Elementary"]

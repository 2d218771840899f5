from directory_factories import make_person

from services.directory.domain import audience
from services.directory.domain import visibility as v

SCHOOL = {"school_id": "s1", "classroom_id": None, "person_ids": None,
          "include_students": True, "include_guardians": True, "include_staff": False}


def test_school_audience_asks_for_students_and_their_guardians_by_default():
    assert audience.target_grants(SCHOOL) == (v.StudentsOfSchools(frozenset({"s1"})),
                                              v.GuardiansOfStudentsInSchools(frozenset({"s1"})))


def test_school_audience_with_staff_and_without_students():
    grants = audience.target_grants({**SCHOOL, "include_students": False, "include_staff": True})

    assert grants == (v.GuardiansOfStudentsInSchools(frozenset({"s1"})), v.StaffOfSchools(frozenset({"s1"})))


def test_classroom_audience_asks_for_its_students_and_their_guardians():
    grants = audience.target_grants({**SCHOOL, "school_id": None, "classroom_id": "c1"})

    assert grants == (v.StudentsOfClassrooms(frozenset({"c1"})), v.GuardiansOfStudentsInClassrooms(frozenset({"c1"})))


def test_a_selected_student_brings_guardians_and_a_selected_guardian_comes_alone():
    student = make_person(id="st", kinds=frozenset({"student"}))
    parent = make_person(id="pa", kinds=frozenset({"guardian"}))

    members = audience.selection_members({**SCHOOL, "include_students": False}, [student, parent],
                                         {"st": {"g1", "g2"}})

    assert members == frozenset({"g1", "g2", "pa"})

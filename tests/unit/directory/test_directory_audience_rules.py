from directory_factories import make_person, make_principal, make_viewer_facts, role

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


def test_district_audience_asks_for_every_student_and_guardian_of_the_senders_district():
    grants = audience.target_grants({**SCHOOL, "school_id": None, "district": True}, "d1")

    assert grants == (v.KindOfDistrict("d1", "student"), v.KindOfDistrict("d1", "guardian"))


def test_district_audience_with_staff_and_without_students():
    grants = audience.target_grants({**SCHOOL, "school_id": None, "district": True, "include_students": False,
                                     "include_staff": True}, "d1")

    assert grants == (v.KindOfDistrict("d1", "guardian"), v.KindOfDistrict("d1", "staff"))


def test_a_kind_of_the_district_admits_people_of_that_district_holding_it():
    grant = v.KindOfDistrict("d1", "guardian")

    assert v.admits(grant, make_person(kinds={"staff", "guardian"}))
    assert not v.admits(grant, make_person(kinds={"student"}))
    assert not v.admits(grant, make_person(district_id="d2", kinds={"guardian"}))


def test_only_a_scope_over_the_whole_district_may_address_it():
    admin = v.scope_for(make_principal(roles=[role("district_admin")]), make_viewer_facts())
    principal = v.scope_for(make_principal(roles=[role("school_admin", "s1")]), make_viewer_facts())

    assert audience.may_address_whole_district(admin, "d1")
    assert not audience.may_address_whole_district(admin, "d2")
    assert not audience.may_address_whole_district(admin, None)
    assert not audience.may_address_whole_district(principal, "d1")

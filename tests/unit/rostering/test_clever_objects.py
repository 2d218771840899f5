"""Clever's v3.0 objects laid out as OneRoster 1.2 objects: roles, contacts, sections, and events as deltas."""
from services.rostering.adapters.sources.clever.oneroster_objects import (
    changes_of,
    person,
    school_org,
    section_class,
    section_enrollments,
)
from shared.testing.clever_objects import (
    DISTRICT,
    contact_role,
    school,
    section,
    student_role,
    teacher_role,
    user,
)


def roles_of(converted):
    return [(role["role"], role["org"], role["roleType"]) for role in converted["roles"]]


def event(kind, item, **previous):
    return {"id": f"evt-{kind}", "type": kind,
            "data": {"object": item, **({"previous_attributes": previous} if previous else {})}}


def test_a_student_is_a_student_at_each_of_their_schools_with_a_oneroster_grade():
    converted = person(user("s1", "Ben", student=student_role("school-1", "school-2", grade="Kindergarten")))
    assert roles_of(converted) == [("student", "school-1", "primary"), ("student", "school-2", "secondary")]
    assert converted["grades"] == ["KG"] and converted["identifier"] == "S-100"
    assert converted["username"] == "stud100" and converted["givenName"] == "Ben"


def test_a_teacher_who_is_also_a_district_admin_is_one_person_with_both_roles():
    converted = person(user("t1", "Ada", teacher=teacher_role("school-1"), district_admin={"title": "Director"}))
    assert roles_of(converted) == [("teacher", "school-1", "primary"), ("districtAdministrator", DISTRICT, "secondary")]
    assert converted["orgs"] == ["school-1", DISTRICT]


def test_staff_without_schools_are_staff_of_the_district():
    assert roles_of(person(user("x1", "Eve", staff={"title": "Nurse", "schools": []}))) == [
        ("staff", DISTRICT, "primary")]


def test_a_contact_is_a_guardian_of_the_students_it_is_related_to_except_as_an_emergency_contact():
    contact = contact_role(("s1", "Mother", "Parent/Guardian"), ("s2", "Aunt", "Emergency"))
    converted = person(user("c1", "Cleo", contact=contact))
    assert roles_of(converted) == [("parent", DISTRICT, "primary")]
    assert converted["agents"] == ["s1"]
    assert converted["sms"] == "+1 415 555 0101" and converted["phone"] is None


def test_a_contact_named_guardian_or_other_kin_and_a_home_phone_that_is_never_messaged():
    guardian = person(user("c2", "Dee", contact=contact_role(("s1", "Guardian", "Parent/Guardian"),
                                                             phone_type="Home")))
    grandparent = person(user("c3", "Gus", contact=contact_role(("s1", "Grandparent", "Family"))))
    assert roles_of(guardian)[0][0] == "guardian" and guardian["phone"] == "+1 415 555 0101" and not guardian["sms"]
    assert roles_of(grandparent)[0][0] == "relative" and grandparent["agents"] == ["s1"]


def test_a_school_belongs_to_its_district_and_a_section_names_its_term_and_enrollments():
    assert school_org(school("school-1", "Jefferson"))["parent"] == DISTRICT
    converted = section("sec-1", "school-1", teachers=("t1", "t2"), students=("s1",))
    assert section_class(converted)["terms"] == ["term-1"] and section_class(converted)["grades"] == ["05"]
    assert [(e["sourcedId"], e["role"], e["primary"]) for e in section_enrollments(converted)] == [
        ("sec-1/teacher/t1", "teacher", True), ("sec-1/teacher/t2", "teacher", False),
        ("sec-1/student/s1", "student", False)]


def test_events_become_deltas_in_which_the_last_event_for_an_object_wins():
    ben = user("s1", "Ben", student=student_role("school-1"))
    changes = changes_of([event("users.created", ben), event("users.updated", {**ben, "email": "ben@x.org"}),
                          event("users.deleted", user("s2", "Old", student=student_role("school-1")))])
    assert [(u["sourcedId"], u["status"], u["email"]) for u in changes["users"]] == [
        ("s1", "active", "ben@x.org"), ("s2", "tobedeleted", "s2@example.org")]


def test_a_student_dropped_from_a_section_is_a_tombstone_for_that_enrollment_only():
    now = section("sec-1", "school-1", teachers=("t1",), students=("s2",))
    changes = changes_of([event("sections.updated", now, students=["s1", "s2"])])
    assert {(e["sourcedId"], e["status"]) for e in changes["enrollments"]} == {
        ("sec-1/teacher/t1", "active"), ("sec-1/student/s2", "active"), ("sec-1/student/s1", "tobedeleted")}


def test_a_deleted_section_takes_its_enrollments_with_it_and_other_events_are_not_read():
    gone = section("sec-1", "school-1", teachers=("t1",), students=("s1",))
    changes = changes_of([event("sections.deleted", gone), event("schools.updated", school("school-1", "J")),
                          {"type": "users.created"}, "not an event"])
    assert [c["status"] for c in changes["classes"]] == ["tobedeleted"] and changes["users"] == []
    assert {e["status"] for e in changes["enrollments"]} == {"tobedeleted"}

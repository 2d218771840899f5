"""OneRoster 1.1: a staff row and a parent row of one person are read as one person, named by the first row."""
from oneroster_builders import (
    located,
    make_enrollment_row,
    make_guardian_row,
    make_role_row,
    make_teacher_row,
    make_user_row,
    make_user_row_1_2,
    people_by_id,
    write_package,
)

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.snapshot import GUARDIAN, STAFF, GuardianLink


def teacher_and_parent_rows(**parent_overrides: str) -> list[dict[str, str]]:
    return [make_teacher_row(email="grace@lincoln.k12.us", sms=""), make_user_row(),
            make_guardian_row(sourcedId="parent-7", givenName="Grace", familyName="Hopper",
                              email="GRACE@lincoln.k12.us", sms="(617) 253-1000", **parent_overrides)]


def test_a_teacher_row_and_a_parent_row_sharing_an_email_are_one_person_with_both_roles(tmp_path):
    write_package(tmp_path, users=teacher_and_parent_rows())

    snapshot = read_package(tmp_path)

    people = people_by_id(snapshot)
    assert set(people) == {"teacher-1", "student-1"}
    teacher = people["teacher-1"]
    assert (teacher.kinds, teacher.roles, teacher.job_title) == ({STAFF, GUARDIAN}, ("teacher", "parent"), "Teacher")
    assert teacher.mobile_phone == "+16172531000" and teacher.line == 2
    assert snapshot.aliases == (("parent-7", "teacher-1"),)
    assert snapshot.counts()["staff"] == snapshot.counts()["guardians"] == 1


def test_the_merge_is_a_warning_on_the_later_row_naming_both_sourced_ids(tmp_path):
    write_package(tmp_path, users=teacher_and_parent_rows())

    snapshot = read_package(tmp_path)

    assert located(snapshot.warnings) == [("users.csv", 4, "email", "grace@lincoln.k12.us")]
    assert snapshot.warnings[0].reason == ("parent-7 (parent) has the email address of teacher-1 (teacher, line 2): "
                                           "read as one person, teacher-1, holding both roles")
    assert snapshot.problems == ()


def test_references_to_the_later_row_name_the_surviving_person(tmp_path):
    users = [make_teacher_row(email="grace@lincoln.k12.us"), make_user_row(agentSourcedIds="parent-7"),
             make_user_row(sourcedId="student-2", givenName="Alan"),
             make_guardian_row(sourcedId="parent-7", email="grace@lincoln.k12.us", agentSourcedIds="student-2")]
    enrollments = [make_enrollment_row(), make_enrollment_row(sourcedId="enr-2", userSourcedId="parent-7",
                                                              role="teacher")]
    write_package(tmp_path, users=users, enrollments=enrollments)

    snapshot = read_package(tmp_path)

    assert set(snapshot.guardian_links) == {GuardianLink("teacher-1", "student-1"),
                                            GuardianLink("teacher-1", "student-2")}
    assert [e.person_source_id for e in snapshot.enrollments] == ["student-1", "teacher-1"]
    assert snapshot.problems == ()


def test_a_shared_mobile_makes_one_person_when_only_one_row_has_an_email(tmp_path):
    users = [make_guardian_row(sms="617-253-1000"), make_user_row(),
             make_teacher_row(email="grace@lincoln.k12.us", sms="(617) 253-1000")]
    write_package(tmp_path, users=users)

    snapshot = read_package(tmp_path)

    assert snapshot.aliases == (("teacher-1", "guardian-1"),)
    assert people_by_id(snapshot)["guardian-1"].email == "grace@lincoln.k12.us"
    assert located(snapshot.warnings) == [("users.csv", 4, "sms", "+16172531000")]


def test_two_parents_sharing_an_email_and_a_phone_stay_two_people(tmp_path):
    users = [make_user_row(), make_guardian_row(email="family@example.org", sms="617-253-1000"),
             make_guardian_row(sourcedId="guardian-2", email="family@example.org", sms="617-253-1000")]
    write_package(tmp_path, users=users)

    snapshot = read_package(tmp_path)

    assert len(snapshot.people) == 3 and snapshot.aliases == () and snapshot.warnings == ()


def test_a_student_carrying_a_teachers_phone_is_never_merged(tmp_path):
    write_package(tmp_path, users=[make_user_row(sms="617-253-1000"), make_teacher_row(sms="617-253-1000")])

    snapshot = read_package(tmp_path)

    assert len(snapshot.people) == 2 and snapshot.aliases == ()


def test_1_2_rows_are_not_merged_because_roles_csv_says_who_is_also_a_parent(tmp_path):
    users = [make_user_row_1_2(), make_user_row_1_2(sourcedId="teacher-1", email="grace@lincoln.k12.us"),
             make_user_row_1_2(sourcedId="parent-7", email="grace@lincoln.k12.us")]
    roles = [make_role_row(), make_role_row(sourcedId="role-2", userSourcedId="teacher-1", role="teacher"),
             make_role_row(sourcedId="role-3", userSourcedId="parent-7", role="parent")]
    write_package(tmp_path, version="1.2", users=users, roles=roles)

    snapshot = read_package(tmp_path)

    assert len(snapshot.people) == 3 and snapshot.aliases == ()

"""Guardian links from both directions, merged; links that cannot be made are row errors, never crashes."""
from oneroster_builders import (
    located,
    make_enrollment_row,
    make_guardian_row,
    make_teacher_row,
    make_user_row,
    people_by_id,
    write_package,
)

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.snapshot import GUARDIAN, STAFF, GuardianLink


def test_a_link_named_only_by_the_student_is_made(tmp_path):
    write_package(tmp_path, users=[make_user_row(agentSourcedIds="guardian-1"), make_guardian_row()])

    assert read_package(tmp_path).guardian_links == (GuardianLink("guardian-1", "student-1"),)


def test_a_link_named_only_by_the_guardian_is_made(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_guardian_row(agentSourcedIds="student-1")])

    assert read_package(tmp_path).guardian_links == (GuardianLink("guardian-1", "student-1"),)


def test_a_link_named_from_both_sides_is_one_link(tmp_path):
    users = [make_user_row(agentSourcedIds="guardian-1,guardian-1"), make_guardian_row(agentSourcedIds="student-1")]
    write_package(tmp_path, users=users)

    assert read_package(tmp_path).guardian_links == (GuardianLink("guardian-1", "student-1"),)


def test_agent_that_is_not_a_known_user_is_reported_and_only_that_link_dropped(tmp_path):
    write_package(tmp_path, users=[make_user_row(agentSourcedIds="guardian-1,ghost-9"), make_guardian_row()])

    snapshot = read_package(tmp_path)

    assert snapshot.guardian_links == (GuardianLink("guardian-1", "student-1"),)
    assert located(snapshot.problems) == [("users.csv", 2, "agentSourcedIds", "ghost-9")]
    assert snapshot.problems[0].reason == "unknown user ghost-9; link dropped"


def test_a_student_named_as_another_students_agent_is_a_row_error(tmp_path):
    write_package(tmp_path, users=[make_user_row(agentSourcedIds="student-2"), make_user_row(sourcedId="student-2")])

    snapshot = read_package(tmp_path)

    assert snapshot.guardian_links == ()
    assert snapshot.problems[0].reason == "user student-2 is a student, not a guardian; link dropped"


def test_two_guardians_naming_each_other_is_a_row_error(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_guardian_row(agentSourcedIds="guardian-2"),
                                   make_guardian_row(sourcedId="guardian-2")])

    snapshot = read_package(tmp_path)

    assert snapshot.guardian_links == ()
    assert snapshot.problems[0].reason == "neither guardian-1 nor guardian-2 is a student; link dropped"


def test_a_teacher_named_as_a_students_agent_is_a_row_error_and_the_link_dropped(tmp_path):
    write_package(tmp_path, users=[make_user_row(agentSourcedIds="guardian-1,teacher-1"), make_guardian_row(),
                                   make_teacher_row()],
                  enrollments=[make_enrollment_row(), make_enrollment_row(sourcedId="enr-2", userSourcedId="teacher-1",
                                                                          role="teacher")])

    snapshot = read_package(tmp_path)

    assert people_by_id(snapshot)["teacher-1"].kinds == {STAFF}
    assert snapshot.guardian_links == (GuardianLink("guardian-1", "student-1"),)
    assert located(snapshot.problems) == [("users.csv", 2, "agentSourcedIds", "teacher-1")]
    assert snapshot.problems[0].reason == ("user teacher-1 is staff (teacher), not a parent, guardian or relative; "
                                           "link dropped")
    assert snapshot.warnings == ()


def test_an_administrator_naming_a_student_is_a_row_error_and_the_link_dropped(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_teacher_row(sourcedId="admin-1", role="administrator",
                                                                     agentSourcedIds="student-1")],
                  enrollments=[make_enrollment_row()])

    snapshot = read_package(tmp_path)

    assert snapshot.guardian_links == ()
    assert located(snapshot.problems) == [("users.csv", 3, "agentSourcedIds", "student-1")]
    assert snapshot.problems[0].reason == ("user admin-1 is staff (administrator), not a parent, guardian or "
                                           "relative; link dropped")


def test_a_1_1_teacher_with_a_parent_row_of_the_same_email_is_linked_as_that_one_person(tmp_path):
    users = [make_teacher_row(email="grace@lincoln.k12.us", agentSourcedIds="student-1"),
             make_user_row(agentSourcedIds="teacher-1"),
             make_guardian_row(sourcedId="parent-9", givenName="Grace", email="Grace@Lincoln.K12.us")]
    write_package(tmp_path, users=users, enrollments=[make_enrollment_row()])

    snapshot = read_package(tmp_path)

    assert people_by_id(snapshot)["teacher-1"].kinds == {STAFF, GUARDIAN}
    assert snapshot.guardian_links == (GuardianLink("teacher-1", "student-1"),)
    assert snapshot.problems == ()


def test_vendor_agents_column_builds_guardian_links_too(tmp_path):
    guardian = make_guardian_row(role="relative") | {"agents": "student-1"}
    write_package(tmp_path, users=[guardian, make_user_row() | {"agents": ""}])

    assert read_package(tmp_path).guardian_links == (GuardianLink("guardian-1", "student-1"),)


def test_one_guardian_of_siblings_links_to_each_child(tmp_path):
    users = [make_user_row(), make_user_row(sourcedId="student-2", givenName="Alan"),
             make_guardian_row(agentSourcedIds="student-1,student-2")]
    write_package(tmp_path, users=users)

    assert read_package(tmp_path).guardian_links == (GuardianLink("guardian-1", "student-1"),
                                                     GuardianLink("guardian-1", "student-2"))

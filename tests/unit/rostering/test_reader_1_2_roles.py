"""OneRoster 1.2: roles per org from roles.csv (primary and secondary), profiles from userProfiles.csv."""
from datetime import date

import pytest

from oneroster_builders import (
    located,
    make_enrollment_row,
    make_org_row,
    make_profile_row,
    make_role_row,
    make_user_row_1_2,
    people_by_id,
    write_package,
)

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.snapshot import GUARDIAN, STAFF, STUDENT, GuardianLink, RoleAssignment, UserProfile

TWO_SCHOOLS = [make_org_row(), make_org_row(sourcedId="school-2", name="Roosevelt High")]


def test_a_1_2_student_gets_its_kind_and_org_from_roles_csv(tmp_path):
    write_package(tmp_path, version="1.2")

    snapshot = read_package(tmp_path)

    (person,) = snapshot.people
    assert snapshot.version == "1.2" and snapshot.problems == () and snapshot.warnings == ()
    assert (person.kinds, person.roles, person.org_source_ids) == ({STUDENT}, ("student",), ("school-1",))
    assert person.role_assignments == (RoleAssignment("student", "school-1", True, source_id="role-1"),)


@pytest.mark.parametrize("student_names, teacher_names", [("", "student-1"), ("teacher-1", "")])
def test_a_teacher_who_is_also_a_parent_is_one_person_with_both_kinds_linked_from_either_side(
        tmp_path, student_names, teacher_names):
    users = [make_user_row_1_2(agentSourcedIds=student_names),
             make_user_row_1_2(sourcedId="teacher-1", givenName="Grace", agentSourcedIds=teacher_names)]
    roles = [make_role_row(),
             make_role_row(sourcedId="role-2", userSourcedId="teacher-1", role="teacher", roleType="primary"),
             make_role_row(sourcedId="role-3", userSourcedId="teacher-1", role="parent", roleType="secondary")]
    write_package(tmp_path, version="1.2", users=users, roles=roles)

    snapshot = read_package(tmp_path)

    teacher = people_by_id(snapshot)["teacher-1"]
    assert teacher.kinds == {STAFF, GUARDIAN} and teacher.roles == ("teacher", "parent")
    assert teacher.job_title == "Teacher"
    assert snapshot.guardian_links == (GuardianLink("teacher-1", "student-1"),)
    assert snapshot.problems == () and snapshot.warnings == ()


def test_a_1_2_teacher_without_a_parent_role_named_as_an_agent_is_not_linked(tmp_path):
    users = [make_user_row_1_2(agentSourcedIds="teacher-1"), make_user_row_1_2(sourcedId="teacher-1")]
    roles = [make_role_row(), make_role_row(sourcedId="role-2", userSourcedId="teacher-1", role="teacher")]
    write_package(tmp_path, version="1.2", users=users, roles=roles)

    snapshot = read_package(tmp_path)

    assert snapshot.guardian_links == ()
    assert located(snapshot.problems) == [("users.csv", 2, "agentSourcedIds", "teacher-1")]
    assert "is staff (teacher), not a parent, guardian or relative" in snapshot.problems[0].reason


def test_primary_role_comes_first_and_names_the_job_whatever_the_file_order(tmp_path):
    users = [make_user_row_1_2(sourcedId="staff-1")]
    roles = [make_role_row(sourcedId="r-1", userSourcedId="staff-1", role="counselor", roleType="secondary",
                           orgSourcedId="school-2"),
             make_role_row(sourcedId="r-2", userSourcedId="staff-1", role="principal", roleType="primary")]
    write_package(tmp_path, version="1.2", orgs=TWO_SCHOOLS, users=users, roles=roles,
                  enrollments=[make_enrollment_row(userSourcedId="staff-1", role="teacher")])

    (person,) = read_package(tmp_path).people

    assert person.roles == ("principal", "counselor") and person.job_title == "Principal"
    assert person.org_source_ids == ("school-1", "school-2")
    assert [(a.role, a.org_source_id, a.primary) for a in person.role_assignments] == [
        ("principal", "school-1", True), ("counselor", "school-2", False)]


def test_1_2_only_role_values_are_understood(tmp_path):
    users = [make_user_row_1_2(sourcedId="admin-1"), make_user_row_1_2(sourcedId="site-1")]
    roles = [make_role_row(sourcedId="r-1", userSourcedId="admin-1", role="districtAdministrator"),
             make_role_row(sourcedId="r-2", userSourcedId="site-1", role="systemAdministrator")]
    write_package(tmp_path, version="1.2", users=users, roles=roles, enrollments=[])

    people = people_by_id(read_package(tmp_path))

    assert people["admin-1"].job_title == "District Administrator"
    assert people["site-1"].job_title == "System Administrator"


def test_role_dates_and_profile_reference_are_kept(tmp_path):
    roles = [make_role_row(beginDate="2025-08-25", endDate="2026-06-12", userProfileSourcedId="profile-1")]
    write_package(tmp_path, version="1.2", roles=roles, userProfiles=[make_profile_row()])

    (person,) = read_package(tmp_path).people

    (assignment,) = person.role_assignments
    assert (assignment.begin_date, assignment.end_date) == (date(2025, 8, 25), date(2026, 6, 12))
    assert assignment.user_profile_source_id == "profile-1"
    assert person.profiles == (UserProfile("profile-1", "lms", "vendor-1", "app-1", "Reading app", "password",
                                           "ada.reads"),)


def test_a_user_with_no_role_anywhere_is_a_row_error(tmp_path):
    users = [make_user_row_1_2(), make_user_row_1_2(sourcedId="student-2")]
    write_package(tmp_path, version="1.2", users=users)

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert located(snapshot.problems) == [("users.csv", 3, None, None)]
    assert "no role" in snapshot.problems[0].reason


def test_role_of_an_unknown_user_or_at_an_unknown_org_or_of_an_unknown_value_is_a_row_error(tmp_path):
    roles = [make_role_row(),
             make_role_row(sourcedId="r-2", userSourcedId="ghost-1"),
             make_role_row(sourcedId="r-3", orgSourcedId="school-404", role="teacher"),
             make_role_row(sourcedId="r-4", role="wizard")]
    write_package(tmp_path, version="1.2", roles=roles)

    snapshot = read_package(tmp_path)

    assert people_by_id(snapshot)["student-1"].roles == ("student",)
    assert located(snapshot.problems) == [
        ("roles.csv", 4, "orgSourcedId", "school-404"),
        ("roles.csv", 5, "role", "wizard"),
        ("roles.csv", 3, "userSourcedId", "ghost-1"),
    ]


def test_role_of_a_user_whose_row_was_refused_points_at_that_row(tmp_path):
    write_package(tmp_path, version="1.2", users=[make_user_row_1_2(familyName="")], enrollments=[])

    snapshot = read_package(tmp_path)

    assert located(snapshot.problems) == [("users.csv", 2, "familyName", None),
                                          ("roles.csv", 2, "userSourcedId", "student-1")]
    assert snapshot.problems[1].reason == "user student-1 was not read (users.csv line 2); row skipped"


def test_unknown_role_type_is_reported_and_read_as_secondary(tmp_path):
    write_package(tmp_path, version="1.2", roles=[make_role_row(roleType="main")])

    snapshot = read_package(tmp_path)

    assert snapshot.people[0].role_assignments[0].primary is False
    assert located(snapshot.problems) == [("roles.csv", 2, "roleType", "main")]


def test_profile_of_an_unknown_user_is_a_row_error(tmp_path):
    write_package(tmp_path, version="1.2", userProfiles=[make_profile_row(userSourcedId="ghost-1")])

    snapshot = read_package(tmp_path)

    assert located(snapshot.problems) == [("userProfiles.csv", 2, "userSourcedId", "ghost-1")]


def test_profile_passwords_are_never_kept(tmp_path):
    write_package(tmp_path, version="1.2", userProfiles=[make_profile_row(password="hunter2")])

    snapshot = read_package(tmp_path)

    assert "hunter2" not in repr(snapshot)


def test_a_1_2_users_file_with_a_role_column_is_read_with_a_warning(tmp_path):
    users = [make_user_row_1_2(sourcedId="teacher-1") | {"role": "teacher"}]
    write_package(tmp_path, version="1.2", users=users, roles=[],
                  enrollments=[make_enrollment_row(userSourcedId="teacher-1", role="teacher")])

    snapshot = read_package(tmp_path)

    assert snapshot.people[0].kinds == {STAFF}
    assert located(snapshot.warnings) == [("users.csv", 1, "role", None)]


def test_primary_org_of_a_1_2_user_comes_first(tmp_path):
    users = [make_user_row_1_2(primaryOrgSourcedId="school-2")]
    write_package(tmp_path, version="1.2", orgs=TWO_SCHOOLS, users=users)

    (person,) = read_package(tmp_path).people

    assert person.org_source_ids == ("school-2", "school-1")

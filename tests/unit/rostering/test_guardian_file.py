"""guardians.csv laid over a package's snapshot: guardians and links for known students, SMS as the mobile
credential and Phone as the home phone, rows naming unknown students reported and not applied."""
from __future__ import annotations

from rostering_builders import make_snapshot, make_student

from services.rostering.domain.guardian_file import (
    ignored_because_managed,
    read_guardians,
    students_of,
    with_guardians,
)
from services.rostering.domain.mapping import guardian_link_rows
from services.rostering.domain.snapshot import GUARDIAN, GuardianLink
from services.rostering.domain.values import PhoneNormaliser

HEADER = "Student ID,Guardian Name,Email,SMS,Phone,Relationship\n"
STUDENTS = frozenset({"student-1", "student-2"})


def read(text: str, students=STUDENTS):
    return read_guardians(text.splitlines(keepends=True), students=students,
                          normalise_phone=PhoneNormaliser("US").normalise)


def test_a_row_makes_a_guardian_with_sms_as_mobile_and_phone_as_home_phone_linked_to_the_student():
    added = read(HEADER + "student-1,Dana Reyes,Dana@Example.org,(415) 555-0101,415-555-0199,mother\n")
    (guardian,) = added.guardians
    assert (guardian.given_name, guardian.family_name) == ("Dana", "Reyes")
    assert guardian.kinds == frozenset({GUARDIAN})
    assert (guardian.email, guardian.mobile_phone, guardian.home_phone) == ("dana@example.org", "+14155550101",
                                                                            "+14155550199")
    assert added.links == (GuardianLink(guardian.source_id, "student-1"),)
    assert added.links[0].relationship == "mother"
    assert added.problems == () and guardian.line == 2


def test_the_relationship_goes_to_the_directory_only_when_the_file_says_one():
    snapshot = make_snapshot()
    merged = with_guardians(snapshot, read(HEADER + "student-1,Dana Reyes,dana@example.org,,,grandmother\n"
                                                    "student-1,Sam Stone,sam@example.org,,,\n",
                                           students=students_of(snapshot)))
    rows = guardian_link_rows(merged)
    assert rows[0] == {"guardian_source_id": "guardian-1", "student_source_id": "student-1"}  # from users.csv
    assert rows[1]["relationship"] == "grandmother" and "relationship" not in rows[2]


def test_the_same_guardian_on_two_rows_is_one_person_linked_to_both_students():
    added = read(HEADER + "student-1,Dana Reyes,dana@example.org,,,mother\n"
                          "student-2,Dana Reyes,DANA@example.org,,,mother\n")
    assert len(added.guardians) == 1
    assert {link.student_source_id for link in added.links} == {"student-1", "student-2"}


def test_the_guardians_id_stays_the_same_from_one_file_to_the_next():
    today = read(HEADER + "student-1,Dana Reyes,dana@example.org,,,\n")
    tomorrow = read(HEADER + "student-2,Someone,x@example.org,,,\nstudent-1,Dana Reyes,dana@example.org,,,\n")
    assert today.guardians[0].source_id in {guardian.source_id for guardian in tomorrow.guardians}


def test_a_row_naming_an_unknown_student_is_a_finding_and_nothing_of_it_is_applied():
    added = read(HEADER + "student-9,Sam Stone,sam@example.org,,,father\n")
    assert added.guardians == () and added.links == ()
    (problem,) = added.problems
    assert (problem.file, problem.line, problem.column, problem.value) == ("guardians.csv", 2, "Student ID",
                                                                           "student-9")
    assert "no student student-9" in problem.reason


def test_an_invalid_email_or_phone_costs_only_that_value():
    added = read(HEADER + "student-1,Dana Reyes,not-an-email,12,,\n")
    (guardian,) = added.guardians
    assert guardian.email is None and guardian.mobile_phone is None
    assert set(guardian.invalid_fields) == {"email", "mobile_phone"}
    assert {problem.column for problem in added.problems} == {"Email", "SMS"}


def test_headers_are_matched_whatever_their_case_spaces_or_underscores():
    added = read("student_id,GUARDIAN NAME,email,sms,phone\nstudent-1,Dana Reyes,,,\n")
    assert len(added.guardians) == 1 and added.problems == ()


def test_a_file_without_a_student_or_name_column_is_refused_whole():
    added = read("id,email\nstudent-1,dana@example.org\n")
    assert added.guardians == () and "no Student ID or Guardian Name column" in added.problems[0].reason


def test_a_row_without_a_name_is_refused():
    added = read(HEADER + "student-1,,dana@example.org,,,\n")
    assert added.guardians == () and added.problems[0].column == "Guardian Name"


def test_laid_over_a_snapshot_the_guardians_and_findings_join_the_packages():
    snapshot = make_snapshot()
    added = read(HEADER + "student-1,Dana Reyes,dana@example.org,,,\nstudent-9,Sam Stone,,,,\n",
                 students=students_of(snapshot))
    merged = with_guardians(snapshot, added)
    assert len(merged.people) == len(snapshot.people) + 1
    assert merged.guardian_links[:len(snapshot.guardian_links)] == snapshot.guardian_links
    assert len(merged.problems) == 1 and merged.problems[0].file == "guardians.csv"


def test_students_of_a_snapshot_are_only_its_students():
    snapshot = make_snapshot(people=(make_student(), make_student(source_id="student-2")))
    assert students_of(snapshot) == {"student-1", "student-2"}
    assert students_of(make_snapshot()) == {"student-1"}


def test_when_the_sync_manages_guardians_the_file_is_only_a_warning():
    snapshot = ignored_because_managed(make_snapshot())
    assert snapshot.people == make_snapshot().people
    assert "sync_manages_guardians" in snapshot.warnings[-1].reason

"""Row errors name file, line, column, value and reason; the rest of the file is still read."""
from datetime import date

from oneroster_builders import (
    located,
    make_class_row,
    make_course_row,
    make_enrollment_row,
    make_org_row,
    make_session_row,
    make_user_row,
    people_by_id,
    write_csv,
    write_package,
)

from services.rostering.adapters.sources.oneroster_csv.reader import read_package


def test_invalid_email_and_phone_are_reported_and_the_person_kept_without_them(tmp_path):
    write_package(tmp_path, users=[make_user_row(email="ada@", sms="555-1234", phone="12")])

    snapshot = read_package(tmp_path)

    (person,) = snapshot.people
    assert (person.email, person.mobile_phone, person.home_phone) == (None, None, None)
    assert person.invalid_fields == ("email", "mobile_phone", "home_phone")
    assert located(snapshot.problems) == [
        ("users.csv", 2, "email", "ada@"),
        ("users.csv", 2, "sms", "555-1234"),
        ("users.csv", 2, "phone", "12"),
    ]
    assert all(p.reason.endswith("value ignored, row kept") for p in snapshot.problems)


def test_enrollment_to_unknown_class_user_or_school_is_reported_and_skipped(tmp_path):
    enrollments = [
        make_enrollment_row(),
        make_enrollment_row(sourcedId="enr-2", classSourcedId="class-404"),
        make_enrollment_row(sourcedId="enr-3", userSourcedId="nobody"),
        make_enrollment_row(sourcedId="enr-4", schoolSourcedId="school-404"),
    ]
    write_package(tmp_path, enrollments=enrollments)

    snapshot = read_package(tmp_path)

    assert [e.source_id for e in snapshot.enrollments] == ["enr-1"]
    assert located(snapshot.problems) == [
        ("enrollments.csv", 3, "classSourcedId", "class-404"),
        ("enrollments.csv", 4, "userSourcedId", "nobody"),
        ("enrollments.csv", 5, "schoolSourcedId", "school-404"),
    ]
    assert snapshot.problems[0].reason == "unknown class class-404; row skipped"


def test_class_at_unknown_school_or_of_unknown_course_is_reported_and_skipped(tmp_path):
    classes = [make_class_row(schoolSourcedId="school-404"),
               make_class_row(sourcedId="class-2", courseSourcedId="course-404")]
    write_package(tmp_path, classes=classes)

    snapshot = read_package(tmp_path)

    assert snapshot.classes == () and snapshot.enrollments == ()
    assert located(snapshot.problems) == [
        ("classes.csv", 2, "schoolSourcedId", "school-404"),
        ("classes.csv", 3, "courseSourcedId", "course-404"),
        ("enrollments.csv", 2, "classSourcedId", "class-1"),
    ]


def test_unknown_term_is_dropped_from_the_class_which_is_kept(tmp_path):
    write_package(tmp_path, classes=[make_class_row(termSourcedIds="term-1,term-404")])

    snapshot = read_package(tmp_path)

    assert snapshot.classes[0].term_source_ids == ("term-1",)
    assert located(snapshot.problems) == [("classes.csv", 2, "termSourcedIds", "term-404")]


def test_course_of_an_unknown_org_is_skipped_and_an_unknown_school_year_left_empty(tmp_path):
    courses = [make_course_row(orgSourcedId="org-404"),
               make_course_row(sourcedId="course-2", schoolYearSourcedId="year-404")]
    write_package(tmp_path, courses=courses, classes=[make_class_row(courseSourcedId="course-2")])

    snapshot = read_package(tmp_path)

    (course,) = snapshot.courses
    assert (course.source_id, course.school_year_source_id) == ("course-2", None)
    assert located(snapshot.problems) == [("courses.csv", 2, "orgSourcedId", "org-404"),
                                          ("courses.csv", 3, "schoolYearSourcedId", "year-404")]


def test_user_at_unknown_org_keeps_the_person_without_that_org(tmp_path):
    write_package(tmp_path, users=[make_user_row(orgSourcedIds="school-1,school-404")])

    snapshot = read_package(tmp_path)

    assert snapshot.people[0].org_source_ids == ("school-1",)
    assert snapshot.problems[0].reason == "unknown org school-404; org dropped"


def test_org_with_unknown_parent_keeps_the_org_without_a_parent(tmp_path):
    write_package(tmp_path, orgs=[make_org_row(parentSourcedId="district-404")])

    snapshot = read_package(tmp_path)

    assert snapshot.orgs[0].parent_source_id is None
    assert located(snapshot.problems) == [("orgs.csv", 2, "parentSourcedId", "district-404")]


def test_duplicate_sourced_id_keeps_the_first_row_and_reports_the_second(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_user_row(givenName="Impostor")])

    snapshot = read_package(tmp_path)

    (person,) = snapshot.people
    assert person.given_name == "Ada"
    assert located(snapshot.problems) == [("users.csv", 3, "sourcedId", "student-1")]
    assert snapshot.problems[0].reason == "duplicate sourcedId (first on line 2); row skipped"


def test_row_missing_a_required_field_is_reported_and_skipped(tmp_path):
    users = [make_user_row(), make_user_row(sourcedId="student-2", familyName=""), make_user_row(sourcedId="")]
    write_package(tmp_path, users=users)

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert [(p.line, p.column) for p in snapshot.problems] == [(3, "familyName"), (4, "sourcedId")]


def test_file_missing_a_required_column_is_rejected_with_one_error_and_the_others_are_read(tmp_path):
    write_package(tmp_path)
    rows = [{k: v for k, v in make_enrollment_row().items() if k != "userSourcedId"}] * 3
    write_csv(tmp_path, "enrollments.csv", rows)

    snapshot = read_package(tmp_path)

    assert snapshot.enrollments == ()
    assert len(snapshot.people) == 1 and len(snapshot.classes) == 1
    assert located(snapshot.problems) == [("enrollments.csv", 1, None, "userSourcedId")]
    assert snapshot.problems[0].reason == "required column userSourcedId missing; no row of enrollments.csv read"


def test_a_column_that_appears_twice_rejects_its_file(tmp_path):
    write_package(tmp_path)
    text = (tmp_path / "orgs.csv").read_text().replace("identifier", "name", 1)
    (tmp_path / "orgs.csv").write_text(text)

    snapshot = read_package(tmp_path)

    assert snapshot.orgs == () and located(snapshot.problems)[0] == ("orgs.csv", 1, None, "name")


def test_unknown_role_is_reported_and_the_row_skipped(tmp_path):
    write_package(tmp_path, users=[make_user_row(role="wizard")], enrollments=[])

    snapshot = read_package(tmp_path)

    assert snapshot.people == ()
    assert located(snapshot.problems) == [("users.csv", 2, "role", "wizard")]


def test_bad_date_is_a_row_error_and_the_value_left_empty(tmp_path):
    write_package(tmp_path, academicSessions=[make_session_row(startDate="next monday")])

    snapshot = read_package(tmp_path)

    (term,) = snapshot.sessions
    assert term.start_date is None and term.end_date == date(2025, 12, 19)
    assert located(snapshot.problems) == [("academicSessions.csv", 2, "startDate", "next monday")]
    assert snapshot.problems[0].reason == "not a date (expected YYYY-MM-DD); value ignored"


def test_a_bad_value_on_every_row_is_reported_on_every_row(tmp_path):
    users = [make_user_row(sourcedId=f"s-{n}", dateLastModified="yesterday") for n in range(3)]
    write_package(tmp_path, users=users, enrollments=[])

    snapshot = read_package(tmp_path)

    assert [p.line for p in snapshot.problems] == [2, 3, 4] and len(snapshot.people) == 3


def test_enabled_user_that_is_not_a_boolean_is_reported_and_read_as_enabled(tmp_path):
    write_package(tmp_path, users=[make_user_row(enabledUser="maybe")])

    snapshot = read_package(tmp_path)

    assert people_by_id(snapshot)["student-1"].enabled_user is True
    assert located(snapshot.problems) == [("users.csv", 2, "enabledUser", "maybe")]


def test_a_refused_mobile_number_leaves_the_email_and_home_phone_read(tmp_path):
    write_package(tmp_path, users=[make_user_row(email="Ada@Example.org", sms="12", phone="(617) 253-1000")])

    (person,) = read_package(tmp_path).people

    assert (person.email, person.mobile_phone, person.home_phone) == ("ada@example.org", None, "+16172531000")
    assert person.invalid_fields == ("mobile_phone",)


def test_after_a_refused_email_each_later_refusal_is_reported_in_column_order(tmp_path):
    users = [make_user_row(email="ada@", sms="617 253 1000", phone="12"),
             make_user_row(sourcedId="student-2", email="ada@", sms="12", phone="")]
    write_package(tmp_path, users=users)

    snapshot = read_package(tmp_path)

    ada, second = people_by_id(snapshot).values()
    assert (ada.email, ada.mobile_phone, ada.home_phone, ada.invalid_fields) == (
        None, "+16172531000", None, ("email", "home_phone"))
    assert (second.mobile_phone, second.invalid_fields) == (None, ("email", "mobile_phone"))
    assert located(snapshot.problems) == [
        ("users.csv", 2, "email", "ada@"),
        ("users.csv", 2, "phone", "12"),
        ("users.csv", 3, "email", "ada@"),
        ("users.csv", 3, "sms", "12"),
    ]


def test_every_user_naming_a_deleted_or_unknown_org_is_reported_not_only_the_first(tmp_path):
    # Rows citing the same role and orgs share what those make, except where reading them reported something.
    orgs = [make_org_row(), make_org_row(sourcedId="school-2", status="tobedeleted")]
    users = [make_user_row(sourcedId=f"student-{n}", orgSourcedIds=cited)
             for n, cited in enumerate(["school-1", "school-1,school-2", "school-1,school-2", "school-1,school-9",
                                        "school-1,school-9", "school-1"])]
    write_package(tmp_path, orgs=orgs, users=users)

    snapshot = read_package(tmp_path)

    assert {person.org_source_ids for person in snapshot.people} == {("school-1",)}
    assert len(snapshot.people) == 6
    assert located(snapshot.problems) == [
        ("users.csv", 3, "orgSourcedIds", "school-2"),
        ("users.csv", 4, "orgSourcedIds", "school-2"),
        ("users.csv", 5, "orgSourcedIds", "school-9"),
        ("users.csv", 6, "orgSourcedIds", "school-9"),
    ]


def test_every_row_with_an_unknown_role_or_none_is_reported(tmp_path):
    users = [make_user_row(sourcedId=f"student-{n}", role=role) for n, role in enumerate(["wizard", "", "wizard", ""])]
    write_package(tmp_path, users=users, enrollments=[])

    snapshot = read_package(tmp_path)

    assert snapshot.people == ()
    assert [(line, column) for _, line, column, _ in located(snapshot.problems)] == [
        (2, "role"), (3, "role"), (4, "role"), (5, "role")]

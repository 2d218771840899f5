import csv
import zipfile
from datetime import date
from pathlib import Path

import pytest

from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.reader import read_package
from services.rostering.domain.snapshot import GuardianLink, RowProblem

USER_COLUMNS = (
    "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
    "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
    "agentSourcedIds", "grades", "password",
)


# --- builders -----------------------------------------------------------------


def make_org_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "school-1", "status": "active", "dateLastModified": "", "name": "Lincoln Elementary",
           "type": "school", "identifier": "LIN", "parentSourcedId": ""}
    return {**row, **overrides}


def make_session_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "term-1", "status": "active", "dateLastModified": "", "title": "Fall 2025",
           "type": "term", "startDate": "2025-08-25", "endDate": "2025-12-19", "parentSourcedId": "",
           "schoolYear": "2026"}
    return {**row, **overrides}


def make_course_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "course-1", "status": "active", "dateLastModified": "", "schoolYearSourcedId": "",
           "title": "Grade 3 Math", "courseCode": "MATH3", "grades": "03", "orgSourcedId": "school-1",
           "subjects": ""}
    return {**row, **overrides}


def make_class_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "class-1", "status": "active", "dateLastModified": "", "title": "Math 3A",
           "grades": "03", "courseSourcedId": "course-1", "classCode": "M3A", "classType": "scheduled",
           "location": "Room 12", "schoolSourcedId": "school-1", "termSourcedIds": "term-1",
           "subjects": "", "subjectCodes": "", "periods": ""}
    return {**row, **overrides}


def make_user_row(**overrides: str) -> dict[str, str]:
    row = dict.fromkeys(USER_COLUMNS, "")
    row.update({"sourcedId": "student-1", "status": "active", "enabledUser": "true",
                "orgSourcedIds": "school-1", "role": "student", "username": "ada", "givenName": "Ada",
                "familyName": "Lovelace", "identifier": "S001", "grades": "03"})
    return {**row, **overrides}


def make_enrollment_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "enr-1", "status": "active", "dateLastModified": "", "classSourcedId": "class-1",
           "schoolSourcedId": "school-1", "userSourcedId": "student-1", "role": "student", "primary": "false",
           "beginDate": "", "endDate": ""}
    return {**row, **overrides}


def write_csv(folder: Path, name: str, rows: list[dict[str, str]], columns: tuple[str, ...] | None = None) -> Path:
    columns = columns or tuple(rows[0])
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_package(folder: Path, **files: list[dict[str, str]]) -> Path:
    """A package where every file defaults to one valid row; pass name=[rows] to replace one."""
    defaults = {
        "orgs": [make_org_row()],
        "academicSessions": [make_session_row()],
        "courses": [make_course_row()],
        "classes": [make_class_row()],
        "users": [make_user_row()],
        "enrollments": [make_enrollment_row()],
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in {**defaults, **files}.items():
        write_csv(folder, f"{name}.csv", rows)
    return folder


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return target


def family_package(folder: Path) -> Path:
    """A school with a teacher, two students and two guardians linked from both sides."""
    users = [
        make_user_row(sourcedId="teacher-1", role="teacher", givenName="Grace", familyName="Hopper",
                      email="Grace.Hopper@Lincoln.K12.US", grades=""),
        make_user_row(sourcedId="student-1", agentSourcedIds="guardian-1,guardian-2"),
        make_user_row(sourcedId="student-2", givenName="Alan", familyName="Turing", grades="05"),
        make_user_row(sourcedId="guardian-1", role="parent", givenName="Anne", familyName="Lovelace",
                      agentSourcedIds="student-1,student-2", sms="(617) 253-1000", phone="617.253.1001",
                      grades=""),
        make_user_row(sourcedId="guardian-2", role="guardian", givenName="William", familyName="King",
                      sms="+44 20 7946 0958", grades=""),
    ]
    enrollments = [
        make_enrollment_row(sourcedId="enr-1", userSourcedId="student-1"),
        make_enrollment_row(sourcedId="enr-2", userSourcedId="student-2"),
        make_enrollment_row(sourcedId="enr-3", userSourcedId="teacher-1", role="teacher", primary="true"),
    ]
    district = make_org_row(sourcedId="district-1", name="Lincoln USD", type="district")
    school = make_org_row(parentSourcedId="district-1")
    return write_package(folder, orgs=[school, district], users=users, enrollments=enrollments)


def people_by_id(snapshot):
    return {person.source_id: person for person in snapshot.people}


# --- a clean package ------------------------------------------------------------


def test_clean_package_yields_every_entity_and_no_problems(tmp_path):
    snapshot = read_package(family_package(tmp_path))

    assert snapshot.counts() == {
        "orgs": 2, "sessions": 1, "courses": 1, "classes": 1, "people": 5, "enrollments": 3, "guardian_links": 3,
    }
    assert snapshot.problems == () and snapshot.warnings == ()
    assert snapshot.version == "1.1"


def test_package_entities_carry_their_source_fields(tmp_path):
    snapshot = read_package(family_package(tmp_path))

    school = next(org for org in snapshot.orgs if org.source_id == "school-1")
    assert school.parent_source_id == "district-1" and school.type == "school"
    (term,) = snapshot.sessions
    assert (term.start_date, term.end_date, term.school_year) == (date(2025, 8, 25), date(2025, 12, 19), "2026")
    (klass,) = snapshot.classes
    assert (klass.course_source_id, klass.term_source_ids, klass.grades) == ("course-1", ("term-1",), ("03",))
    teacher_enrollment = next(e for e in snapshot.enrollments if e.person_source_id == "teacher-1")
    assert teacher_enrollment.role == "teacher" and teacher_enrollment.primary is True


def test_roles_become_kinds_and_staff_roles_become_readable_job_titles(tmp_path):
    people = people_by_id(read_package(family_package(tmp_path)))

    assert people["student-1"].kinds == frozenset({"student"}) and people["student-1"].job_title is None
    assert people["teacher-1"].kinds == frozenset({"staff"}) and people["teacher-1"].job_title == "Teacher"
    assert people["teacher-1"].roles == ("teacher",)
    assert people["guardian-1"].kinds == people["guardian-2"].kinds == frozenset({"guardian"})
    assert people["student-2"].grade == "05"


@pytest.mark.parametrize(
    "role, title",
    [("administrator", "Administrator"), ("districtAdministrator", "District Administrator"),
     ("aide", "Aide"), ("counselor", "Counselor"), ("principal", "Principal")],
)
def test_every_staff_role_is_staff_with_its_own_title(tmp_path, role, title):
    write_package(
        tmp_path,
        users=[make_user_row(sourcedId="staff-1", role=role)],
        enrollments=[make_enrollment_row(userSourcedId="staff-1")],
    )

    (person,) = read_package(tmp_path).people

    assert person.kinds == frozenset({"staff"}) and person.job_title == title


def test_guardian_links_claimed_from_both_sides_are_merged_without_duplicates(tmp_path):
    snapshot = read_package(family_package(tmp_path))

    # student-1 -> guardian-1 is named by both the student and the guardian: one link.
    assert set(snapshot.guardian_links) == {
        GuardianLink("guardian-1", "student-1"),
        GuardianLink("guardian-2", "student-1"),
        GuardianLink("guardian-1", "student-2"),
    }
    assert len(snapshot.guardian_links) == 3


def test_phones_become_e164_with_sms_as_mobile_and_phone_as_home(tmp_path):
    people = people_by_id(read_package(family_package(tmp_path)))

    assert people["guardian-1"].mobile_phone == "+16172531000"
    assert people["guardian-1"].home_phone == "+16172531001"
    assert people["guardian-2"].mobile_phone == "+442079460958" and people["guardian-2"].home_phone is None


def test_phone_without_country_code_uses_the_given_region(tmp_path):
    write_package(tmp_path, users=[make_user_row(sms="020 7946 0958")])

    (person,) = read_package(tmp_path, region="GB").people

    assert person.mobile_phone == "+442079460958"


def test_email_is_normalised_and_lower_cased(tmp_path):
    people = people_by_id(read_package(family_package(tmp_path)))

    assert people["teacher-1"].email == "grace.hopper@lincoln.k12.us"


def test_columns_are_read_by_name_in_any_order_and_unknown_columns_are_ignored(tmp_path):
    family_package(tmp_path)
    columns = ("ext_vendor_id", *reversed(USER_COLUMNS))
    rows = [{**make_user_row(), "ext_vendor_id": "v-9"}]
    write_csv(tmp_path, "users.csv", rows, columns)

    (person,) = read_package(tmp_path).people

    assert (person.source_id, person.given_name, person.org_source_ids) == ("student-1", "Ada", ("school-1",))
    assert person.middle_name is None  # empty cells are None, not ""


# --- zip and file encodings -------------------------------------------------------


def test_zip_package_reads_the_same_as_its_folder(tmp_path):
    folder = family_package(tmp_path / "package")

    from_folder = read_package(folder)

    assert read_package(zip_folder(folder, tmp_path / "package.zip")) == from_folder
    assert read_package(zip_folder(folder, tmp_path / "nested.zip", prefix="export/")) == from_folder


def test_bom_crlf_and_missing_trailing_newline_are_tolerated(tmp_path):
    write_package(tmp_path)
    header = ",".join(make_user_row())
    row = ",".join(make_user_row().values())
    (tmp_path / "users.csv").write_bytes(("\ufeff" + header + "\r\n" + row).encode("utf-8"))

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert snapshot.counts()["enrollments"] == 1 and snapshot.problems == ()


def test_header_only_file_gives_no_rows_and_no_problems(tmp_path):
    write_package(tmp_path, classes=[make_class_row(courseSourcedId="")])
    (tmp_path / "enrollments.csv").write_text("\ufeff" + ",".join(make_enrollment_row()), encoding="utf-8")
    (tmp_path / "courses.csv").write_bytes(",".join(make_course_row()).encode() + b"\r\n")

    snapshot = read_package(tmp_path)

    assert snapshot.enrollments == () and snapshot.courses == ()
    assert snapshot.problems == () and snapshot.counts()["classes"] == 1


def test_problem_line_is_where_a_multi_line_quoted_record_starts(tmp_path):
    write_package(tmp_path)
    columns = ",".join(USER_COLUMNS)
    quoted = make_user_row(sourcedId="student-2", middleName='"Two\nLine\nName"')
    bad = make_user_row(sourcedId="student-3", email="not-an-email")
    text = "\n".join([columns, ",".join(quoted.values()), "", ",".join(bad.values())]) + "\n"
    (tmp_path / "users.csv").write_text(text, encoding="utf-8")

    snapshot = read_package(tmp_path)

    # header 1, quoted record 2-4, blank line 5, bad record 6
    assert snapshot.problems == (
        RowProblem("users.csv", 6, "email", "not-an-email", snapshot.problems[0].reason),
        RowProblem("enrollments.csv", 2, "userSourcedId", "student-1", "unknown user student-1; row skipped"),
    )
    assert people_by_id(snapshot)["student-2"].middle_name == "Two\nLine\nName"


# --- row problems -----------------------------------------------------------------


def test_invalid_email_and_phone_are_reported_and_the_person_kept_without_them(tmp_path):
    write_package(tmp_path, users=[make_user_row(email="ada@", sms="555-1234", phone="12")])

    snapshot = read_package(tmp_path)

    (person,) = snapshot.people
    assert (person.email, person.mobile_phone, person.home_phone) == (None, None, None)
    assert [(p.file, p.line, p.column, p.value) for p in snapshot.problems] == [
        ("users.csv", 2, "email", "ada@"),
        ("users.csv", 2, "sms", "555-1234"),
        ("users.csv", 2, "phone", "12"),
    ]


def test_agent_that_is_not_a_known_user_is_reported_and_only_that_link_dropped(tmp_path):
    users = [
        make_user_row(agentSourcedIds="guardian-1,ghost-9"),
        make_user_row(sourcedId="guardian-1", role="parent", givenName="Anne"),
    ]
    write_package(tmp_path, users=users)

    snapshot = read_package(tmp_path)

    assert snapshot.guardian_links == (GuardianLink("guardian-1", "student-1"),)
    (problem,) = snapshot.problems
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "users.csv", 2, "agentSourcedIds", "ghost-9",
    )
    assert problem.reason.startswith("unknown user")


def test_vendor_agents_column_builds_guardian_links_too(tmp_path):
    users = [
        make_user_row(sourcedId="guardian-1", role="relative", givenName="Anne", agents="student-1"),
        make_user_row(),
    ]
    write_package(tmp_path, users=users)

    assert read_package(tmp_path).guardian_links == (GuardianLink("guardian-1", "student-1"),)


def test_enrollment_to_unknown_class_or_user_is_reported_and_skipped(tmp_path):
    enrollments = [
        make_enrollment_row(),
        make_enrollment_row(sourcedId="enr-2", classSourcedId="class-404"),
        make_enrollment_row(sourcedId="enr-3", userSourcedId="nobody"),
    ]
    write_package(tmp_path, enrollments=enrollments)

    snapshot = read_package(tmp_path)

    assert [e.source_id for e in snapshot.enrollments] == ["enr-1"]
    assert [(p.line, p.column, p.value) for p in snapshot.problems] == [
        (3, "classSourcedId", "class-404"),
        (4, "userSourcedId", "nobody"),
    ]


def test_class_at_unknown_school_is_reported_and_skipped(tmp_path):
    write_package(tmp_path, classes=[make_class_row(schoolSourcedId="school-404")])

    snapshot = read_package(tmp_path)

    assert snapshot.classes == () and snapshot.enrollments == ()
    assert [(p.file, p.column, p.value) for p in snapshot.problems] == [
        ("classes.csv", "schoolSourcedId", "school-404"),
        ("enrollments.csv", "classSourcedId", "class-1"),
    ]


def test_duplicate_sourced_id_keeps_the_first_row_and_reports_the_second(tmp_path):
    users = [make_user_row(), make_user_row(givenName="Impostor")]
    write_package(tmp_path, users=users)

    snapshot = read_package(tmp_path)

    (person,) = snapshot.people
    assert person.given_name == "Ada"
    (problem,) = snapshot.problems
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "users.csv", 3, "sourcedId", "student-1",
    )


def test_row_missing_a_required_field_is_reported_and_skipped(tmp_path):
    users = [make_user_row(), make_user_row(sourcedId="student-2", familyName=""), make_user_row(sourcedId="")]
    write_package(tmp_path, users=users)

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert [(p.line, p.column) for p in snapshot.problems] == [(3, "familyName"), (4, "sourcedId")]


def test_file_missing_a_required_column_contributes_no_rows_but_others_are_read(tmp_path):
    write_package(tmp_path)
    rows = [{k: v for k, v in make_enrollment_row().items() if k != "userSourcedId"}]
    write_csv(tmp_path, "enrollments.csv", rows)

    snapshot = read_package(tmp_path)

    assert snapshot.enrollments == ()
    assert snapshot.counts()["people"] == 1 and snapshot.counts()["classes"] == 1
    (problem,) = snapshot.problems
    assert (problem.file, problem.line, problem.column) == ("enrollments.csv", 1, "userSourcedId")


def test_rows_to_be_deleted_are_skipped_with_a_warning_not_a_problem(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_user_row(sourcedId="student-2", status="tobedeleted")])

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert snapshot.problems == ()
    (warning,) = snapshot.warnings
    assert (warning.file, warning.line, warning.column, warning.value) == ("users.csv", 3, "status", "tobedeleted")


def test_unparsable_session_date_is_reported_and_left_empty(tmp_path):
    write_package(tmp_path, academicSessions=[make_session_row(startDate="08/25/2025")])

    snapshot = read_package(tmp_path)

    (term,) = snapshot.sessions
    assert term.start_date is None and term.end_date == date(2025, 12, 19)
    (problem,) = snapshot.problems
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "academicSessions.csv", 2, "startDate", "08/25/2025",
    )


def test_unknown_role_is_reported_and_the_row_skipped(tmp_path):
    write_package(tmp_path, users=[make_user_row(role="wizard")])

    snapshot = read_package(tmp_path)

    assert snapshot.people == ()
    assert (snapshot.problems[0].column, snapshot.problems[0].value) == ("role", "wizard")


# --- rejected packages ------------------------------------------------------------


def test_package_path_that_does_not_exist_is_rejected(tmp_path):
    with pytest.raises(PackageRejected, match="does not exist"):
        read_package(tmp_path / "missing")


def test_file_that_is_not_a_zip_is_rejected(tmp_path):
    corrupt = tmp_path / "package.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")

    with pytest.raises(PackageRejected):
        read_package(corrupt)


def test_package_without_users_csv_is_rejected(tmp_path):
    write_package(tmp_path)
    (tmp_path / "users.csv").unlink()

    with pytest.raises(PackageRejected, match="users.csv"):
        read_package(tmp_path)


def test_users_csv_without_a_sourced_id_column_is_rejected(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "users.csv", [{k: v for k, v in make_user_row().items() if k != "sourcedId"}])

    with pytest.raises(PackageRejected, match="sourcedId"):
        read_package(str(tmp_path))

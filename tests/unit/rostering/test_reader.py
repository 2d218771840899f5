"""read_package on clean packages: every entity, its fields, and what the report says."""
from datetime import date, datetime, timezone

import pytest
from oneroster_builders import (
    USER_COLUMNS,
    family_package,
    make_enrollment_row,
    make_session_row,
    make_user_row,
    people_by_id,
    write_csv,
    write_package,
)

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.snapshot import BULK, Enrollment, GuardianLink, PackageFile, Person


def test_clean_package_yields_every_entity_and_no_findings(tmp_path):
    snapshot = read_package(family_package(tmp_path))

    assert snapshot.counts() == {"orgs": 2, "schools": 1, "students": 2, "staff": 1, "guardians": 2, "classes": 1,
                                 "enrollments": 3, "guardian_links": 3}
    assert (len(snapshot.sessions), len(snapshot.courses)) == (1, 1)
    assert snapshot.problems == () and snapshot.warnings == () and snapshot.tombstones == ()
    assert snapshot.version == "1.1"


def test_each_file_is_listed_with_its_mode_and_row_count(tmp_path):
    snapshot = read_package(family_package(tmp_path))

    assert snapshot.files == (
        PackageFile("orgs.csv", BULK, 2), PackageFile("academicSessions.csv", BULK, 1),
        PackageFile("courses.csv", BULK, 1), PackageFile("classes.csv", BULK, 1),
        PackageFile("users.csv", BULK, 5), PackageFile("enrollments.csv", BULK, 3),
    )
    assert snapshot.full_snapshot_files == {"orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv",
                                            "users.csv", "enrollments.csv"}


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


def test_rows_carry_their_status_and_last_modification_time(tmp_path):
    write_package(tmp_path, users=[make_user_row(dateLastModified="2026-08-01T12:30:00Z")],
                  enrollments=[make_enrollment_row(beginDate="2025-08-25", dateLastModified="2026-08-02")])

    snapshot = read_package(tmp_path)

    (person,), (enrollment,) = snapshot.people, snapshot.enrollments
    assert person.status == "active"
    assert person.date_last_modified == datetime(2026, 8, 1, 12, 30, tzinfo=timezone.utc)
    assert (enrollment.status, enrollment.begin_date) == ("active", date(2025, 8, 25))
    assert enrollment.date_last_modified == datetime(2026, 8, 2)


def test_every_user_column_lands_in_its_own_field(tmp_path):
    user = make_user_row(middleName="Augusta", identifier="S-77", username="ada.l", email="ada@example.org",
                         sms="(617) 253-1000", phone="(617) 253-1001", grades="04,05", enabledUser="false",
                         dateLastModified="2026-08-01")
    write_package(tmp_path, users=[user])

    (person,) = read_package(tmp_path).people

    assert person._asdict() == {
        "source_id": "student-1", "given_name": "Ada", "family_name": "Lovelace", "middle_name": "Augusta",
        "kinds": frozenset({"student"}), "roles": ("student",), "job_title": None, "grade": "04",
        "identifier": "S-77", "username": "ada.l", "org_source_ids": ("school-1",), "email": "ada@example.org",
        "mobile_phone": "+16172531000", "home_phone": "+16172531001", "enabled_user": False, "status": "active",
        "date_last_modified": datetime(2026, 8, 1), "role_assignments": person.role_assignments, "profiles": (),
        "extras": (), "invalid_fields": (), "line": 2, "source_digest": person.source_digest,
    }
    assert len(person.source_digest) == 16  # its record's cells (test_source_rows.py)
    assert len(person) == len(Person._fields)  # built from a tuple of its fields (snapshot.new_record)


def test_every_enrollment_column_lands_in_its_own_field(tmp_path):
    write_package(tmp_path, enrollments=[make_enrollment_row(role="student", primary="TRUE", beginDate="2025-08-25",
                                                             endDate="2026-06-12", dateLastModified="2026-08-01")])

    (enrollment,) = read_package(tmp_path).enrollments

    assert enrollment._asdict() == {
        "source_id": "enr-1", "class_source_id": "class-1", "school_source_id": "school-1",
        "person_source_id": "student-1", "role": "student", "primary": True, "begin_date": date(2025, 8, 25),
        "end_date": date(2026, 6, 12), "status": "active", "date_last_modified": datetime(2026, 8, 1),
        "extras": (), "line": 2,
    }
    assert len(enrollment) == len(Enrollment._fields)  # built from a tuple of its fields (snapshot.new_record)


def test_roles_become_kinds_and_staff_roles_become_readable_job_titles(tmp_path):
    people = people_by_id(read_package(family_package(tmp_path)))

    assert people["student-1"].kinds == frozenset({"student"}) and people["student-1"].job_title is None
    assert people["teacher-1"].kinds == frozenset({"staff"}) and people["teacher-1"].job_title == "Teacher"
    assert people["teacher-1"].roles == ("teacher",)
    assert people["guardian-1"].kinds == people["guardian-2"].kinds == frozenset({"guardian"})
    assert people["student-2"].grade == "05"


@pytest.mark.parametrize(
    "role, kind, title",
    [("administrator", "staff", "Administrator"), ("districtAdministrator", "staff", "District Administrator"),
     ("siteAdministrator", "staff", "Site Administrator"), ("principal", "staff", "Principal"),
     ("counselor", "staff", "Counselor"), ("aide", "staff", "Aide"), ("proctor", "staff", "Proctor"),
     ("Teacher", "staff", "Teacher"), ("parent", "guardian", None), ("guardian", "guardian", None),
     ("relative", "guardian", None), ("STUDENT", "student", None)],
)
def test_every_1_1_and_1_2_role_value_maps_to_its_kind_and_title(tmp_path, role, kind, title):
    write_package(tmp_path, users=[make_user_row(sourcedId="user-1", role=role)],
                  enrollments=[make_enrollment_row(userSourcedId="user-1")])

    (person,) = read_package(tmp_path).people

    assert person.kinds == frozenset({kind}) and person.job_title == title and person.roles == (role,)


def test_a_person_holds_their_role_at_each_of_their_orgs_the_first_primary(tmp_path):
    write_package(tmp_path, orgs=[{"sourcedId": "school-1", "type": "school"},
                                  {"sourcedId": "school-2", "type": "school"}],
                  users=[make_user_row(orgSourcedIds="school-1,school-2", role="teacher")])

    (person,) = read_package(tmp_path).people

    assert person.org_source_ids == ("school-1", "school-2")
    assert [(a.role, a.org_source_id, a.primary) for a in person.role_assignments] == [
        ("teacher", "school-1", True), ("teacher", "school-2", False)]


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


def test_an_unknown_region_is_refused_before_reading(tmp_path):
    with pytest.raises(ValueError, match="region"):
        read_package(write_package(tmp_path), region="QQ")


def test_email_is_normalised_and_lower_cased(tmp_path):
    people = people_by_id(read_package(family_package(tmp_path)))

    assert people["teacher-1"].email == "grace.hopper@lincoln.k12.us"


def test_disabled_user_is_read_as_not_enabled(tmp_path):
    write_package(tmp_path, users=[make_user_row(enabledUser="FALSE")])

    (person,) = read_package(tmp_path).people

    assert person.enabled_user is False


def test_columns_are_read_by_name_in_any_order(tmp_path):
    family_package(tmp_path)
    write_csv(tmp_path, "users.csv", [make_user_row()], tuple(reversed(USER_COLUMNS)))

    (person,) = read_package(tmp_path).people

    assert (person.source_id, person.given_name, person.org_source_ids) == ("student-1", "Ada", ("school-1",))
    assert person.middle_name is None  # empty cells are None, not ""


def test_two_reads_of_the_same_package_compare_equal(tmp_path):
    folder = family_package(tmp_path)

    assert read_package(folder) == read_package(folder)


def test_session_parent_listed_after_its_child_is_kept(tmp_path):
    write_package(tmp_path, academicSessions=[make_session_row(parentSourcedId="year-1"),
                                              make_session_row(sourcedId="year-1", type="schoolYear")])

    snapshot = read_package(tmp_path)

    assert snapshot.sessions[0].parent_source_id == "year-1" and snapshot.problems == ()


def test_records_the_apply_side_maps_carry_the_line_they_were_read_from(tmp_path):
    snapshot = read_package(family_package(tmp_path))

    assert {org.source_id: org.line for org in snapshot.orgs} == {"school-1": 2, "district-1": 3}
    assert [klass.line for klass in snapshot.classes] == [2]
    assert {person.source_id: person.line for person in snapshot.people} == {
        "teacher-1": 2, "student-1": 3, "student-2": 4, "guardian-1": 5, "guardian-2": 6}
    assert [enrollment.line for enrollment in snapshot.enrollments] == [2, 3, 4]


def test_a_guardian_link_carries_the_line_and_column_of_the_first_claim_that_made_it(tmp_path):
    snapshot = read_package(family_package(tmp_path))

    # student-1 (line 3) names guardian-1 and guardian-2; guardian-1 (line 5) names student-1 again and student-2.
    assert {(link.guardian_source_id, link.student_source_id): (link.line, link.column)
            for link in snapshot.guardian_links} == {
        ("guardian-1", "student-1"): (3, "agentSourcedIds"),
        ("guardian-2", "student-1"): (3, "agentSourcedIds"),
        ("guardian-1", "student-2"): (5, "agentSourcedIds"),
    }

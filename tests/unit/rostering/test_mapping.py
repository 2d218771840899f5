import pytest
from rostering_builders import (
    make_class,
    make_course,
    make_district,
    make_enrollment,
    make_guardian,
    make_org,
    make_person,
    make_snapshot,
    make_staff,
    make_student,
)

from services.rostering.domain import mapping
from services.rostering.domain.snapshot import GUARDIAN, STAFF, STUDENT, GuardianLink
from shared.contracts import directory, identity

SCHOOL_IDS = {"school-1": "dir-school-1", "school-2": "dir-school-2"}


def rows_by_source_id(rows):
    return {row["source_id"]: row for row in rows}


def grants_of(person, snapshot=None, school_ids=SCHOOL_IDS):
    snapshot = snapshot or make_snapshot(people=(person,))
    (account,) = mapping.account_rows(snapshot, person_ids={person.source_id: "p-1"}, school_ids=school_ids)
    return account["roles"]


# --- pages ----------------------------------------------------------------------------


def test_pages_split_rows_into_pages_of_at_most_the_page_size_in_order():
    rows = list(range(2500))

    result = list(mapping.pages(rows))

    assert [len(page) for page in result] == [1000, 1000, 500]
    assert [row for page in result for row in page] == rows


def test_no_rows_make_no_pages():
    assert list(mapping.pages([])) == []


def test_page_size_stays_within_what_a_contract_page_allows():
    from shared.contracts.common import MAX_PAGE_ROWS

    assert mapping.PAGE_ROWS == 1000 <= MAX_PAGE_ROWS


def test_a_page_size_below_one_is_refused():
    with pytest.raises(ValueError):
        list(mapping.pages([1], size=0))


# --- district and schools --------------------------------------------------------------


def test_district_is_the_org_of_type_district():
    assert mapping.district_row(make_snapshot(), "Ignored Name") == {"source_id": "district-1",
                                                                     "name": "Lincoln USD"}


def test_org_type_is_matched_whatever_its_case():
    snapshot = make_snapshot(orgs=(make_district(type="District"), make_org(type="School")))

    assert mapping.district_row(snapshot)["source_id"] == "district-1"
    assert [row["source_id"] for row in mapping.school_rows(snapshot)] == ["school-1"]


def test_package_without_a_district_org_gets_one_named_by_the_request():
    snapshot = make_snapshot(orgs=(make_org(parent_source_id=None),))

    assert mapping.district_row(snapshot, "Springfield  Public Schools") == {
        "source_id": "named:springfield public schools", "name": "Springfield Public Schools"}


def test_two_packages_without_district_orgs_are_kept_apart_by_their_names():
    snapshot = make_snapshot(orgs=(make_org(parent_source_id=None),))

    assert (mapping.district_row(snapshot, "Springfield")["source_id"]
            != mapping.district_row(snapshot, "Shelbyville")["source_id"])


@pytest.mark.parametrize("name", [None, "", "   "])
def test_package_without_a_district_org_or_a_requested_name_is_refused(name):
    snapshot = make_snapshot(orgs=(make_org(),))

    with pytest.raises(mapping.DistrictUnknown, match="--district-name"):
        mapping.district_row(snapshot, name)


def test_district_org_without_a_name_takes_the_requested_name():
    snapshot = make_snapshot(orgs=(make_district(name=None), make_org()))

    assert mapping.district_row(snapshot, "Lincoln USD")["name"] == "Lincoln USD"
    assert mapping.district_row(snapshot, None)["name"] == "district-1"


def test_schools_are_the_orgs_of_type_school_only():
    orgs = (make_district(), make_org(), make_org(source_id="dept-1", type="department"),
            make_org(source_id="school-2", name="Roosevelt High", identifier="RHS"))

    rows = mapping.school_rows(make_snapshot(orgs=orgs))

    assert rows == [
        {"source_id": "school-1", "name": "Lincoln Elementary", "identifier": "LIN"},
        {"source_id": "school-2", "name": "Roosevelt High", "identifier": "RHS"},
    ]


def test_school_without_a_name_is_listed_under_its_code_or_source_id():
    orgs = (make_org(name=None), make_org(source_id="school-2", name=None, identifier=None))

    rows = mapping.school_rows(make_snapshot(orgs=orgs))

    assert [row["name"] for row in rows] == ["LIN", "school-2"]


def test_school_rows_load_as_the_directory_contract_describes_them():
    rows = mapping.school_rows(make_snapshot())

    assert directory.upsert_schools.load_request({"district_id": "d-1", "schools": rows})["schools"] == rows


# --- classrooms -------------------------------------------------------------------------


def test_classroom_carries_its_school_code_grades_and_course_title():
    (row,) = mapping.classroom_rows(make_snapshot())

    assert row == {"source_id": "class-1", "school_source_id": "school-1", "title": "Math 3A",
                   "class_code": "M3A", "course_title": "Grade 3 Math", "grades": ["03"]}


def test_classroom_without_a_course_or_with_an_untitled_course_has_no_course_title():
    classes = (make_class(course_source_id=None), make_class(source_id="class-2", course_source_id="course-2"))
    courses = (make_course(), make_course(source_id="course-2", title=None))

    rows = rows_by_source_id(mapping.classroom_rows(make_snapshot(classes=classes, courses=courses)))

    assert rows["class-1"]["course_title"] is None and rows["class-2"]["course_title"] is None


def test_classroom_rows_load_as_the_directory_contract_describes_them():
    rows = mapping.classroom_rows(make_snapshot())

    loaded = directory.upsert_classrooms.load_request({"district_id": "d-1", "classrooms": rows})

    assert loaded["classrooms"] == rows


# --- people -----------------------------------------------------------------------------


def test_person_row_carries_names_kinds_grade_title_identifier_and_schools():
    rows = rows_by_source_id(mapping.person_rows(make_snapshot()))

    assert rows["student-1"] == {
        "source_id": "student-1", "given_name": "Ada", "family_name": "Lovelace", "middle_name": None,
        "kinds": ["student"], "grade": "03", "job_title": None, "identifier": "S001",
        "school_source_ids": ["school-1"],
    }
    assert rows["teacher-1"]["kinds"] == ["staff"] and rows["teacher-1"]["job_title"] == "Teacher"


def test_person_with_several_kinds_lists_them_all_in_a_stable_order():
    person = make_person(kinds=frozenset({GUARDIAN, STAFF}), roles=("teacher", "parent"))

    (row,) = mapping.person_rows(make_snapshot(people=(person,)))

    assert row["kinds"] == ["staff", "guardian"]


def test_person_schools_are_their_orgs_that_are_schools():
    person = make_staff(org_source_ids=("district-1", "school-2", "school-1"))
    orgs = (make_district(), make_org(), make_org(source_id="school-2"))

    (row,) = mapping.person_rows(make_snapshot(orgs=orgs, people=(person,), enrollments=()))

    assert row["school_source_ids"] == ["school-2", "school-1"]


def test_person_whose_only_org_is_the_district_belongs_to_the_schools_of_their_classes():
    teacher = make_staff(org_source_ids=("district-1",))

    rows = rows_by_source_id(mapping.person_rows(make_snapshot(people=(make_student(), teacher))))

    assert rows["teacher-1"]["school_source_ids"] == ["school-1"]


def test_staff_at_the_district_only_with_no_classes_belongs_to_no_school():
    admin = make_staff("districtAdministrator", org_source_ids=("district-1",))

    (row,) = mapping.person_rows(make_snapshot(people=(admin,), enrollments=()))

    assert row["school_source_ids"] == []


def test_guardian_with_no_org_belongs_to_the_schools_of_their_linked_students():
    orgs = (make_district(), make_org(), make_org(source_id="school-2"))
    people = (make_student(), make_student(source_id="student-2", org_source_ids=("school-2",)),
              make_guardian())
    links = (GuardianLink("guardian-1", "student-1"), GuardianLink("guardian-1", "student-2"))

    rows = rows_by_source_id(mapping.person_rows(make_snapshot(orgs=orgs, people=people, guardian_links=links)))

    assert rows["guardian-1"]["school_source_ids"] == ["school-1", "school-2"]


def test_guardian_whose_only_org_is_the_district_also_takes_their_students_schools():
    people = (make_student(), make_guardian(org_source_ids=("district-1",)))

    rows = rows_by_source_id(mapping.person_rows(make_snapshot(people=people)))

    assert rows["guardian-1"]["school_source_ids"] == ["school-1"]


def test_guardian_with_a_school_of_their_own_keeps_it():
    orgs = (make_district(), make_org(), make_org(source_id="school-2"))
    people = (make_student(), make_guardian(org_source_ids=("school-2",)))

    rows = rows_by_source_id(mapping.person_rows(make_snapshot(orgs=orgs, people=people)))

    assert rows["guardian-1"]["school_source_ids"] == ["school-2"]


def test_guardian_with_no_org_and_no_linked_student_belongs_to_no_school():
    rows = rows_by_source_id(mapping.person_rows(make_snapshot(guardian_links=())))

    assert rows["guardian-1"]["school_source_ids"] == []


def test_person_rows_load_as_the_directory_contract_describes_them():
    rows = mapping.person_rows(make_snapshot())

    assert directory.upsert_people.load_request({"district_id": "d-1", "people": rows})["people"] == rows


# --- enrollments and guardian links --------------------------------------------------------


@pytest.mark.parametrize("source_role, role", [
    ("student", "student"), ("teacher", "teacher"), ("aide", "aide"), ("administrator", "administrator"),
    ("Teacher", "teacher"), ("proctor", "aide"), ("counselor", "aide"), ("principal", "administrator"),
    ("siteAdministrator", "administrator"), ("districtAdministrator", "administrator"),
])
def test_enrollment_roles_become_the_directory_class_roles(source_role, role):
    enrollment = make_enrollment(person_source_id="teacher-1", role=source_role)

    (rows, unmapped) = mapping.enrollment_rows(make_snapshot(enrollments=(enrollment,)))

    assert rows == [{"source_id": "enr-1", "classroom_source_id": "class-1", "person_source_id": "teacher-1",
                     "role": role}]
    assert unmapped == []


def test_enrollment_without_a_known_role_follows_the_kind_of_person_enrolled():
    enrollments = (make_enrollment(role=None),
                   make_enrollment(source_id="enr-2", person_source_id="teacher-1", role="mentor"))

    rows, _ = mapping.enrollment_rows(make_snapshot(enrollments=enrollments))

    assert [row["role"] for row in rows] == ["student", "teacher"]


def test_guardian_enrolled_in_a_class_is_left_out_and_reported():
    enrollments = (make_enrollment(), make_enrollment(source_id="enr-9", person_source_id="guardian-1",
                                                      role="parent"))

    rows, unmapped = mapping.enrollment_rows(make_snapshot(enrollments=enrollments))

    assert [row["source_id"] for row in rows] == ["enr-1"]
    (skipped,) = unmapped
    assert (skipped.file, skipped.source_id, skipped.column, skipped.value) == (
        "enrollments.csv", "enr-9", "role", "parent")
    assert "guardian-1" in skipped.reason


def test_enrollment_rows_load_as_the_directory_contract_describes_them():
    rows, _ = mapping.enrollment_rows(make_snapshot())

    loaded = directory.upsert_enrollments.load_request({"district_id": "d-1", "enrollments": rows})

    assert loaded["enrollments"] == rows


def test_every_class_role_the_mapping_produces_is_one_the_directory_accepts():
    accepted = set(directory.EnrollmentInput().fields["role"].validate.choices)

    assert set(mapping.ENROLLMENT_ROLES.values()) | {"student", "teacher"} <= accepted


def test_guardian_links_name_guardian_and_student_by_source_id():
    rows = mapping.guardian_link_rows(make_snapshot())

    assert rows == [{"guardian_source_id": "guardian-1", "student_source_id": "student-1"}]
    assert directory.upsert_guardian_links.load_request({"district_id": "d-1", "links": rows})["links"] == rows


# --- accounts and role grants ------------------------------------------------------------------


def test_account_carries_directory_person_id_names_and_contacts():
    person = make_guardian(email="anne@example.org", mobile_phone="+16172531000", home_phone="+16172531001")

    (account,) = mapping.account_rows(make_snapshot(people=(person,)), person_ids={"guardian-1": "p-9"},
                                      school_ids=SCHOOL_IDS)

    assert account == {
        "person_id": "p-9", "given_name": "Anne", "family_name": "Lovelace", "email": "anne@example.org",
        "mobile_phone": "+16172531000", "home_phone": "+16172531001",
        "roles": [{"role": "guardian", "school_ids": []}], "managed_by_sync": True, "enabled": True,
        "invalid_fields": [],
    }


def test_account_of_a_user_the_sis_disabled_is_sent_disabled():
    person = make_guardian(enabled_user=False)

    (account,) = mapping.account_rows(make_snapshot(people=(person,)), person_ids={"guardian-1": "p-9"},
                                      school_ids=SCHOOL_IDS)

    assert account["enabled"] is False


def test_credentials_the_reader_refused_are_named_so_identity_keeps_what_it_has():
    person = make_guardian(email=None, invalid_fields=("email", "mobile_phone"))

    (account,) = mapping.account_rows(make_snapshot(people=(person,)), person_ids={"guardian-1": "p-9"},
                                      school_ids=SCHOOL_IDS)

    assert account["invalid_fields"] == ["email", "mobile_phone"]
    loaded = identity.upsert_accounts.load_request({"district_id": "d-1", "accounts": [account]})
    assert loaded["accounts"][0]["invalid_fields"] == ["email", "mobile_phone"]


def test_people_the_directory_did_not_save_get_no_account():
    accounts = mapping.account_rows(make_snapshot(), person_ids={"student-1": "p-1"}, school_ids=SCHOOL_IDS)

    assert [account["person_id"] for account in accounts] == ["p-1"]


def test_student_is_granted_the_student_role_at_their_schools_by_directory_id():
    assert grants_of(make_student()) == [{"role": "student", "school_ids": ["dir-school-1"]}]


def test_schools_the_directory_did_not_save_are_left_out_of_grants():
    assert grants_of(make_student(), school_ids={}) == [{"role": "student", "school_ids": []}]


@pytest.mark.parametrize("role", ["administrator", "districtAdministrator", "DistrictAdministrator"])
def test_administrator_at_the_district_org_is_a_district_admin(role):
    admin = make_staff(role, org_source_ids=("district-1", "school-1"))

    assert grants_of(admin) == [{"role": "district_admin", "school_ids": []}]


@pytest.mark.parametrize("role", ["administrator", "principal", "siteAdministrator"])
def test_administrator_at_schools_is_a_school_admin_of_those_schools(role):
    orgs = (make_district(), make_org(), make_org(source_id="school-2"))
    admin = make_staff(role, org_source_ids=("school-1", "school-2"))

    grants = grants_of(admin, make_snapshot(orgs=orgs, people=(admin,)))

    assert grants == [{"role": "school_admin", "school_ids": ["dir-school-1", "dir-school-2"]}]


def test_district_administrator_whose_orgs_are_schools_only_is_a_school_admin():
    admin = make_staff("districtAdministrator", org_source_ids=("school-1",))

    assert grants_of(admin) == [{"role": "school_admin", "school_ids": ["dir-school-1"]}]


def test_without_a_district_org_nobody_becomes_district_admin():
    admin = make_staff("administrator", org_source_ids=("school-1",))
    snapshot = make_snapshot(orgs=(make_org(parent_source_id=None),), people=(admin,))

    assert grants_of(admin, snapshot) == [{"role": "school_admin", "school_ids": ["dir-school-1"]}]


@pytest.mark.parametrize("role", ["teacher", "aide", "counselor", "proctor", "staff"])
def test_other_staff_are_teachers_at_their_schools(role):
    assert grants_of(make_staff(role)) == [{"role": "teacher", "school_ids": ["dir-school-1"]}]


def test_administrator_with_neither_district_nor_school_is_a_teacher_with_no_school():
    admin = make_staff("administrator", org_source_ids=())

    assert grants_of(admin, make_snapshot(people=(admin,), enrollments=())) == [
        {"role": "teacher", "school_ids": []}]


def test_person_with_several_kinds_gets_a_grant_for_each():
    person = make_person(kinds=frozenset({STAFF, GUARDIAN}), roles=("teacher", "parent"))

    assert grants_of(person) == [
        {"role": "teacher", "school_ids": ["dir-school-1"]},
        {"role": "guardian", "school_ids": []},
    ]


def test_staff_with_several_roles_gets_each_grant_once():
    orgs = (make_district(), make_org(), make_org(source_id="school-2"))
    person = make_staff(roles=("principal", "teacher", "counselor"), org_source_ids=("school-1", "school-2"))

    grants = grants_of(person, make_snapshot(orgs=orgs, people=(person,)))

    assert grants == [
        {"role": "school_admin", "school_ids": ["dir-school-1", "dir-school-2"]},
        {"role": "teacher", "school_ids": ["dir-school-1", "dir-school-2"]},
    ]


def test_role_grants_are_in_source_ids_before_the_directory_ids_are_known():
    grants = mapping.role_grants(make_staff("principal"), ("school-1",), "district-1")

    assert grants == [("school_admin", ("school-1",))]


def test_grant_roles_are_the_identity_contracts_roles():
    assert mapping.ROLE_ORDER == identity.ROLES
    assert (mapping.STUDENT, mapping.STAFF, mapping.GUARDIAN) == (STUDENT, STAFF, GUARDIAN)
    assert mapping.KIND_ORDER == directory.KINDS


def test_account_rows_load_as_the_identity_contract_describes_them():
    accounts = mapping.account_rows(make_snapshot(), person_ids={"student-1": "p-1", "teacher-1": "p-2",
                                                                 "guardian-1": "p-3"}, school_ids=SCHOOL_IDS)

    loaded = identity.upsert_accounts.load_request({"district_id": "d-1", "accounts": accounts})

    assert loaded["accounts"] == accounts and len(accounts) == 3

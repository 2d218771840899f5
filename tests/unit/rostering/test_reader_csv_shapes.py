"""How districts really write CSV: BOMs, CRLF, header-only files, quoted lists, odd headers, extra columns."""
from oneroster_builders import (
    USER_COLUMNS,
    csv_text,
    located,
    make_class_row,
    make_course_row,
    make_enrollment_row,
    make_org_row,
    make_user_row,
    people_by_id,
    write_csv,
    write_header_only,
    write_package,
)

from services.rostering.adapters.sources.oneroster_csv.reader import read_package


def test_bom_crlf_and_missing_trailing_newline_are_tolerated(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "users.csv", [make_user_row()], bom=True, newline="\r\n", trailing_newline=False)
    write_csv(tmp_path, "manifest.csv", [{"propertyName": "oneroster.version", "value": "1.1"}], bom=True)

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert snapshot.version == "1.1" and len(snapshot.enrollments) == 1 and snapshot.problems == ()


def test_header_only_files_give_no_rows_and_no_findings_whatever_their_line_ending(tmp_path):
    write_package(tmp_path, classes=[make_class_row(courseSourcedId="")], enrollments=[])
    write_header_only(tmp_path, "enrollments.csv", tuple(make_enrollment_row()))
    write_header_only(tmp_path, "courses.csv", tuple(make_course_row()), newline="\r\n")

    snapshot = read_package(tmp_path)

    assert snapshot.enrollments == () and snapshot.courses == ()
    assert snapshot.problems == () and len(snapshot.classes) == 1
    assert {f.name: f.rows for f in snapshot.files}["enrollments.csv"] == 0


def test_quoted_list_fields_are_split_trimmed_and_deduplicated(tmp_path):
    orgs = [make_org_row(), make_org_row(sourcedId="school-2")]
    users = [make_user_row(orgSourcedIds=" school-1 , school-2,school-1,", grades="03,04")]
    write_package(tmp_path, orgs=orgs, users=users)
    assert '" school-1 , school-2,school-1,"' in (tmp_path / "users.csv").read_text()

    (person,) = read_package(tmp_path).people

    assert person.org_source_ids == ("school-1", "school-2") and person.grade == "03"


def test_extension_columns_are_kept_as_extras_and_empty_ones_left_out(tmp_path):
    org = {**make_org_row(), "metadata.city": "Springfield", "metadata.state": "", "ext_vendor_id": "v-9"}
    write_package(tmp_path, orgs=[org])

    snapshot = read_package(tmp_path)

    assert snapshot.orgs[0].extras == (("metadata.city", "Springfield"), ("ext_vendor_id", "v-9"))
    assert snapshot.warnings == ()


def test_unknown_columns_are_ignored_with_one_warning_per_file_suggesting_the_likely_name(tmp_path):
    users = [{**make_user_row(), "favouriteColour": "teal"}, {**make_user_row(sourcedId="s-2"), "favouriteColour": ""}]
    write_package(tmp_path, users=users)
    text = (tmp_path / "users.csv").read_text().replace("middleName", "midleName", 1)
    (tmp_path / "users.csv").write_text(text)

    snapshot = read_package(tmp_path)

    (warning,) = snapshot.warnings
    assert located([warning]) == [("users.csv", 1, None, "midleName, favouriteColour")]
    assert warning.reason == "unknown column(s) ignored: midleName (did you mean middleName?), favouriteColour"
    assert len(snapshot.people) == 2


def test_headers_in_another_case_or_with_spaces_are_matched_with_a_warning(tmp_path):
    write_package(tmp_path)
    text = (tmp_path / "users.csv").read_text().replace("sourcedId", "SourcedID", 1).replace("givenName", "given name")
    (tmp_path / "users.csv").write_text(text)

    snapshot = read_package(tmp_path)

    assert people_by_id(snapshot)["student-1"].given_name == "Ada"
    (warning,) = snapshot.warnings
    assert warning.reason == ("column(s) matched regardless of case or spaces: SourcedID as sourcedId, "
                              "given name as givenName")


def test_cells_are_trimmed_and_empty_cells_read_as_nothing(tmp_path):
    write_package(tmp_path, users=[make_user_row(givenName="  Ada ", middleName="   ", email=" ada@example.org ")])

    (person,) = read_package(tmp_path).people

    assert (person.given_name, person.middle_name, person.email) == ("Ada", None, "ada@example.org")


def test_a_short_row_reads_its_missing_trailing_cells_as_empty(tmp_path):
    write_package(tmp_path)
    header = ",".join(USER_COLUMNS)
    (tmp_path / "users.csv").write_text(f"{header}\nstudent-1,active,,true,school-1,student,ada,,Ada,Lovelace\n")

    (person,) = read_package(tmp_path).people

    assert (person.family_name, person.email, person.grade) == ("Lovelace", None, None)


def test_a_row_with_more_cells_than_the_header_is_a_row_error_even_when_it_ends_empty(tmp_path):
    write_package(tmp_path)
    header = ",".join(USER_COLUMNS)
    good = ",".join(make_user_row().values())
    shifted = ",".join(make_user_row(sourcedId="student-2", givenName="Lovelace, Ada").values())
    # The unquoted comma pushes the empty password into a 19th cell.
    (tmp_path / "users.csv").write_text(f"{header}\n{good}\n{shifted}\n")

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert located(snapshot.problems) == [("users.csv", 3, None, None)]
    assert "more cells than the header" in snapshot.problems[0].reason


def test_problem_line_is_where_a_multi_line_quoted_record_starts(tmp_path):
    write_package(tmp_path)
    quoted = make_user_row(sourcedId="student-2", middleName="Two\nLine\nName")
    bad = make_user_row(sourcedId="student-3", email="not-an-email")
    header, first = csv_text([quoted], USER_COLUMNS).rstrip("\n").split("\n", 1)
    second = csv_text([bad], USER_COLUMNS).split("\n", 1)[1]
    (tmp_path / "users.csv").write_text(f"{header}\n{first}\n\n{second}")

    snapshot = read_package(tmp_path)

    # header 1, quoted record 2-4, blank line 5, bad record 6; line breaks inside a name are control characters.
    assert located(snapshot.problems) == [
        ("users.csv", 2, "middleName", "Two\\nLine\\nName"),
        ("users.csv", 6, "email", "not-an-email"),
        ("enrollments.csv", 2, "userSourcedId", "student-1"),
    ]
    assert people_by_id(snapshot)["student-2"].middle_name == "Two Line Name"


def test_a_vendor_grade_column_stands_in_for_grades(tmp_path):
    user = {k: v for k, v in make_user_row().items() if k != "grades"} | {"grade": "07"}
    write_package(tmp_path, users=[user])

    (person,) = read_package(tmp_path).people

    assert person.grade == "07"

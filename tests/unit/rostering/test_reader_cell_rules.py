"""One bad cell never costs more than its row: control characters and over-long values are findings on that row."""
import json

import pytest
from oneroster_builders import (
    located,
    make_class_row,
    make_enrollment_row,
    make_org_row,
    make_user_row,
    people_by_id,
    write_package,
)
from typer.testing import CliRunner

from schoolctl.main import app
from services.rostering.domain.cell_rules import LIMITS, NAME_CHARS, SHOWN_CHARS
from services.rostering.adapters.sources.oneroster_csv.reader import read_package


def test_a_nul_in_a_name_is_removed_and_reported_and_the_row_kept(tmp_path):
    write_package(tmp_path, users=[make_user_row(givenName="A\x00da")])

    snapshot = read_package(tmp_path)

    assert people_by_id(snapshot)["student-1"].given_name == "Ada"
    assert located(snapshot.problems) == [("users.csv", 2, "givenName", "A\\x00da")]
    assert snapshot.problems[0].reason == "givenName: control characters removed; row kept"


@pytest.mark.parametrize("written, read", [("Math\t3A", "Math 3A"), ("Math\r\n3A", "Math 3A"),
                                           ("Ma\x7fth 3A", "Math 3A"), ("Math\u009b 3A", "Math 3A"),
                                           ("Math\u0085\u00853A", "Math 3A")])
def test_tabs_and_line_breaks_in_a_title_read_as_a_space_and_other_controls_are_dropped(tmp_path, written, read):
    write_package(tmp_path, classes=[make_class_row(title=written)])

    snapshot = read_package(tmp_path)

    assert snapshot.classes[0].title == read
    assert located(snapshot.problems) == [("classes.csv", 2, "title", snapshot.problems[0].value)]


def test_a_control_character_in_a_sourced_id_refuses_the_row(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_user_row(sourcedId="student\x002", givenName="Alan")])

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1"]
    assert located(snapshot.problems) == [("users.csv", 3, "sourcedId", "student\\x002")]
    assert snapshot.problems[0].reason == "sourcedId holds control characters; row skipped"


def test_an_over_long_reference_refuses_the_row(tmp_path):
    enrollments = [make_enrollment_row(), make_enrollment_row(sourcedId="enr-2", classSourcedId="c" * 300)]
    write_package(tmp_path, enrollments=enrollments)

    snapshot = read_package(tmp_path)

    assert [e.source_id for e in snapshot.enrollments] == ["enr-1"]
    assert located(snapshot.problems) == [("enrollments.csv", 3, "classSourcedId", "c" * 256 + "…")]
    assert snapshot.problems[0].reason == "classSourcedId is longer than 255 characters (300); row skipped"


def test_an_over_long_id_in_a_list_of_agents_refuses_the_row(tmp_path):
    write_package(tmp_path, users=[make_user_row(agentSourcedIds="guardian-1," + "g" * 256)], enrollments=[])

    snapshot = read_package(tmp_path)

    assert snapshot.people == ()
    assert snapshot.problems[0].reason == "agentSourcedIds names an id longer than 255 characters; row skipped"


def test_an_over_long_name_is_trimmed_to_its_limit_and_reported(tmp_path):
    write_package(tmp_path, users=[make_user_row(familyName="x" * 5000)])

    snapshot = read_package(tmp_path)

    assert people_by_id(snapshot)["student-1"].family_name == "x" * NAME_CHARS
    (problem,) = snapshot.problems
    assert (problem.column, problem.value) == ("familyName", "x" * SHOWN_CHARS + "…")
    assert problem.reason == "familyName: trimmed to 200 characters (it had 5,000); row kept"


def test_a_required_name_that_holds_only_control_characters_refuses_the_row(tmp_path):
    write_package(tmp_path, users=[make_user_row(givenName="\x00\x01")], enrollments=[])

    snapshot = read_package(tmp_path)

    assert snapshot.people == ()
    assert located(snapshot.problems) == [("users.csv", 2, "givenName", "\\x00\\x01")]
    assert snapshot.problems[0].reason == "givenName is required and holds only control characters; row skipped"


def test_an_optional_value_that_holds_only_control_characters_is_emptied(tmp_path):
    write_package(tmp_path, users=[make_user_row(middleName="\x00")])

    assert people_by_id(read_package(tmp_path))["student-1"].middle_name is None


def test_a_ten_megabyte_name_costs_only_its_row(tmp_path):
    users = [make_user_row(), make_user_row(sourcedId="student-2", familyName="x" * 10_000_000),
             make_user_row(sourcedId="student-3")]
    write_package(tmp_path, users=users)

    snapshot = read_package(tmp_path)

    assert [p.source_id for p in snapshot.people] == ["student-1", "student-3"]
    assert located(snapshot.problems) == [("users.csv", 3, None, None)]
    assert snapshot.problems[0].reason == ("a cell of the row is longer than 1,048,576 characters, more than a cell "
                                           "may hold; row skipped")
    assert {f.name: f.rows for f in snapshot.files}["users.csv"] == 3


def test_an_email_with_a_control_character_is_invalid_and_the_person_kept_without_it(tmp_path):
    write_package(tmp_path, users=[make_user_row(email="ada\t@example.org")])

    snapshot = read_package(tmp_path)

    person = people_by_id(snapshot)["student-1"]
    assert person.email is None and person.invalid_fields == ("email",)
    assert located(snapshot.problems) == [("users.csv", 2, "email", "ada\\t@example.org")]


def test_extension_columns_are_cleaned_like_any_kept_text(tmp_path):
    write_package(tmp_path, orgs=[{**make_org_row(), "metadata.city": "Spring\x00field"}])

    snapshot = read_package(tmp_path)

    assert snapshot.orgs[0].extras == (("metadata.city", "Springfield"),)
    assert located(snapshot.problems) == [("orgs.csv", 2, "metadata.city", "Spring\\x00field")]


def test_an_unknown_status_is_reported_shortened(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_user_row(sourcedId="student-2", status="z" * 5000)])

    snapshot = read_package(tmp_path)

    assert len(snapshot.problems[0].reason) < 400 and snapshot.problems[0].reason.endswith("row skipped")


def test_no_limit_is_below_the_one_a_whole_row_is_first_compared_with():
    # csv_rows looks closer only at a row longer in all than the shortest limit: a shorter one slows every row.
    assert min(limit for limit, _ in LIMITS.values()) == NAME_CHARS


def test_check_json_reports_what_import_would_refuse_with_file_line_and_column(tmp_path):
    write_package(tmp_path, users=[make_user_row(givenName="A\x00da"), make_user_row(sourcedId="s\x00-2")])

    result = CliRunner().invoke(app, ["roster", "check", str(tmp_path), "--json"])

    assert result.exit_code == 0, result.output
    errors = json.loads(result.stdout)["errors"]
    assert [(e["file"], e["line"], e["column"], e["value"]) for e in errors] == [
        ("users.csv", 2, "givenName", "A\\x00da"), ("users.csv", 3, "sourcedId", "s\\x00-2")]

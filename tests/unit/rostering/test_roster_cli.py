"""`schoolctl roster check` and `schoolctl roster generate`: files only, no broker, no database."""
import json

from oneroster_builders import family_package, make_user_row, write_package
from typer.testing import CliRunner

from schoolctl.main import app, run


def schoolctl(*args: str):
    return CliRunner().invoke(app, list(args))


def test_check_of_a_good_package_exits_0_with_a_readable_summary(tmp_path):
    result = schoolctl("roster", "check", str(family_package(tmp_path)))

    assert result.exit_code == 0, result.output
    assert "OneRoster 1.1 package" in result.output and "can be applied" in result.output
    students_row = next(line for line in result.output.splitlines() if "Students" in line)
    assert students_row.split("│")[2].strip() == "2"


def test_check_json_reports_version_files_counts_warnings_and_errors(tmp_path):
    write_package(tmp_path, users=[make_user_row(), make_user_row(sourcedId="student-2", email="nope")])

    result = schoolctl("roster", "check", str(tmp_path), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["version"] == "1.1"
    assert report["files"]["users.csv"] == {"mode": "bulk", "rows": 2, "read": True}
    assert report["counts"] == {"orgs": 1, "schools": 1, "students": 2, "staff": 0, "guardians": 0, "classes": 1,
                                "enrollments": 1, "guardian_links": 0}
    assert report["warnings"] == []
    (error,) = report["errors"]
    assert {key: error[key] for key in ("file", "line", "column", "value")} == {
        "file": "users.csv", "line": 3, "column": "email", "value": "nope"}
    assert error["reason"].startswith("invalid email address")


def test_check_of_a_rejected_package_exits_2_with_the_reason(tmp_path):
    write_package(tmp_path)
    (tmp_path / "users.csv").unlink()

    readable = schoolctl("roster", "check", str(tmp_path))
    as_json = schoolctl("roster", "check", str(tmp_path), "--json")

    assert readable.exit_code == as_json.exit_code == 2
    assert "Rejected" in readable.output and "users.csv" in readable.output
    report = json.loads(as_json.stdout)
    assert report["rejected"] == "manifest.csv line 8 lists users.csv as bulk, but the package has no users.csv"
    assert report["errors"] == [{"file": "manifest.csv", "line": 8, "column": None, "value": None,
                                 "reason": report["rejected"]}]


def test_check_of_a_path_that_does_not_exist_exits_64(tmp_path):
    result = schoolctl("roster", "check", str(tmp_path / "missing"))

    assert result.exit_code == 64 and "No such file or folder" in result.output


def test_check_with_an_unknown_region_exits_64(tmp_path):
    result = schoolctl("roster", "check", str(family_package(tmp_path)), "--region", "QQ")

    assert result.exit_code == 64 and "Unknown phone region QQ" in result.output


def test_check_reads_phones_in_the_given_region(tmp_path):
    write_package(tmp_path, users=[make_user_row(sms="020 7946 0958")])

    assert json.loads(schoolctl("roster", "check", str(tmp_path), "--json", "--region", "gb").stdout)["errors"] == []
    assert json.loads(schoolctl("roster", "check", str(tmp_path), "--json").stdout)["errors"][0]["column"] == "sms"


def test_check_usage_errors_exit_64(capsys):
    assert run(["roster", "check"]) == 64
    assert run(["roster", "check", "x", "--no-such-option"]) == 64


def test_generate_writes_a_package_that_check_accepts(tmp_path):
    out = tmp_path / "district"

    generated = schoolctl("roster", "generate", str(out), "--scale", "small", "--seed", "3")
    checked = schoolctl("roster", "check", str(out), "--json")

    assert generated.exit_code == 0, generated.output
    assert "Wrote a small-scale package (seed 3)" in generated.output
    assert checked.exit_code == 0 and json.loads(checked.stdout)["counts"]["students"] == 2000


def test_generate_refuses_to_write_over_an_existing_package(tmp_path):
    family_package(tmp_path)

    result = schoolctl("roster", "generate", str(tmp_path))

    assert result.exit_code == 64 and "already exists" in result.output


def test_generate_refuses_an_unknown_scale(capsys):
    assert run(["roster", "generate", "out", "--scale", "planet"]) == 64

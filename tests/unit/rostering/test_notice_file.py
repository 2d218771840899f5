"""A notices CSV read into one announcement per row: templates filled from the row, rows that cannot be sent
reported with their line, a file no row of which could be sent refused whole."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.rostering.domain.notice_file import NoticeFileRefused, addressed, read_notices

SUBJECT = "Attendance: {Student Name}"
BODY = "{Student Name} was marked {status} on {Date}."
HEADER = "Student ID,Student Name,Status,Date\n"


def read(text: str, subject: str = SUBJECT, body: str = BODY):
    return read_notices(text.splitlines(keepends=True), file="absences.csv", subject=subject, body=body)


def test_each_row_fills_the_templates_from_its_cells_matched_regardless_of_case_and_spaces():
    rows = read(HEADER + "student-1,Ada Lovelace,absent,2026-09-01\n")
    (notice,) = rows.notices
    assert (notice.line, notice.student_source_id) == (2, "student-1")
    assert notice.subject == "Attendance: Ada Lovelace"
    assert notice.body == "Ada Lovelace was marked absent on 2026-09-01."


def test_a_row_missing_a_field_the_notice_needs_is_reported_and_not_sent():
    rows = read(HEADER + "student-1,Ada Lovelace,,2026-09-01\nstudent-2,Alan Turing,tardy,2026-09-01\n")
    assert [notice.student_source_id for notice in rows.notices] == ["student-2"]
    (problem,) = rows.problems
    assert (problem.line, problem.column) == (2, "status") and "not sent" in problem.reason


def test_a_row_without_a_student_is_reported():
    rows = read(HEADER + ",Ada Lovelace,absent,2026-09-01\n")
    assert rows.notices == () and rows.problems[0].column == "Student ID"


def test_a_template_naming_a_column_the_file_lacks_refuses_the_whole_file():
    with pytest.raises(NoticeFileRefused, match="Period"):
        read(HEADER + "student-1,Ada,absent,2026-09-01\n", body="{Student Name} missed period {Period}")


def test_a_file_without_a_student_column_is_refused():
    with pytest.raises(NoticeFileRefused, match="no Student ID column"):
        read("Name,Status\nAda,absent\n", subject="x", body="y")


def test_students_the_district_does_not_hold_are_reported_not_sent():
    rows = read(HEADER + "student-1,Ada,absent,2026-09-01\nstudent-9,Sam,absent,2026-09-01\n")
    sendable, problems = addressed(rows, {"student-1": "person-1"}, file="absences.csv")
    assert [(notice.student_source_id, person) for notice, person in sendable] == [("student-1", "person-1")]
    assert [(problem.line, problem.value) for problem in problems] == [(3, "student-9")]
    assert "no student student-9" in problems[0].reason


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=',"{}\r\n'),
                min_size=1, max_size=30).filter(str.strip)


@given(name=cells, status=cells)
def test_what_a_row_says_is_what_the_notice_says(name, status):
    rows = read(f"Student ID,Student Name,Status,Date\nstudent-1,{name},{status},today\n")
    (notice,) = rows.notices
    assert notice.body == f"{name.strip()} was marked {status.strip()} on today."

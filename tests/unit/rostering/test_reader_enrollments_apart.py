"""enrollments.csv read in a child process beside the other files gives the Snapshot of a read in one process."""
import os
import signal
import time
from functools import partial

import pytest

from oneroster_builders import (
    family_package,
    make_enrollment_row,
    make_guardian_row,
    make_teacher_row,
    make_user_row,
    write_csv,
    write_package,
    zip_folder,
)

from services.rostering.adapters.sources.oneroster_csv import enrollments_apart, package_source
from services.rostering.adapters.sources.oneroster_csv.generator import SCALES, write_district
from services.rostering.adapters.sources.oneroster_csv.package_limits import ByteBudget
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain import enrollment_rows
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.progress import RowCount

ENROLLMENT_COLUMNS = ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                      "userSourcedId", "role", "primary", "beginDate", "endDate")


def read_both_ways(path):
    """The Snapshot read in one process, checked equal to the one read with a child; and the row counts."""
    here_rows, apart_rows = RowCount(), RowCount()
    here = read_package(path, rows=here_rows, enrollments_apart=False)
    apart = read_package(path, rows=apart_rows, enrollments_apart=True)
    assert apart == here
    assert apart_rows.rows == here_rows.rows
    assert_no_child_left()
    return here


def assert_no_child_left():
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def rejection_both_ways(path):
    """The refusal of a read in one process, checked the same (message, file, line) with a child."""
    with pytest.raises(PackageRejected) as here:
        read_package(path, enrollments_apart=False)
    with pytest.raises(PackageRejected) as apart:
        read_package(path, enrollments_apart=True)
    assert (str(apart.value), apart.value.file, apart.value.line) == (str(here.value), here.value.file,
                                                                       here.value.line)
    assert_no_child_left()
    return here.value


def broken_enrollments_package(folder, *, modes=None):
    """Every kind of enrollment row the shared rules report, some of them naming a merged parent."""
    users = [make_teacher_row(email="grace@lincoln.k12.us"), make_user_row(),
             make_user_row(sourcedId="student-2", givenName="Alan"),
             make_user_row(sourcedId="student-gone", status="tobedeleted"),
             make_guardian_row(sourcedId="parent-7", email="grace@lincoln.k12.us")]
    enrollments = [
        make_enrollment_row(**{"metadata.seat": "12"}),
        make_enrollment_row(sourcedId="enr-class", classSourcedId="class-404", beginDate="not a date"),
        make_enrollment_row(sourcedId="enr-user", userSourcedId="nobody", beginDate="2025/08/25"),
        make_enrollment_row(sourcedId="enr-later", userSourcedId="student-2", beginDate="2025/08/25"),
        make_enrollment_row(sourcedId="enr-school", schoolSourcedId="school-404", primary="maybe"),
        make_enrollment_row(sourcedId="enr-gone-user", userSourcedId="student-gone"),
        make_enrollment_row(sourcedId="enr-alias", userSourcedId="parent-7", role="teacher", primary="TRUE"),
        make_enrollment_row(sourcedId="enr-1"),
        make_enrollment_row(sourcedId="", dateLastModified="2025-08-01 10:00:00"),
        make_enrollment_row(sourcedId="enr-tomb", status="tobedeleted"),
        make_enrollment_row(sourcedId="enr-old", status="inactive", dateLastModified="yesterday"),
        make_enrollment_row(sourcedId="enr-odd", status="archived"),
        make_enrollment_row(sourcedId="enr-no-class", classSourcedId=""),
        make_enrollment_row(sourcedId="enr-dates", beginDate="2025-13-01", endDate="2026-06-30",
                            dateLastModified="2025-08-01 10:00:00"),
        make_enrollment_row(sourcedId="enr-note", primary="yes", endDate="06/30/2026"),
        make_enrollment_row(sourcedId="enr-multi", role="student\nteacher"),
        make_enrollment_row(sourcedId="enr-control", role="stu\x07dent"),
        make_enrollment_row(sourcedId="enr-status-case", status="Active", classSourcedId="CLASS-1"),
    ]
    write_package(folder, users=users, enrollments=enrollments, modes=modes)
    path = folder / "enrollments.csv"
    # An unquoted comma: one cell too many. Then a blank line, and a row with a sourcedId status column.
    path.write_text(path.read_text() + "enr-shifted,active,,class-1,school-1,student-1,student,false,,,x\n\n"
                    "enr-last,,,class-1,,student-2,student,,,\n")
    return folder


def test_a_small_generated_district_reads_the_same(tmp_path):
    snapshot = read_both_ways(write_district(tmp_path / "district", scale=SCALES["small"], seed=3))

    assert len(snapshot.enrollments) > 5_000


def test_broken_enrollment_rows_are_reported_alike_in_order_with_the_merged_parent_resolved(tmp_path):
    snapshot = read_both_ways(broken_enrollments_package(tmp_path))

    enrolled = {e.source_id: e.person_source_id for e in snapshot.enrollments}
    assert enrolled["enr-alias"] == "teacher-1"
    assert "enr-user" not in enrolled and "enr-tomb" not in enrolled
    assert [t.source_id for t in snapshot.tombstones if t.file == "enrollments.csv"] == ["enr-tomb", "enr-old"]
    assert {p.file for p in snapshot.problems} >= {"enrollments.csv"}
    assert len([p for p in snapshot.problems if p.file == "enrollments.csv"]) >= 10


def test_a_delta_with_broken_rows_reads_the_same(tmp_path):
    read_both_ways(broken_enrollments_package(tmp_path, modes={"enrollments": "delta", "users": "delta"}))


def test_a_zipped_package_reads_the_same(tmp_path):
    folder = broken_enrollments_package(tmp_path / "package")

    read_both_ways(zip_folder(folder, tmp_path / "package.zip", prefix="export/"))


def test_a_1_2_package_reads_the_same(tmp_path):
    read_both_ways(write_package(tmp_path, version="1.2",
                                 enrollments=[make_enrollment_row(), make_enrollment_row(sourcedId="enr-2",
                                                                                         userSourcedId="nobody")]))


def test_header_findings_and_a_refused_enrollments_file_read_the_same(tmp_path):
    row = make_enrollment_row(seat="12")
    renamed = write_package(tmp_path / "renamed", enrollments=[
        {("Class SourcedId" if column == "classSourcedId" else column): value for column, value in row.items()}])
    refused = family_package(tmp_path / "refused")
    write_csv(refused, "enrollments.csv", [make_enrollment_row()], ENROLLMENT_COLUMNS[:5])

    assert read_both_ways(renamed).warnings
    assert not read_both_ways(refused).files[-1].read


def test_a_package_without_enrollments_reads_the_same(tmp_path):
    package = family_package(tmp_path)
    (package / "enrollments.csv").unlink()
    (package / "manifest.csv").unlink()

    assert read_both_ways(package).enrollments == ()


def test_an_unreadable_enrollments_file_is_refused_alike(tmp_path):
    package = family_package(tmp_path)
    path = package / "enrollments.csv"
    path.write_bytes(path.read_bytes() + b"enr-9,active,,class-1,school-1,student-\xff,student,false,,\n")

    refusal = rejection_both_ways(package)

    assert refusal.file == "enrollments.csv"


def test_users_refused_before_enrollments_are_read_stop_the_child(tmp_path):
    package = family_package(tmp_path)
    write_csv(package, "users.csv", [{"givenName": "Ada", "familyName": "Lovelace", "role": "student"}])

    assert rejection_both_ways(package).file == "users.csv"


@pytest.mark.parametrize("spare", [0, 10_000], ids=["enrollments-alone-too-big", "only-with-the-others"])
def test_the_byte_budget_holds_across_the_whole_package(tmp_path, monkeypatch, spare):
    package = write_district(tmp_path / "district", scale=SCALES["small"], seed=3)
    others = sum(p.stat().st_size for p in package.iterdir() if p.name != "enrollments.csv")
    enrollments = (package / "enrollments.csv").stat().st_size
    limit = others + enrollments - 1 if spare else enrollments - 1
    monkeypatch.setattr(package_source, "ByteBudget", partial(ByteBudget, limit=limit))

    refusal = rejection_both_ways(package)

    assert refusal.file == "enrollments.csv" and "stopped while reading enrollments.csv" in str(refusal)


def exit_at_once(*_args, **_kwargs):
    os._exit(3)


def killed(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def raising(*_args, **_kwargs):
    raise MemoryError


@pytest.mark.parametrize("child", [exit_at_once, killed, raising])
def test_a_child_that_fails_leaves_the_read_to_the_reader(tmp_path, monkeypatch, child):
    package = broken_enrollments_package(tmp_path)
    monkeypatch.setattr(enrollments_apart, "read_ahead", child)

    read_both_ways(package)


def test_a_child_that_outlasts_its_patience_is_killed_and_the_file_read_here(tmp_path, monkeypatch):
    package = broken_enrollments_package(tmp_path)
    monkeypatch.setattr(enrollments_apart, "read_ahead", lambda *_: time.sleep(60))
    monkeypatch.setattr(enrollments_apart, "PATIENCE_SECONDS", 0.3)
    started = time.monotonic()

    read_both_ways(package)

    assert time.monotonic() - started < 30


def test_the_rows_come_from_the_child_when_it_reads_them(tmp_path, monkeypatch):
    handed_over = []
    result = enrollments_apart.EnrollmentsApart.result

    def counted(self):
        read = result(self)
        handed_over.append((read.count, sum(len(chunk[0]) for chunk in read.chunks)) if read else None)
        return read
    monkeypatch.setattr(enrollments_apart.EnrollmentsApart, "result", counted)

    read_both_ways(broken_enrollments_package(tmp_path))

    assert handed_over == [(20, 14)]  # records, and live rows


def test_rows_handed_over_in_many_chunks_keep_their_findings_in_place(tmp_path, monkeypatch):
    monkeypatch.setattr(enrollment_rows, "CHUNK_ROWS", 2)

    read_both_ways(broken_enrollments_package(tmp_path))


def test_only_a_large_enrollments_file_is_read_apart():
    assert not enrollments_apart.reads_apart(enrollments_apart.APART_BYTES - 1)
    assert enrollments_apart.reads_apart(enrollments_apart.APART_BYTES)

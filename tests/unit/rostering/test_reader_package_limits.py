"""A package cannot exhaust the machine: zip bombs, lying zips, endless lines and absurd headers are refused."""
import io
import time
import tracemalloc

import pytest
from oneroster_builders import (
    USER_COLUMNS,
    declare_size,
    located,
    make_enrollment_row,
    make_user_row,
    write_package,
    write_zeros_zip,
    zip_folder,
)

from services.rostering.domain.errors import PackageRejected
from services.rostering.adapters.sources.oneroster_csv.package_limits import (
    LINE_BYTES,
    PACKAGE_BYTES,
    ByteBudget,
    GuardedStream,
    check_declared_sizes,
)
from services.rostering.adapters.sources.oneroster_csv.reader import read_package

MIB = 1 << 20


def refused_quickly_and_lightly(path) -> PackageRejected:
    """The rejection, after asserting it took well under a second and a few MB of memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(PackageRejected) as rejected:
            read_package(path)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5 and peak < 5 * MIB, (elapsed, peak)
    return rejected.value


def test_a_zip_bomb_is_refused_before_anything_is_expanded(tmp_path):
    bomb = write_zeros_zip(tmp_path / "bomb.zip", "users.csv", mebibytes=64)  # 64 MiB in 64 KB

    rejected = refused_quickly_and_lightly(bomb)

    assert rejected.file == "users.csv"
    assert "expands from" in rejected.message and "taken as a zip bomb" in rejected.message


def test_a_zip_declaring_gigabytes_is_refused_before_anything_is_read(tmp_path):
    archive = zip_folder(write_package(tmp_path / "package"), tmp_path / "package.zip", prefix="Export/")
    declare_size(archive, "Export/enrollments.csv", 3 << 30)

    rejected = refused_quickly_and_lightly(archive)

    assert rejected.file == "enrollments.csv" and "3,221,225,472 bytes" in rejected.message


def test_a_zip_whose_headers_understate_a_member_is_read_no_further_than_declared(tmp_path):
    folder = write_package(tmp_path / "package", users=[make_user_row(sourcedId=f"s-{n}") for n in range(2000)])
    archive = declare_size(zip_folder(folder, tmp_path / "package.zip"), "users.csv", 1000)

    with pytest.raises(PackageRejected, match="users.csv cannot be read"):
        read_package(archive)


def test_files_this_product_never_opens_do_not_count_against_the_limits(tmp_path):
    archive = zip_folder(write_package(tmp_path / "package"), tmp_path / "package.zip")
    write_zeros_zip(archive, "results.csv", mebibytes=8)  # gradebook results, never read

    assert len(read_package(archive).people) == 1


def test_the_declared_sizes_of_a_package_add_up_against_its_limit():
    half = PACKAGE_BYTES // 2
    check_declared_sizes([("users.csv", half, half), ("enrollments.csv", half, half)])

    with pytest.raises(PackageRejected, match="more than the 2 GiB a package may hold"):
        check_declared_sizes([("users.csv", half, half), ("enrollments.csv", half + 1, half)])


def test_a_member_compressing_less_than_a_hundred_times_or_under_four_mib_passes():
    check_declared_sizes([("enrollments.csv", 55 * MIB, 3 * MIB), ("orgs.csv", 4 * MIB, 1)])


def test_bytes_actually_read_are_counted_whatever_was_declared():
    budget = ByteBudget(limit=100)
    stream = GuardedStream(io.BytesIO(b"x\n" * 80), "users.csv", budget)

    with pytest.raises(PackageRejected, match="more than 100 bytes") as rejected:
        stream.read()

    assert rejected.value.file == "users.csv"


def test_a_line_longer_than_the_limit_is_refused_naming_file_and_line(tmp_path):
    write_package(tmp_path, users=[make_user_row()])
    with open(tmp_path / "users.csv", "a", encoding="utf-8") as users:
        users.write("s-2," + "x" * (LINE_BYTES + 1) + "\n")

    with pytest.raises(PackageRejected, match="users.csv line 3 is longer than 16 MiB") as rejected:
        read_package(tmp_path)

    assert (rejected.value.file, rejected.value.line) == ("users.csv", 3)


@pytest.mark.parametrize("data, split, holds", [
    (b"Zo\xc2\x9be", 3, True),  # a C1 control split between two reads
    (b"Zo\xc2\xa0e", 3, False),  # a no-break space split the same way is no control
    (b"Ada\tLovelace", 2, True),
    (b"Ada Lovelace\r\n", 5, False),
])
def test_the_stream_notices_control_bytes_even_split_between_reads(data, split, holds):
    stream = GuardedStream(io.BytesIO(data), "users.csv", ByteBudget())

    stream.read1(split)
    stream.read1()

    assert stream.controls is holds


def test_a_header_of_a_hundred_thousand_columns_refuses_only_its_file_quickly(tmp_path):
    write_package(tmp_path)
    columns = tuple(make_enrollment_row()) + tuple(f"extra{n}" for n in range(100_000 - len(make_enrollment_row())))
    (tmp_path / "enrollments.csv").write_text(",".join(columns) + "\n" + ",".join(make_enrollment_row().values())
                                              + "\n")

    started = time.perf_counter()
    snapshot = read_package(tmp_path)

    assert time.perf_counter() - started < 1
    assert located(snapshot.problems) == [("enrollments.csv", 1, None, None)]
    assert snapshot.problems[0].reason == ("the header has 100,000 columns, more than the 1,000 a file may have; "
                                           "no row of enrollments.csv read")
    assert snapshot.enrollments == () and len(snapshot.people) == 1
    assert {f.name: f.read for f in snapshot.files}["enrollments.csv"] is False


def test_a_users_file_with_an_absurd_header_rejects_the_package_saying_why(tmp_path):
    write_package(tmp_path)
    (tmp_path / "users.csv").write_text(",".join(USER_COLUMNS + tuple(f"x{n}" for n in range(5000))) + "\n")

    with pytest.raises(PackageRejected, match="the header has 5,018 columns"):
        read_package(tmp_path)

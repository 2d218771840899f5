"""Where a package comes from: folder or zip, its manifest, file names, version, and what rejects it whole."""
import zipfile

import pytest
from oneroster_builders import (
    family_package,
    located,
    make_enrollment_row,
    make_org_row,
    make_role_row,
    make_user_row,
    make_user_row_1_2,
    manifest_rows,
    people_by_id,
    write_csv,
    write_package,
    zip_folder,
)

from services.rostering.domain.errors import PackageRejected
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain.snapshot import BULK, DELTA


def warnings_about(snapshot, file):
    return [w.reason for w in snapshot.warnings if w.file == file]


# --- folder or zip --------------------------------------------------------------------


def test_zip_package_reads_the_same_as_its_folder(tmp_path):
    folder = family_package(tmp_path / "package")

    from_folder = read_package(folder)

    assert read_package(zip_folder(folder, tmp_path / "package.zip")) == from_folder
    assert read_package(zip_folder(folder, tmp_path / "nested.zip", prefix="export/")) == from_folder


def test_zip_with_mac_metadata_folder_reads_only_the_package(tmp_path):
    folder = family_package(tmp_path / "package")
    archive = zip_folder(folder, tmp_path / "package.zip")
    with zipfile.ZipFile(archive, "a") as writing:
        writing.writestr("__MACOSX/._users.csv", b"\x00\x05\x16\x07 resource fork")

    assert read_package(archive) == read_package(folder)


def test_package_path_that_does_not_exist_is_rejected(tmp_path):
    with pytest.raises(PackageRejected, match="does not exist"):
        read_package(tmp_path / "missing")


def test_file_that_is_not_a_zip_is_rejected(tmp_path):
    corrupt = tmp_path / "package.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")

    with pytest.raises(PackageRejected, match="not a readable folder or zip"):
        read_package(corrupt)


def test_two_files_whose_names_differ_only_in_case_reject_the_package(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "USERS.csv", [make_user_row()])

    with pytest.raises(PackageRejected, match="both"):
        read_package(tmp_path)


# --- the manifest ----------------------------------------------------------------------


def test_manifest_gives_the_version_and_each_files_mode(tmp_path):
    write_package(tmp_path, modes={"enrollments": "delta"})

    snapshot = read_package(tmp_path)

    modes = {f.name: f.mode for f in snapshot.files}
    assert modes["users.csv"] == BULK and modes["enrollments.csv"] == DELTA
    assert "enrollments.csv" not in snapshot.full_snapshot_files and snapshot.warnings == ()


def test_file_listed_as_absent_is_ignored_even_if_present_with_a_warning(tmp_path):
    write_package(tmp_path, modes={"courses": "absent"}, classes=[])
    write_csv(tmp_path, "classes.csv", [{"sourcedId": "class-1", "title": "Math", "schoolSourcedId": "school-1",
                                         "courseSourcedId": "course-1"}])

    snapshot = read_package(tmp_path)

    assert snapshot.courses == () and "courses.csv" not in {f.name for f in snapshot.files}
    assert warnings_about(snapshot, "manifest.csv") == ["manifest.csv lists courses.csv as absent; courses.csv ignored"]
    assert located(w for w in snapshot.warnings if w.file == "manifest.csv") == [("manifest.csv", 6, "value", "absent")]
    # Classes name a course nobody could check: kept, said once.
    assert [c.course_source_id for c in snapshot.classes] == ["course-1"]
    assert "courses.csv was not read" in warnings_about(snapshot, "classes.csv")[0]


def test_file_present_but_missing_from_the_manifest_is_read_as_bulk_with_a_warning(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "manifest.csv", manifest_rows("1.1", orgs="bulk", users="bulk", enrollments="bulk",
                                                      classes="bulk", courses="bulk"))

    snapshot = read_package(tmp_path)

    assert warnings_about(snapshot, "academicSessions.csv") == [
        "academicSessions.csv is in the package but not in manifest.csv; read as bulk"]
    assert len(snapshot.sessions) == 1


def test_unused_csv_missing_from_the_manifest_is_ignored_with_a_warning(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "demographics.csv", [{"sourcedId": "student-1", "sex": "female"}])

    snapshot = read_package(tmp_path)

    assert warnings_about(snapshot, "demographics.csv") == [
        "demographics.csv is in the package but not in manifest.csv; ignored"]


def test_file_names_match_the_manifest_regardless_of_case_with_a_warning(tmp_path):
    write_package(tmp_path)
    (tmp_path / "users.csv").rename(tmp_path / "Users.CSV")
    (tmp_path / "manifest.csv").rename(tmp_path / "MANIFEST.csv")

    snapshot = read_package(tmp_path)

    assert len(snapshot.people) == 1
    assert warnings_about(snapshot, "users.csv") == ["Users.CSV taken as users.csv (file names matched regardless "
                                                     "of case)"]


def test_file_listed_in_the_manifest_but_missing_is_an_error_on_that_manifest_line(tmp_path):
    write_package(tmp_path, modes={"courses": "bulk"}, classes=[], enrollments=[])
    (tmp_path / "courses.csv").unlink()

    snapshot = read_package(tmp_path)

    assert located(snapshot.problems) == [("manifest.csv", 6, "value", "bulk")]
    assert "does not hold it" in snapshot.problems[0].reason and len(snapshot.people) == 1


def test_manifest_listing_users_that_are_missing_rejects_the_package(tmp_path):
    write_package(tmp_path)
    (tmp_path / "users.csv").unlink()

    with pytest.raises(PackageRejected, match="line 8 lists users.csv as bulk, but the package has no users.csv"
                       ) as rejected:
        read_package(tmp_path)

    assert (rejected.value.file, rejected.value.line) == ("manifest.csv", 8)


def test_manifest_with_an_unknown_file_mode_rejects_the_package(tmp_path):
    write_package(tmp_path, modes={"users": "full"})

    with pytest.raises(PackageRejected, match="file.users is 'full'; expected bulk, delta or absent"):
        read_package(tmp_path)


def test_an_empty_or_unknown_mode_for_a_file_this_product_does_not_read_is_a_warning_on_its_line(tmp_path):
    write_package(tmp_path, modes={"lineItems": "", "results": "full", "demographics": "n/a", "roles": "?"})
    write_csv(tmp_path, "lineItems.csv", [{"sourcedId": "li-1", "title": "Quiz 1"}])

    snapshot = read_package(tmp_path)

    assert len(snapshot.people) == 1 and snapshot.problems == ()
    assert located(snapshot.warnings) == [("manifest.csv", 10, "value", None), ("manifest.csv", 11, "value", "full"),
                                          ("manifest.csv", 12, "value", "n/a"), ("manifest.csv", 13, "value", "?")]
    assert snapshot.warnings[0].reason == ("file.lineItems is empty, not bulk, delta or absent; ignored, as "
                                           "lineItems.csv is not a file this product reads")
    assert "roles.csv is not a file this product reads" in snapshot.warnings[3].reason  # not in a 1.1 package


def test_an_empty_mode_for_a_file_this_product_reads_rejects_the_package_naming_the_line(tmp_path):
    write_package(tmp_path, modes={"enrollments": ""})

    with pytest.raises(PackageRejected) as rejected:
        read_package(tmp_path)

    assert (rejected.value.file, rejected.value.line) == ("manifest.csv", 9)
    assert rejected.value.message == ("manifest.csv line 9: file.enrollments is empty; OneRoster gives an empty "
                                      "value no meaning, and enrollments.csv is read, so it must say bulk, delta "
                                      "or absent")


def test_an_unknown_mode_for_a_1_2_file_in_a_1_2_package_rejects_it(tmp_path):
    write_package(tmp_path, version="1.2", modes={"roles": "full"})

    with pytest.raises(PackageRejected, match="file.roles is 'full'; expected bulk, delta or absent") as rejected:
        read_package(tmp_path)

    assert rejected.value.line == 10


def test_manifest_with_an_unsupported_version_rejects_the_package(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "manifest.csv", manifest_rows("1.0", users="bulk"))

    with pytest.raises(PackageRejected, match="version '1.0' is not supported") as rejected:
        read_package(tmp_path)

    assert (rejected.value.file, rejected.value.line) == ("manifest.csv", 3)


def test_manifest_without_its_columns_rejects_the_package(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "manifest.csv", [{"name": "oneroster.version", "setting": "1.1"}])

    with pytest.raises(PackageRejected, match="manifest.csv is unreadable"):
        read_package(tmp_path)


def test_manifest_that_is_fully_quoted_with_crlf_is_read(tmp_path):
    write_package(tmp_path, manifest=False)
    lines = ['"propertyName","value"', '"oneroster.version","1.1"', '"file.users","bulk"', '"file.orgs","bulk"',
             '"file.classes","bulk"', '"file.courses","bulk"', '"file.academicSessions","bulk"',
             '"file.enrollments","delta"']
    (tmp_path / "manifest.csv").write_bytes("\r\n".join(lines).encode())

    snapshot = read_package(tmp_path)

    assert snapshot.mode_of("enrollments.csv") == DELTA and snapshot.warnings == ()


# --- the version -------------------------------------------------------------------------


def test_without_a_manifest_a_role_column_means_1_1_and_every_file_is_bulk(tmp_path):
    write_package(tmp_path, manifest=False)

    snapshot = read_package(tmp_path)

    assert snapshot.version == "1.1" and {f.mode for f in snapshot.files} == {BULK}
    assert located(snapshot.warnings) == [("manifest.csv", None, None, None)]
    assert snapshot.warnings[0].reason == ("no manifest.csv: OneRoster 1.1 inferred (users.csv has a role column); "
                                           "every file read as bulk")


def test_without_a_manifest_a_roles_file_means_1_2(tmp_path):
    write_package(tmp_path, version="1.2", manifest=False)

    snapshot = read_package(tmp_path)

    assert snapshot.version == "1.2" and people_by_id(snapshot)["student-1"].kinds == {"student"}
    assert "roles.csv" in snapshot.warnings[0].reason


def test_without_a_manifest_a_package_with_no_way_to_tell_roles_is_rejected(tmp_path):
    write_package(tmp_path, manifest=False, users=[make_user_row_1_2()])

    with pytest.raises(PackageRejected, match="cannot tell the OneRoster version"):
        read_package(tmp_path)


def test_manifest_without_a_version_infers_it_with_a_warning(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "manifest.csv", manifest_rows("", users="bulk", orgs="bulk", classes="bulk",
                                                      courses="bulk", academicSessions="bulk", enrollments="bulk"))

    snapshot = read_package(tmp_path)

    assert snapshot.version == "1.1"
    assert snapshot.warnings[0].reason.startswith("manifest.csv has no oneroster.version: 1.1 inferred")


def test_a_1_2_file_in_a_1_1_package_is_ignored_with_a_warning(tmp_path):
    write_package(tmp_path, roles=[make_role_row(role="teacher")])

    snapshot = read_package(tmp_path)

    assert people_by_id(snapshot)["student-1"].roles == ("student",)
    assert warnings_about(snapshot, "roles.csv") == ["roles.csv is a OneRoster 1.2 file; ignored in a 1.1 package"]


# --- structural problems -------------------------------------------------------------------


def test_manifest_listing_users_as_absent_rejects_the_package(tmp_path):
    write_package(tmp_path, modes={"users": "absent"})

    with pytest.raises(PackageRejected, match="lists users.csv as absent, but every package needs its users"):
        read_package(tmp_path)


def test_package_without_users_csv_is_rejected(tmp_path):
    write_package(tmp_path, manifest=False)
    (tmp_path / "users.csv").unlink()

    with pytest.raises(PackageRejected, match="users.csv"):
        read_package(tmp_path)


def test_users_csv_without_a_sourced_id_column_is_rejected(tmp_path):
    write_package(tmp_path)
    write_csv(tmp_path, "users.csv", [{k: v for k, v in make_user_row().items() if k != "sourcedId"}])

    with pytest.raises(PackageRejected, match="sourcedId"):
        read_package(str(tmp_path))


def test_1_2_package_with_no_roles_at_all_is_rejected(tmp_path):
    write_package(tmp_path, version="1.2")
    (tmp_path / "roles.csv").unlink()
    write_csv(tmp_path, "manifest.csv", manifest_rows("1.2", users="bulk", orgs="bulk"))

    with pytest.raises(PackageRejected, match="no roles.csv"):
        read_package(tmp_path)


def test_file_that_is_not_utf8_rejects_the_package_naming_file_and_line(tmp_path):
    write_package(tmp_path, orgs=[make_org_row(), make_org_row(sourcedId="school-2", name="Zoë")])
    (tmp_path / "orgs.csv").write_bytes((tmp_path / "orgs.csv").read_text().encode("cp1252"))

    with pytest.raises(PackageRejected, match="orgs.csv cannot be read at line") as rejected:
        read_package(tmp_path)

    assert rejected.value.file == "orgs.csv"


def test_enrollments_file_is_read_when_users_come_from_a_zip_subfolder(tmp_path):
    folder = write_package(tmp_path / "package", enrollments=[make_enrollment_row()])
    archive = zip_folder(folder, tmp_path / "package.zip", prefix="District Export 2026/")

    assert len(read_package(archive).enrollments) == 1


def test_zip_whose_member_is_corrupt_rejects_the_package_naming_the_file(tmp_path):
    folder = write_package(tmp_path / "package", users=[make_user_row(sourcedId=f"s-{n}") for n in range(200)])
    archive = zip_folder(folder, tmp_path / "package.zip")
    with zipfile.ZipFile(archive) as reading:
        info = reading.getinfo("users.csv")
    data = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 2000:start + 2010] = b"##########"  # same length, so only the CRC check can tell
    archive.write_bytes(bytes(data))

    with pytest.raises(PackageRejected, match="users.csv cannot be read") as rejected:
        read_package(archive)

    assert rejected.value.file == "users.csv"

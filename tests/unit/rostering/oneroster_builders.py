"""OneRoster CSV packages written by the tests themselves: rows with overrides, files, manifests, zips."""
from __future__ import annotations

import csv
import io
import struct
import zipfile
from pathlib import Path

USER_COLUMNS = (
    "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
    "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
    "agentSourcedIds", "grades", "password",
)
USER_COLUMNS_1_2 = (
    "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName", "familyName",
    "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password",
    "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
    "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
)
FILE_NAMES = {"orgs": "orgs.csv", "academicSessions": "academicSessions.csv", "courses": "courses.csv",
              "classes": "classes.csv", "users": "users.csv", "enrollments": "enrollments.csv",
              "roles": "roles.csv", "userProfiles": "userProfiles.csv"}


# --- rows ----------------------------------------------------------------------------


def make_org_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "school-1", "status": "active", "dateLastModified": "", "name": "Lincoln Elementary",
           "type": "school", "identifier": "LIN", "parentSourcedId": ""}
    return {**row, **overrides}


def make_district_row(**overrides: str) -> dict[str, str]:
    return make_org_row(**{"sourcedId": "district-1", "name": "Lincoln USD", "type": "district", "identifier": "",
                           **overrides})


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


def make_guardian_row(**overrides: str) -> dict[str, str]:
    return make_user_row(**{"sourcedId": "guardian-1", "role": "parent", "givenName": "Anne", "username": "",
                            "identifier": "", "grades": "", **overrides})


def make_teacher_row(**overrides: str) -> dict[str, str]:
    return make_user_row(**{"sourcedId": "teacher-1", "role": "teacher", "givenName": "Grace",
                            "familyName": "Hopper", "username": "grace", "identifier": "T001", "grades": "",
                            **overrides})


def make_user_row_1_2(**overrides: str) -> dict[str, str]:
    row = dict.fromkeys(USER_COLUMNS_1_2, "")
    row.update({"sourcedId": "student-1", "status": "active", "enabledUser": "true", "username": "ada",
                "givenName": "Ada", "familyName": "Lovelace", "identifier": "S001", "grades": "03"})
    return {**row, **overrides}


def make_role_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "role-1", "status": "active", "dateLastModified": "", "userSourcedId": "student-1",
           "roleType": "primary", "role": "student", "beginDate": "", "endDate": "", "orgSourcedId": "school-1",
           "userProfileSourcedId": ""}
    return {**row, **overrides}


def make_profile_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "profile-1", "status": "active", "dateLastModified": "", "userSourcedId": "student-1",
           "profileType": "lms", "vendorId": "vendor-1", "applicationId": "app-1", "description": "Reading app",
           "credentialType": "password", "username": "ada.reads", "password": "s3cret"}
    return {**row, **overrides}


def make_enrollment_row(**overrides: str) -> dict[str, str]:
    row = {"sourcedId": "enr-1", "status": "active", "dateLastModified": "", "classSourcedId": "class-1",
           "schoolSourcedId": "school-1", "userSourcedId": "student-1", "role": "student", "primary": "false",
           "beginDate": "", "endDate": ""}
    return {**row, **overrides}


def manifest_rows(version: str = "1.1", **modes: str) -> list[dict[str, str]]:
    rows = [{"propertyName": "manifest.version", "value": "1.0"}]
    if version:
        rows.append({"propertyName": "oneroster.version", "value": version})
    return rows + [{"propertyName": f"file.{name}", "value": mode} for name, mode in modes.items()]


# --- files and packages ------------------------------------------------------------------


def csv_text(rows: list[dict[str, str]], columns: tuple[str, ...] | None = None, *, newline: str = "\n") -> str:
    columns = columns or tuple(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator=newline)
    writer.writeheader()
    writer.writerows({column: row.get(column, "") for column in columns} for row in rows)
    return out.getvalue()


def write_csv(folder: Path, name: str, rows: list[dict[str, str]], columns: tuple[str, ...] | None = None, *,
              bom: bool = False, newline: str = "\n", trailing_newline: bool = True) -> Path:
    text = csv_text(rows, columns, newline=newline)
    if not trailing_newline:
        text = text.removesuffix(newline)
    path = folder / name
    path.write_bytes((("\ufeff" if bom else "") + text).encode("utf-8"))
    return path


def write_header_only(folder: Path, name: str, columns: tuple[str, ...], *, newline: str = "") -> Path:
    path = folder / name
    path.write_text(",".join(columns) + newline, encoding="utf-8")
    return path


def default_files(version: str) -> dict[str, list[dict[str, str]]]:
    files = {
        "orgs": [make_org_row()],
        "academicSessions": [make_session_row()],
        "courses": [make_course_row()],
        "classes": [make_class_row()],
        "users": [make_user_row()],
        "enrollments": [make_enrollment_row()],
    }
    if version == "1.2":
        files["users"] = [make_user_row_1_2()]
        files["roles"] = [make_role_row()]
    return files


def write_package(folder: Path, *, version: str = "1.1", manifest: bool = True,
                  modes: dict[str, str] | None = None, **files: list[dict[str, str]]) -> Path:
    """A package where every file defaults to one valid row; pass name=[rows] to replace one.

    With `manifest` (the default) a manifest.csv lists every file as bulk,
    unless `modes` says otherwise for a file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    defaults = default_files(version)
    contents = {**defaults, **files}
    for name, rows in contents.items():
        # An empty list writes a header-only file, with the default row's columns.
        columns = tuple(rows[0]) if rows else tuple(defaults[name][0])
        write_csv(folder, FILE_NAMES.get(name, name), rows, columns)
    if manifest:
        listed = {name: "bulk" for name in contents} | (modes or {})
        write_csv(folder, "manifest.csv", manifest_rows(version, **listed))
    return folder


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return target


def write_zeros_zip(target: Path, member: str = "users.csv", mebibytes: int = 64) -> Path:
    """A zip bomb: a member of zeros, streamed through zipfile, about a thousandth of its size zipped.

    Added to `target` when it is already a zip.
    """
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(member, "w", force_zip64=True) as out:
            for _ in range(mebibytes):
                out.write(zeros)
    return target


def declare_size(archive: Path, member: str, size: int) -> Path:
    """The zip with `member`'s uncompressed size rewritten in both its headers: a zip that lies about itself."""
    with zipfile.ZipFile(archive) as reading:
        info, directory_at = reading.getinfo(member), reading.start_dir
    data = bytearray(archive.read_bytes())
    struct.pack_into("<I", data, info.header_offset + 22, size)
    at = directory_at
    while data[at:at + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46:at + 46 + name_length].decode() == member:
            struct.pack_into("<I", data, at + 24, size)
        at += 46 + name_length + extra_length + comment_length
    archive.write_bytes(bytes(data))
    return archive


def family_package(folder: Path, **files: list[dict[str, str]]) -> Path:
    """A school with a teacher, two students and two guardians linked from both sides."""
    users = [
        make_teacher_row(email="Grace.Hopper@Lincoln.K12.US"),
        make_user_row(sourcedId="student-1", agentSourcedIds="guardian-1,guardian-2"),
        make_user_row(sourcedId="student-2", givenName="Alan", familyName="Turing", grades="05"),
        make_guardian_row(agentSourcedIds="student-1,student-2", sms="(617) 253-1000", phone="617.253.1001"),
        make_guardian_row(sourcedId="guardian-2", role="guardian", givenName="William", familyName="King",
                          sms="+44 20 7946 0958"),
    ]
    enrollments = [
        make_enrollment_row(sourcedId="enr-1", userSourcedId="student-1"),
        make_enrollment_row(sourcedId="enr-2", userSourcedId="student-2"),
        make_enrollment_row(sourcedId="enr-3", userSourcedId="teacher-1", role="teacher", primary="true"),
    ]
    orgs = [make_org_row(parentSourcedId="district-1"), make_district_row()]
    return write_package(folder, **{"orgs": orgs, "users": users, "enrollments": enrollments, **files})


def people_by_id(snapshot) -> dict:
    return {person.source_id: person for person in snapshot.people}


def located(findings) -> list[tuple]:
    """(file, line, column, value) of each finding, the reason left out."""
    return [(f.file, f.line, f.column, f.value) for f in findings]

"""Tiny OneRoster 1.1 CSV packages (with their manifest) written by the tests themselves."""
from __future__ import annotations

import csv
from pathlib import Path

ORG_COLUMNS = ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId")
COURSE_COLUMNS = ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
                  "grades", "orgSourcedId", "subjects")
CLASS_COLUMNS = ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                 "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                 "periods")
USER_COLUMNS = ("sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
                "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                "agentSourcedIds", "grades", "password")
USER_COLUMNS_1_2 = ("sourcedId", "status", "dateLastModified", "enabledUser", "username", "givenName", "familyName",
                    "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
                    "primaryOrgSourcedId")
ROLE_COLUMNS = ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate",
                "endDate", "orgSourcedId")
ENROLLMENT_COLUMNS = ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                      "userSourcedId", "role", "primary", "beginDate", "endDate")


def make_org_row(**overrides) -> dict:
    return {"sourcedId": "school-1", "status": "active", "name": "Lincoln Elementary", "type": "school",
            "identifier": "LIN", "parentSourcedId": "district-1", **overrides}


def make_course_row(**overrides) -> dict:
    return {"sourcedId": "course-1", "status": "active", "title": "Grade 3 Math", "courseCode": "MATH3",
            "grades": "03", "orgSourcedId": "school-1", **overrides}


def make_class_row(**overrides) -> dict:
    return {"sourcedId": "class-1", "status": "active", "title": "Math 3A", "grades": "03",
            "courseSourcedId": "course-1", "classCode": "M3A", "classType": "scheduled",
            "schoolSourcedId": "school-1", **overrides}


def make_user_row(**overrides) -> dict:
    return {"sourcedId": "student-1", "status": "active", "enabledUser": "true", "orgSourcedIds": "school-1",
            "role": "student", "givenName": "Ada", "familyName": "Lovelace", "grades": "03", **overrides}


def make_enrollment_row(**overrides) -> dict:
    return {"sourcedId": "enr-1", "status": "active", "classSourcedId": "class-1", "schoolSourcedId": "school-1",
            "userSourcedId": "student-1", "role": "student", "primary": "false", **overrides}


def write_package(folder: Path, *, orgs=None, courses=None, classes=None, users=None, enrollments=None) -> Path:
    """A folder of OneRoster CSVs; each file defaults to a small, consistent district."""
    files = {
        "orgs.csv": (ORG_COLUMNS, orgs if orgs is not None else [
            make_org_row(sourcedId="district-1", name="Lincoln USD", type="district", identifier="",
                         parentSourcedId=""),
            make_org_row()]),
        "courses.csv": (COURSE_COLUMNS, courses if courses is not None else [make_course_row()]),
        "classes.csv": (CLASS_COLUMNS, classes if classes is not None else [make_class_row()]),
        "users.csv": (USER_COLUMNS, users if users is not None else [
            make_user_row(agentSourcedIds="guardian-1"),
            make_user_row(sourcedId="teacher-1", role="teacher", givenName="Grace", familyName="Hopper",
                          email="grace@lincoln.example.org", grades=""),
            make_user_row(sourcedId="guardian-1", role="parent", givenName="Anne", orgSourcedIds="",
                          sms="(617) 253-1000", grades=""),
        ]),
        "enrollments.csv": (ENROLLMENT_COLUMNS, enrollments if enrollments is not None else [
            make_enrollment_row(),
            make_enrollment_row(sourcedId="enr-2", userSourcedId="teacher-1", role="teacher", primary="true"),
        ]),
    }
    # Real exports carry a manifest; without one the reader infers the version and says so.
    files["manifest.csv"] = (("propertyName", "value"), [{"propertyName": "oneroster.version", "value": "1.1"}] + [
        {"propertyName": f"file.{name.removesuffix('.csv')}", "value": "bulk"} for name in files])
    return _write(folder, files)


def _write(folder: Path, files: dict[str, tuple[tuple[str, ...], list[dict]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (columns, rows) in files.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows({column: row.get(column, "") for column in columns} for row in rows)
    return folder


def write_package_1_2(folder: Path) -> Path:
    """A OneRoster 1.2 package: a student and a teacher who is also the student's parent (roles.csv)."""
    orgs = [make_org_row(sourcedId="district-1", name="Lincoln USD", type="district", identifier="",
                         parentSourcedId=""), make_org_row()]
    users = [{"sourcedId": "student-1", "status": "active", "enabledUser": "true", "givenName": "Ada",
              "familyName": "Lovelace", "grades": "03"},
             {"sourcedId": "teacher-1", "status": "active", "enabledUser": "true", "givenName": "Grace",
              "familyName": "Hopper", "email": "grace@lincoln.example.org", "agentSourcedIds": "student-1"}]
    roles = [{"sourcedId": "role-1", "status": "active", "userSourcedId": "student-1", "roleType": "primary",
              "role": "student", "orgSourcedId": "school-1"},
             {"sourcedId": "role-2", "status": "active", "userSourcedId": "teacher-1", "roleType": "primary",
              "role": "teacher", "orgSourcedId": "school-1"},
             {"sourcedId": "role-3", "status": "active", "userSourcedId": "teacher-1", "roleType": "secondary",
              "role": "parent", "orgSourcedId": "school-1"}]
    files = {
        "orgs.csv": (ORG_COLUMNS, orgs),
        "courses.csv": (COURSE_COLUMNS, [make_course_row()]),
        "classes.csv": (CLASS_COLUMNS, [make_class_row()]),
        "users.csv": (USER_COLUMNS_1_2, users),
        "roles.csv": (ROLE_COLUMNS, roles),
        "enrollments.csv": (ENROLLMENT_COLUMNS, [
            make_enrollment_row(),
            make_enrollment_row(sourcedId="enr-2", userSourcedId="teacher-1", role="teacher", primary="true")]),
        "manifest.csv": (("propertyName", "value"), [{"propertyName": "oneroster.version", "value": "1.2"}] + [
            {"propertyName": f"file.{name}", "value": "bulk"}
            for name in ("orgs", "courses", "classes", "users", "roles", "enrollments")]),
    }
    return _write(folder, files)

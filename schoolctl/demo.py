"""A small, deterministic demo district written as a OneRoster 1.1 CSV package.

`make run` imports it so a fresh machine has something to search and to send to:
a guardian with a login of their own (`make run` joins them, so they have an
app inbox) and, at the middle school, students with school email addresses and
SIS mobile phones whose accounts `make run` enables. Byte-identical for the
same seed. The benchmark-scale generator is a separate, later piece.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

DEMO_ADMIN_EMAIL = "admin@demo-district.example.org"
DEMO_ADMIN_PASSWORD = "demo-admin-2026"
# The first guardian of the first Lincoln student; the family shares one mobile with a second guardian.
DEMO_GUARDIAN_SOURCE_ID = "lincoln-elem-student-1-guardian-1"
DEMO_GUARDIAN_EMAIL = "parent@demo-district.example.org"
DEMO_GUARDIAN_PASSWORD = "demo-parent-2026"
# Middle-school students get a school email and an SIS mobile (the only source of student phones);
# `make run` enables a few of their accounts so priority announcements reach students too.
STUDENT_CONTACT_SCHOOL = "roosevelt-middle"
STUDENT_CONTACT_SCHOOL_NAME = "Roosevelt Middle School"
DISTRICT_ID = "demo-district"
SCHOOL_YEAR = "2026-2027"

# Numbers on the 555 exchange: fictional by convention, yet valid to phonenumbers in these areas.
AREA_CODES = ("202", "212", "303", "312", "415", "503", "617", "702", "808", "919")


def demo_phone(serial: int) -> str:
    area = AREA_CODES[(serial // 10000) % len(AREA_CODES)]
    return f"+1{area}555{serial % 10000:04d}"


GIVEN = ["Ava", "Ben", "Chloe", "Dennis", "Elena", "Farid", "Grace", "Hugo", "Isla", "Jamal", "Keiko", "Liam",
         "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe"]
FAMILY = ["Anders", "Baker", "Castillo", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
          "Kowalski", "Lopez", "Mbeki", "Nguyen", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka"]

USER_COLUMNS = ["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
                "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                "agentSourcedIds", "grades", "password"]


def _write(folder: Path, name: str, columns: list[str], rows: list[dict]) -> None:
    with open(folder / name, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})


def _user(source_id, role, given, family, orgs, **extra) -> dict:
    return {"sourcedId": source_id, "status": "active", "dateLastModified": "2026-08-01", "enabledUser": "true",
            "orgSourcedIds": ",".join(orgs), "role": role, "username": source_id, "givenName": given,
            "familyName": family, **extra}


def _student_contacts(student_id: str, school_id: str) -> dict:
    if school_id != STUDENT_CONTACT_SCHOOL:
        return {}
    seat = int(student_id.rsplit("-", 1)[1])
    return {"email": f"{student_id}@students.demo-district.example.org", "sms": demo_phone(30000 + seat)}


def write_demo_district(folder: Path, *, seed: int = 7, students_per_class: int = 8) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    schools = [("lincoln-elem", "Lincoln Elementary"), ("roosevelt-middle", "Roosevelt Middle School")]

    _write(folder, "manifest.csv", ["propertyName", "value"], [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "oneroster.version", "value": "1.1"},
        *({"propertyName": f"file.{name}", "value": "bulk"} for name in
          ("academicSessions", "orgs", "courses", "classes", "users", "enrollments")),
        *({"propertyName": f"file.{name}", "value": "absent"} for name in
          ("categories", "classResources", "courseResources", "demographics", "lineItems", "resources", "results")),
    ])
    _write(folder, "orgs.csv", ["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                                "parentSourcedId"], [
        {"sourcedId": DISTRICT_ID, "status": "active", "name": "Demo Unified School District", "type": "district",
         "identifier": "DUSD"},
        *({"sourcedId": sid, "status": "active", "name": name, "type": "school", "identifier": sid.upper(),
           "parentSourcedId": DISTRICT_ID} for sid, name in schools),
    ])
    _write(folder, "academicSessions.csv", ["sourcedId", "status", "dateLastModified", "title", "type",
                                            "startDate", "endDate", "parentSourcedId", "schoolYear"], [
        {"sourcedId": "sy-2026", "status": "active", "title": SCHOOL_YEAR, "type": "schoolYear",
         "startDate": "2026-08-15", "endDate": "2027-06-15", "schoolYear": "2027"},
    ])

    courses, classes, users, enrollments = [], [], [], []
    users.append(_user("admin-1", "administrator", "Dana", "Whitfield", [DISTRICT_ID], email=DEMO_ADMIN_EMAIL))
    family_phone = {}
    for school_index, (school_id, school_name) in enumerate(schools):
        users.append(_user(f"principal-{school_index + 1}", "administrator", rng.choice(GIVEN), rng.choice(FAMILY),
                           [school_id], email=f"principal{school_index + 1}@demo-district.example.org"))
        for class_index, subject in enumerate(("Homeroom", "Mathematics", "Science")):
            course_id = f"{school_id}-course-{class_index + 1}"
            class_id = f"{school_id}-class-{class_index + 1}"
            teacher_id = f"{school_id}-teacher-{class_index + 1}"
            grade = str(3 + school_index * 4 + class_index % 2).zfill(2)
            courses.append({"sourcedId": course_id, "status": "active", "title": subject, "courseCode": subject[:4],
                            "grades": grade, "orgSourcedId": school_id, "schoolYearSourcedId": "sy-2026"})
            classes.append({"sourcedId": class_id, "status": "active", "title": f"{subject} {grade}",
                            "classCode": f"{subject[:4].upper()}-{grade}", "classType": "scheduled",
                            "courseSourcedId": course_id, "schoolSourcedId": school_id, "termSourcedIds": "sy-2026",
                            "grades": grade})
            teacher_given, teacher_family = rng.choice(GIVEN), rng.choice(FAMILY)
            users.append(_user(teacher_id, "teacher", teacher_given, teacher_family, [school_id],
                               email=f"{teacher_given}.{teacher_family}.{school_index}{class_index}@demo-district.example.org".lower(),
                               sms=demo_phone(1000 + school_index * 10 + class_index)))
            enrollments.append({"sourcedId": f"enr-{teacher_id}", "status": "active", "classSourcedId": class_id,
                                "schoolSourcedId": school_id, "userSourcedId": teacher_id, "role": "teacher",
                                "primary": "true"})
            for seat in range(students_per_class):
                student_id = f"{school_id}-student-{class_index * students_per_class + seat + 1}"
                family = rng.choice(FAMILY)
                guardians = [f"{student_id}-guardian-1"]
                if seat % 3 == 0:
                    guardians.append(f"{student_id}-guardian-2")
                users.append(_user(student_id, "student", rng.choice(GIVEN), family, [school_id],
                                   identifier=f"S{rng.randrange(100000, 999999)}", grades=grade,
                                   agentSourcedIds=",".join(guardians), **_student_contacts(student_id, school_id)))
                enrollments.append({"sourcedId": f"enr-{student_id}", "status": "active", "classSourcedId": class_id,
                                    "schoolSourcedId": school_id, "userSourcedId": student_id, "role": "student",
                                    "primary": "false"})
                for number, guardian_id in enumerate(guardians, start=1):
                    # Two guardians of one child often share the family's mobile.
                    phone = family_phone.setdefault(student_id, demo_phone(12000 + len(family_phone)))
                    given = rng.choice(GIVEN)
                    email = f"{given}.{family}.{guardian_id[-12:]}@families.example.org".lower().replace("-", "")
                    if guardian_id == DEMO_GUARDIAN_SOURCE_ID:
                        email = DEMO_GUARDIAN_EMAIL
                    users.append(_user(guardian_id, "guardian" if number == 1 else "parent", given, family,
                                       [school_id], email=email, sms=phone,
                                       phone=demo_phone(40000 + len(users)), agentSourcedIds=student_id))

    _write(folder, "courses.csv", ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
                                   "courseCode", "grades", "orgSourcedId", "subjects"], courses)
    _write(folder, "classes.csv", ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
                                   "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
                                   "subjects"], classes)
    _write(folder, "users.csv", USER_COLUMNS, users)
    _write(folder, "enrollments.csv", ["sourcedId", "status", "dateLastModified", "classSourcedId",
                                       "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                                       "endDate"], enrollments)
    return folder

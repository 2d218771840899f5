"""A synthetic district written as a valid OneRoster 1.1 bulk package, byte-identical for the same seed.

Benchmarks and tests read what this writes. Rows are written as they are
made, so a district-scale package never sits in memory whole. Like real
exports it is not perfectly clean: about 5 % of guardian phones are shared
by two guardians (a family phone), and about 1 % of emails and phones are
invalid on purpose, so a read reports row errors for them.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .generator_values import (
    EMAIL_PROVIDERS,
    FAMILY,
    GIVEN,
    SUBJECTS,
    area_codes,
    email_address,
    invalid_email,
    invalid_phone,
    phone_number,
)

MODIFIED = "2026-08-01T12:00:00Z"
SCHOOL_YEAR = "sy-2026"
TERMS = ("term-2026-fall", "term-2027-spring")
# Zip members carry a timestamp; a fixed one keeps the archive byte-identical.
ZIP_TIMESTAMP = (2026, 8, 1, 12, 0, 0)

INVALID_SHARE = 0.01
# Each shared pair puts one phone on two guardians: 2.5 % of guardians in pairs is ~5 % of phones shared.
SHARED_PHONE_SHARE = 0.075


@dataclass(frozen=True)
class Scale:
    schools: int
    students: int
    guardians: int
    staff: int
    classes: int
    classes_per_student: int


SCALES = {
    "small": Scale(schools=4, students=2_000, guardians=3_000, staff=200, classes=400, classes_per_student=5),
    "district": Scale(schools=100, students=100_000, guardians=150_000, staff=10_000, classes=20_000,
                      classes_per_student=5),
}

ORG_HEADER = ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId")
SESSION_HEADER = ("sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
                  "parentSourcedId", "schoolYear")
COURSE_HEADER = ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode", "grades",
                 "orgSourcedId", "subjects")
CLASS_HEADER = ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "periods")
USER_HEADER = ("sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
               "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
               "agentSourcedIds", "grades", "password")
ENROLLMENT_HEADER = ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId",
                     "role", "primary", "beginDate", "endDate")
MANIFEST_FILES = ("academicSessions", "orgs", "courses", "classes", "users", "enrollments")
ABSENT_FILES = ("categories", "classResources", "courseResources", "demographics", "lineItems", "resources",
                "results")


def write_district(out: Path, *, scale: Scale, seed: int) -> Path:
    """Write the package to folder `out`, or to a zip when `out` ends in .zip."""
    district = _District(scale, random.Random(seed))
    with _package(out) as open_file:
        for name, header, rows in district.files():
            with open_file(name) as stream:
                writer = csv.writer(stream, lineterminator="\r\n")
                writer.writerow(header)
                writer.writerows(rows)
    return out


@contextmanager
def _package(out: Path) -> Iterator:
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            @contextmanager
            def member(name: str) -> Iterator[IO[str]]:
                info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w") as binary, io.TextIOWrapper(binary, "utf-8", newline="") as text:
                    yield text
            yield member
    else:
        out.mkdir(parents=True, exist_ok=True)
        yield lambda name: open(out / name, "w", encoding="utf-8", newline="")


class _District:
    """Draws every row from one seeded random stream, always in the same order."""

    def __init__(self, scale: Scale, rng: random.Random) -> None:
        self.scale, self.rng = scale, rng
        self.areas = area_codes(rng)
        self.domain = f"{rng.choice(FAMILY).lower()}-usd.example.org"
        self.school_ids = [f"sch-{n:03d}" for n in range(1, scale.schools + 1)]
        self.student_family = [rng.choice(FAMILY) for _ in range(scale.students)]
        self.student_school = [n * scale.schools // scale.students for n in range(scale.students)]
        self.class_school = [n * scale.schools // scale.classes for n in range(scale.classes)]
        self.grade_of_school = [str(school % 13).zfill(2) if school % 13 else "KG" for school in range(scale.schools)]
        self.classes_of_school: list[list[int]] = [[] for _ in range(scale.schools)]
        for n, school in enumerate(self.class_school):
            self.classes_of_school[school].append(n)
        self.teachers_of_school: list[list[int]] = [[] for _ in range(scale.schools)]
        for n in range(scale.staff):
            role, org = self.staff_role(n)
            if role == "teacher":
                self.teachers_of_school[self.school_ids.index(org)].append(n)

    def files(self) -> Iterator[tuple[str, tuple[str, ...], Iterator[tuple]]]:
        yield "manifest.csv", ("propertyName", "value"), self.manifest()
        yield "orgs.csv", ORG_HEADER, self.orgs()
        yield "academicSessions.csv", SESSION_HEADER, self.sessions()
        yield "courses.csv", COURSE_HEADER, self.courses()
        yield "classes.csv", CLASS_HEADER, self.classes()
        yield "users.csv", USER_HEADER, self.users()
        yield "enrollments.csv", ENROLLMENT_HEADER, self.enrollments()

    def manifest(self) -> Iterator[tuple]:
        yield "manifest.version", "1.0"
        yield "oneroster.version", "1.1"
        yield "source.systemName", "schoolctl roster generate"
        yield from ((f"file.{name}", "bulk") for name in MANIFEST_FILES)
        yield from ((f"file.{name}", "absent") for name in ABSENT_FILES)

    def orgs(self) -> Iterator[tuple]:
        yield "district", "active", MODIFIED, f"{self.domain.split('-')[0].title()} Unified", "district", "USD", ""
        for n, school_id in enumerate(self.school_ids):
            kind = ("Elementary School", "Middle School", "High School")[n % 3]
            yield school_id, "active", MODIFIED, f"{self.rng.choice(FAMILY)} {kind}", "school", f"S{n:03d}", "district"

    def sessions(self) -> Iterator[tuple]:
        yield SCHOOL_YEAR, "active", MODIFIED, "2026-2027", "schoolYear", "2026-08-17", "2027-06-11", "", "2027"
        yield TERMS[0], "active", MODIFIED, "Fall 2026", "semester", "2026-08-17", "2026-12-18", SCHOOL_YEAR, "2027"
        yield TERMS[1], "active", MODIFIED, "Spring 2027", "semester", "2027-01-05", "2027-06-11", SCHOOL_YEAR, "2027"

    def course_id(self, school: int, subject: int) -> str:
        return f"crs-{school:03d}-{subject:02d}"

    def courses(self) -> Iterator[tuple]:
        for school, school_id in enumerate(self.school_ids):
            grade = self.grade_of_school[school]
            for subject, title in enumerate(SUBJECTS):
                yield (self.course_id(school, subject), "active", MODIFIED, SCHOOL_YEAR, f"{title} {grade}",
                       f"{title[:4].upper()}{grade}", grade, school_id, title)

    def classes(self) -> Iterator[tuple]:
        for n, school in enumerate(self.class_school):
            subject = n % len(SUBJECTS)
            grade = self.grade_of_school[school]
            yield (f"cls-{n:05d}", "active", MODIFIED, f"{SUBJECTS[subject]} {grade} ({n})", grade,
                   self.course_id(school, subject), f"C{n:05d}", "scheduled", f"Room {100 + n % 300}",
                   self.school_ids[school], TERMS[n % 2] if n % 3 else SCHOOL_YEAR, SUBJECTS[subject], str(1 + n % 7))

    # --- people ----------------------------------------------------------------------

    def staff_role(self, n: int) -> tuple[str, str]:
        """(role, org) for staff member n: a few district administrators, two per school, aides, teachers."""
        schools = self.scale.schools
        if n < 5:
            return "administrator", "district"
        if n < 5 + 2 * schools:
            return "administrator", self.school_ids[(n - 5) // 2]
        # One in twenty of each school's staff is an aide (n // schools, so no school is all aides).
        role = "aide" if (n // schools) % 20 == 0 else "teacher"
        return role, self.school_ids[n % schools]

    def guardians_of(self, student: int) -> list[int]:
        extra = self.scale.guardians - self.scale.students
        guardians = [student]
        if extra > 0:
            # Second guardians are shared by two siblings: students 2k and 2k+1 share guardian S + k.
            guardians.append(self.scale.students + (student // 2) % extra)
        return guardians

    def students_of(self, guardian: int) -> list[int]:
        students = self.scale.students
        if guardian < students:
            return [guardian]
        k = guardian - students
        return [s for s in (2 * k, 2 * k + 1) if s < students]

    def users(self) -> Iterator[tuple]:
        rng = self.rng
        for n in range(self.scale.staff):
            role, org = self.staff_role(n)
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            yield self.user(f"stf-{n:05d}", org, role, given, family, f"T{n:05d}",
                            self.maybe_invalid_email(email_address(given, family, n, self.domain)),
                            self.phone_or_invalid() if rng.random() < 0.6 else "", "", "", "")
        for n in range(self.scale.students):
            given, family = rng.choice(GIVEN), self.student_family[n]
            school = self.student_school[n]
            email = email_address(given, family, n, f"students.{self.domain}") if rng.random() < 0.7 else ""
            agents = ",".join(f"gua-{g:06d}" for g in self.guardians_of(n))
            yield self.user(f"stu-{n:06d}", self.school_ids[school], "student", given, family, f"S{n:06d}",
                            self.maybe_invalid_email(email), "", "", agents, self.grade_of_school[school])
        first_mobiles: dict[int, str] = {}
        for n in range(self.scale.guardians):
            students = self.students_of(n)
            family = self.student_family[students[0]] if students else rng.choice(FAMILY)
            given = rng.choice(GIVEN)
            role = rng.choices(("parent", "guardian", "relative"), weights=(90, 8, 2))[0]
            mobile = self.phone_or_invalid() if rng.random() < 0.92 else ""
            if n >= self.scale.students and students and rng.random() < SHARED_PHONE_SHARE:
                mobile = first_mobiles.get(students[0], mobile)  # the family phone of the child's first guardian
            elif n < self.scale.students and n % 2 == 0:
                first_mobiles[n] = mobile
            email = email_address(given, family, n, rng.choice(EMAIL_PROVIDERS)) if rng.random() < 0.9 else ""
            home = self.phone_or_invalid() if rng.random() < 0.3 else ""
            orgs = ",".join(dict.fromkeys(self.school_ids[self.student_school[s]] for s in students))
            agents = ",".join(f"stu-{s:06d}" for s in students)
            yield self.user(f"gua-{n:06d}", orgs, role, given, family, "", self.maybe_invalid_email(email), mobile,
                            home, agents, "")

    @staticmethod
    def user(source_id: str, orgs: str, role: str, given: str, family: str, identifier: str, email: str,
             sms: str, phone: str, agents: str, grades: str) -> tuple:
        return (source_id, "active", MODIFIED, "true", orgs, role, source_id, "", given, family, "", identifier,
                email, sms, phone, agents, grades, "")

    def phone_or_invalid(self) -> str:
        return invalid_phone(self.rng) if self.rng.random() < INVALID_SHARE else phone_number(self.rng, self.areas)

    def maybe_invalid_email(self, email: str) -> str:
        return invalid_email(email) if email and self.rng.random() < INVALID_SHARE else email

    def enrollments(self) -> Iterator[tuple]:
        scale, rng = self.scale, self.rng
        serial = 0
        for school, classes in enumerate(self.classes_of_school):
            teachers = self.teachers_of_school[school]
            for index, n in enumerate(classes):
                if teachers:
                    serial += 1
                    yield (f"enr-{serial:07d}", "active", MODIFIED, f"cls-{n:05d}", self.school_ids[school],
                           f"stf-{teachers[index % len(teachers)]:05d}", "teacher", "true", "2026-08-17",
                           "2027-06-11")
        for student in range(scale.students):
            school = self.student_school[student]
            classes = self.classes_of_school[school]
            for n in rng.sample(classes, min(scale.classes_per_student, len(classes))):
                serial += 1
                yield (f"enr-{serial:07d}", "active", MODIFIED, f"cls-{n:05d}", self.school_ids[school],
                       f"stu-{student:06d}", "student", "false", "2026-08-17", "2027-06-11")

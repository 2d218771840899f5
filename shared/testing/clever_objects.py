"""Clever Data API v3.0 objects as Clever's reference shapes them, for the loopback Clever API.

Each builder answers one object with the fields Clever documents; keyword arguments add or replace
fields. A user's roles are given as Clever's role objects (`student=...`, `contact=...`).
"""

from __future__ import annotations

MODIFIED = "2026-09-01T12:00:00.000Z"
DISTRICT = "d0000000000000000000001"


def district(district_id: str = DISTRICT, name: str = "Jefferson Unified", **extra) -> dict:
    return {"id": district_id, "name": name, "state": "running", "nces_id": "0600001", "sis_type": "Clever",
            "last_sync": MODIFIED, **extra}


def school(school_id: str, name: str, **extra) -> dict:
    return {"id": school_id, "district": DISTRICT, "name": name, "school_number": school_id.upper(),
            "sis_id": f"sis-{school_id}", "low_grade": "Kindergarten", "high_grade": "5", "created": MODIFIED,
            "last_modified": MODIFIED, **extra}


def term(term_id: str, **extra) -> dict:
    return {"id": term_id, "district": DISTRICT, "name": "Fall", "start_date": "2026-08-20",
            "end_date": "2026-12-20", **extra}


def section(section_id: str, school_id: str, *, teachers: tuple[str, ...] = (), students: tuple[str, ...] = (),
            **extra) -> dict:
    return {"id": section_id, "district": DISTRICT, "school": school_id, "name": f"Section {section_id}",
            "section_number": section_id.upper(), "sis_id": f"sis-{section_id}", "grade": "5", "period": "1",
            "subject": "math", "term_id": "term-1", "teacher": teachers[0] if teachers else None,
            "teachers": list(teachers), "students": list(students), "created": MODIFIED, "last_modified": MODIFIED,
            **extra}


def user(user_id: str, first: str, **roles) -> dict:
    """A user holding the given Clever role objects (student=..., teacher=..., contact=...)."""
    return {"id": user_id, "district": DISTRICT, "email": f"{user_id}@example.org",
            "name": {"first": first, "middle": None, "last": "Okafor"}, "created": MODIFIED,
            "last_modified": MODIFIED, "roles": roles}


def student_role(*schools: str, grade: str = "5", **extra) -> dict:
    return {"school": schools[0], "schools": list(schools), "grade": grade, "sis_id": "S-100",
            "student_number": "100", "credentials": {"district_username": "stud100"}, **extra}


def teacher_role(*schools: str, **extra) -> dict:
    return {"school": schools[0], "schools": list(schools), "sis_id": "T-1", "teacher_number": "1",
            "title": "Teacher", "credentials": {"district_username": "teach1"}, **extra}


def contact_role(*relationships: tuple[str, str, str], phone: str = "+1 415 555 0101", phone_type: str = "Cell",
                 **extra) -> dict:
    """`relationships` as (student id, relationship, type) triples."""
    return {"sis_id": "C-1", "phone": phone, "phone_type": phone_type,
            "student_relationships": [{"student": student, "relationship": relationship, "type": kind}
                                      for student, relationship, kind in relationships], **extra}


def small_district() -> dict[str, list[dict]]:
    """A district, a school, a term, a section with a teacher and a student, and the student's mother."""
    return {
        "districts": [district()],
        "schools": [school("school-1", "Jefferson Elementary")],
        "terms": [term("term-1")],
        "courses": [],
        "sections": [section("section-1", "school-1", teachers=("teacher-1",), students=("student-1",))],
        "users": [user("teacher-1", "Ada", teacher=teacher_role("school-1")),
                  user("student-1", "Ben", student=student_role("school-1")),
                  user("parent-1", "Cleo", contact=contact_role(("student-1", "Mother", "Parent/Guardian")))],
    }

"""The generated district (a OneRoster CSV package) as a ClassLink tenant and as a Clever district serve it.

The same people, classes, enrollments and guardian links, laid out as the loopback fakes answer them:
OneRoster 1.1 REST objects (references as `{"href", "sourcedId", "type"}`, lists as arrays) for ClassLink,
and Clever API v3.0 objects (sections holding their teachers and students, contacts holding their
`student_relationships`) for Clever. Every collection is sorted by id, as Clever lists it.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
# CSV column -> (JSON field, kind of the object it references); plural columns hold a list of references.
REFERENCES = {"parentSourcedId": ("parent", "org"), "schoolYearSourcedId": ("schoolYear", "academicSession"),
              "orgSourcedId": ("org", "org"), "courseSourcedId": ("course", "course"),
              "schoolSourcedId": ("school", "org"), "classSourcedId": ("class", "class"),
              "userSourcedId": ("user", "user"), "orgSourcedIds": ("orgs", "org"),
              "termSourcedIds": ("terms", "academicSession"), "agentSourcedIds": ("agents", "user")}
LISTS = frozenset({"grades", "subjects", "periods", "userIds"})
# A session's parent is a session, not an org.
PARENT_KIND = {"academicSessions": "academicSession"}
DISTRICT_ADMIN, TEACHER, STAFF, STUDENT = "district_admin", "teacher", "staff", "student"
RELATIONSHIPS = {"parent": "Parent", "guardian": "Guardian", "relative": "Relative"}


def rows(package: Path, collection: str) -> Iterator[dict[str, str]]:
    with (package / f"{collection}.csv").open(newline="", encoding="utf-8") as source:
        yield from csv.DictReader(source)


# --- ClassLink: OneRoster 1.1 REST ---------------------------------------------------------------

def classlink_roster(package: Path) -> dict[str, list[dict]]:
    return {name: sorted((rest_object(name, row) for row in rows(package, name)), key=lambda o: o["sourcedId"])
            for name in COLLECTIONS}


def rest_object(collection: str, row: dict[str, str]) -> dict:
    """One CSV row as the 1.1 JSON binding has it; empty cells are left out, as an absent field is."""
    item: dict = {}
    for column, value in row.items():
        if column == "password" or not value:
            continue
        if column in REFERENCES:
            name, kind = REFERENCES[column]
            kind = PARENT_KIND.get(collection, kind) if name == "parent" else kind
            refs = [_ref(kind, sourced_id) for sourced_id in value.split(",")]
            item[name] = refs if column.endswith("Ids") else refs[0]
        else:
            item[column] = value.split(",") if column in LISTS else value
    return item


def _ref(kind: str, sourced_id: str) -> dict:
    return {"href": f"/{kind}s/{sourced_id}", "sourcedId": sourced_id, "type": kind}


# --- Clever: API v3.0 -----------------------------------------------------------------------------

def clever_roster(package: Path) -> dict[str, list[dict]]:
    orgs = list(rows(package, "orgs"))
    district = next(org for org in orgs if org["type"] == "district")
    district_id, modified = district["sourcedId"], district["dateLastModified"]
    teachers, students = defaultdict(list), defaultdict(list)
    for enrollment in rows(package, "enrollments"):
        held = teachers if enrollment["role"] == "teacher" else students
        held[enrollment["classSourcedId"]].append(enrollment["userSourcedId"])
    users = list(rows(package, "users"))
    # OneRoster names a guardian link from either side; Clever only from the contact's.
    children: dict[str, dict[str, None]] = defaultdict(dict)
    for user in users:
        for agent in filter(None, user["agentSourcedIds"].split(",")):
            guardian, child = (agent, user["sourcedId"]) if user["role"] == "student" else (user["sourcedId"], agent)
            children[guardian][child] = None
    roster = {
        "districts": [{"id": district_id, "name": district["name"], "state": "running", "nces_id":
                       district["identifier"], "last_modified": modified}],
        "schools": [{"id": org["sourcedId"], "district": district_id, "name": org["name"],
                     "school_number": org["identifier"], "last_modified": org["dateLastModified"]}
                    for org in orgs if org["type"] == "school"],
        "terms": [{"id": session["sourcedId"], "district": district_id, "name": session["title"],
                   "start_date": session["startDate"], "end_date": session["endDate"]}
                  for session in rows(package, "academicSessions")],
        "courses": [],
        "sections": [clever_section(row, district_id, teachers[row["sourcedId"]], students[row["sourcedId"]])
                     for row in rows(package, "classes")],
        "users": [clever_user(row, district_id, children.get(row["sourcedId"], ())) for row in users],
    }
    return {name: sorted(objects, key=lambda o: o["id"]) for name, objects in roster.items()}


def clever_section(row: dict[str, str], district_id: str, teachers: list[str], students: list[str]) -> dict:
    return {"id": row["sourcedId"], "district": district_id, "school": row["schoolSourcedId"], "name": row["title"],
            "section_number": row["classCode"], "grade": row["grades"], "period": row["periods"],
            "subject": row["subjects"], "term_id": row["termSourcedIds"].split(",")[0],
            "teacher": teachers[0] if teachers else None, "teachers": teachers, "students": students,
            "last_modified": row["dateLastModified"]}


def clever_user(row: dict[str, str], district_id: str, children: Iterable[str] = ()) -> dict:
    """A CSV user as a Clever user holding one role: administrators at the district are district admins,
    other administrators and aides staff, parents, guardians and relatives contacts of `children`."""
    role, orgs = row["role"], row["orgSourcedIds"].split(",")
    credentials = {"district_username": row["username"]}
    if role == "student":
        roles = {STUDENT: {"school": orgs[0], "schools": orgs, "grade": row["grades"], "sis_id": row["identifier"],
                           "student_number": row["identifier"], "credentials": credentials}}
    elif role in RELATIONSHIPS:
        phone, phone_type = (row["sms"], "Cell") if row["sms"] else (row["phone"], "Home")
        relationships = [{"student": student, "relationship": RELATIONSHIPS[role], "type": "Parent/Guardian"}
                         for student in children]
        roles = {"contact": {"phone": phone or None, "phone_type": phone_type,
                             "student_relationships": relationships}}
    elif role == "administrator" and orgs == [district_id]:
        roles = {DISTRICT_ADMIN: {"staff_id": row["identifier"], "credentials": credentials}}
    else:
        clever_role = TEACHER if role == "teacher" else STAFF
        roles = {clever_role: {"school": orgs[0], "schools": orgs, "sis_id": row["identifier"],
                               "credentials": credentials}}
    return {"id": row["sourcedId"], "district": district_id, "email": row["email"] or None,
            "name": {"first": row["givenName"], "middle": row["middleName"] or None, "last": row["familyName"]},
            "last_modified": row["dateLastModified"], "roles": roles}

"""Clever's Data API v3.0 objects as OneRoster 1.2 REST objects, so the shared rules read them as they read
ClassLink's (../classlink/json_records.py lays those out as records).

- The district and its schools are orgs (a school's parent is the district); terms are academic sessions.
- A section is a class; its `teachers` and `students` are enrollments, the section's `teacher` the
  primary one. An enrollment's id is made from the section, role and user, so every read names it alike.
- A user is one person whatever roles Clever gives them (`roles.student`, `teacher`, `staff`,
  `district_admin`, `contact`), one OneRoster role per Clever role, at each of its schools (the
  district for a district admin or a contact).
- A contact's `student_relationships` are the students it is an agent for: guardian links. A
  relationship of type Emergency is left out: an emergency contact is someone to call, not a guardian
  who sees the student's record and gets the school's messages. A contact whose relationship is a
  parent's is a parent, one named guardian a guardian, anyone else a relative.
- A contact's `phone` is the SMS number when Clever types it Cell, else the phone that is never messaged.
- Events (`users.*`, `sections.*`, in order, the last for an object winning) become delta collections: a
  `deleted` object a tombstone, a section that lost a student or teacher a tombstone for that enrollment.
  Events of other objects are not read: the orgs and terms are read whole on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

ACTIVE = "active"
DELETED = "tobedeleted"
# Clever's role objects in the order a person's roles are listed: the first one is their primary role.
CLEVER_ROLES = ("student", "teacher", "staff", "district_admin", "contact")
PARENT_RELATIONSHIPS = frozenset({"parent", "mother", "father", "stepparent", "stepmother", "stepfather",
                                  "foster parent"})
NOT_GUARDIAN_TYPES = frozenset({"emergency"})
CELL = "cell"
# Clever's grade names that OneRoster spells as a code; numbered grades are zero-padded ("1" -> "01").
GRADE_CODES = {"infanttoddler": "IT", "preschool": "PR", "prekindergarten": "PK", "transitionalkindergarten": "TK",
               "kindergarten": "KG", "postgraduate": "PS", "ungraded": "UG", "other": "Other"}


def district_org(district: dict) -> dict:
    return {"sourcedId": district.get("id"), "status": ACTIVE, "name": district.get("name"), "type": "district",
            "identifier": district.get("nces_id"), "dateLastModified": district.get("last_modified")}


def school_org(school: dict) -> dict:
    return {"sourcedId": school.get("id"), "status": ACTIVE, "name": school.get("name"), "type": "school",
            "identifier": school.get("school_number") or school.get("sis_id"), "parent": school.get("district"),
            "dateLastModified": school.get("last_modified")}


def term_session(term: dict) -> dict:
    return {"sourcedId": term.get("id"), "status": ACTIVE, "title": term.get("name"), "type": "term",
            "startDate": term.get("start_date"), "endDate": term.get("end_date"),
            "dateLastModified": term.get("last_modified")}


def section_class(section: dict, status: str = ACTIVE) -> dict:
    return {"sourcedId": section.get("id"), "status": status, "title": section.get("name"),
            "classCode": section.get("section_number") or section.get("sis_id"), "classType": "scheduled",
            "school": section.get("school"), "terms": [section["term_id"]] if section.get("term_id") else [],
            "grades": _grades(section.get("grade")), "periods": section.get("period"),
            "subjects": [section["subject"]] if section.get("subject") else [],
            "dateLastModified": section.get("last_modified")}


def section_enrollments(section: dict, status: str = ACTIVE) -> list[dict]:
    section_id, school, primary = section.get("id"), section.get("school"), section.get("teacher")
    teachers = _ids(section.get("teachers")) or _ids([primary])
    return [{"sourcedId": f"{section_id}/{role}/{user}", "status": status, "role": role, "user": user,
             "class": section_id, "school": school, "primary": role == "teacher" and user == primary,
             "dateLastModified": section.get("last_modified")}
            for role, users in (("teacher", teachers), ("student", _ids(section.get("students"))))
            for user in users]


def person(user: dict, status: str = ACTIVE) -> dict:
    """A Clever user as a OneRoster 1.2 user, roles inside."""
    roles = user.get("roles") if isinstance(user.get("roles"), dict) else {}
    held = [(name, roles[name]) for name in CLEVER_ROLES if isinstance(roles.get(name), dict)]
    district, name = user.get("district"), user.get("name") if isinstance(user.get("name"), dict) else {}
    assigned = [(role, org) for clever_role, facts in held for role, org in _roles_of(clever_role, facts, district)]
    contact = roles.get("contact") if isinstance(roles.get("contact"), dict) else {}
    phone = contact.get("phone")
    is_cell = str(contact.get("phone_type") or "").lower() == CELL
    student = roles.get("student") if isinstance(roles.get("student"), dict) else {}
    credentials = [facts["credentials"] for _, facts in held if isinstance(facts.get("credentials"), dict)]
    return {"sourcedId": user.get("id"), "status": status, "dateLastModified": user.get("last_modified"),
            "enabledUser": True, "username": _first(c.get("district_username") for c in credentials),
            "givenName": name.get("first"), "middleName": name.get("middle"), "familyName": name.get("last"),
            "identifier": _first(facts.get("sis_id") or facts.get("staff_id") for _, facts in held),
            "email": user.get("email"), "sms": phone if is_cell else None, "phone": None if is_cell else phone,
            "grades": _grades(student.get("grade")),
            "orgs": list(dict.fromkeys(org for _, org in assigned if org)),
            # A deleted user is one tombstone: the roles go with the person.
            "roles": [{"roleType": "primary" if index == 0 else "secondary", "role": role, "org": org}
                      for index, (role, org) in enumerate(assigned)] if status == ACTIVE else [],
            "agents": _guardian_of(contact)}


def roster_of(*, districts: Sequence[dict], schools: Sequence[dict], terms: Sequence[dict],
              sections: Sequence[dict], users: Sequence[dict]) -> dict[str, list]:
    """A full read as OneRoster collections."""
    return {"orgs": [district_org(d) for d in districts] + [school_org(s) for s in schools],
            "academicSessions": [term_session(t) for t in terms], "courses": [],
            "classes": [section_class(s) for s in sections],
            "users": [person(u) for u in users],
            "enrollments": [e for s in sections for e in section_enrollments(s)]}


def changes_of(events: Iterable[Any]) -> dict[str, list]:
    """What a run of events changed, as OneRoster delta collections (classes, users, enrollments)."""
    users: dict[Any, dict] = {}
    classes: dict[Any, dict] = {}
    enrollments: dict[Any, dict] = {}
    for event in events:
        kind, _, action = str(event.get("type", "")).partition(".") if isinstance(event, dict) else ("", "", "")
        data = event.get("data") if isinstance(event, dict) and isinstance(event.get("data"), dict) else {}
        changed = data.get("object")
        if not isinstance(changed, dict) or action not in ("created", "updated", "deleted"):
            continue
        status = DELETED if action == "deleted" else ACTIVE
        if kind == "users":
            users[changed.get("id")] = person(changed, status)
        elif kind == "sections":
            classes[changed.get("id")] = section_class(changed, status)
            previous = data.get("previous_attributes") if isinstance(data.get("previous_attributes"), dict) else {}
            for dropped in section_enrollments({**changed, **previous}, DELETED):
                enrollments[dropped["sourcedId"]] = dropped
            enrollments.update((e["sourcedId"], e) for e in section_enrollments(changed, status))
    return {"classes": list(classes.values()), "users": list(users.values()),
            "enrollments": list(enrollments.values())}


def _roles_of(clever_role: str, facts: dict, district: Any) -> list[tuple[str, Any]]:
    """The OneRoster roles one Clever role stands for, each with its org."""
    if clever_role == "district_admin":
        return [("districtAdministrator", district)]
    if clever_role == "contact":
        return [(_contact_role(facts), district)]
    schools = _ids(facts.get("schools")) or _ids([facts.get("school")]) or [district]
    return [(clever_role, school) for school in schools]


def _contact_role(contact: dict) -> str:
    relationships = [str(r.get("relationship") or "").lower() for r in _relationships(contact)]
    if any(relationship in PARENT_RELATIONSHIPS for relationship in relationships):
        return "parent"
    return "guardian" if "guardian" in relationships else "relative"


def _guardian_of(contact: dict) -> list:
    return list(dict.fromkeys(r.get("student") for r in _relationships(contact)
                              if r.get("student") and str(r.get("type") or "").lower() not in NOT_GUARDIAN_TYPES))


def _relationships(contact: dict) -> list[dict]:
    found = contact.get("student_relationships")
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def _grades(grade: Any) -> list[str]:
    if not grade:
        return []
    text = str(grade).strip()
    return [f"{int(text):02d}" if text.isdigit() else GRADE_CODES.get(text.lower().replace(" ", ""), text)]


def _ids(values: Any) -> list:
    return [value for value in values if value] if isinstance(values, list) else []


def _first(values: Iterable[Any]) -> Any:
    return next((value for value in values if value), None)

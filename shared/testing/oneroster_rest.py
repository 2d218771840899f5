"""OneRoster REST objects as the 1.1 and 1.2 JSON bindings shape them, for the loopback ClassLink server.

Each builder answers one object with the binding's required fields and reference objects
(`{"href", "sourcedId", "type"}`); keyword arguments add or replace fields.
"""

from __future__ import annotations

MODIFIED = "2026-09-01T12:00:00.000Z"


def ref(kind: str, sourced_id: str) -> dict:
    return {"href": f"/{kind}s/{sourced_id}", "sourcedId": sourced_id, "type": kind}


def org(sourced_id: str, name: str, kind: str = "school", *, parent: str | None = None, **extra) -> dict:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": MODIFIED, "name": name, "type": kind,
            "identifier": sourced_id.upper(), **({"parent": ref("org", parent)} if parent else {}), **extra}


def term(sourced_id: str, **extra) -> dict:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": MODIFIED, "title": "Fall",
            "type": "term", "startDate": "2026-08-20", "endDate": "2026-12-20", "schoolYear": "2027", **extra}


def klass(sourced_id: str, school: str, *, terms: tuple[str, ...] = ("term-1",), **extra) -> dict:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": MODIFIED, "title": f"Class {sourced_id}",
            "classCode": sourced_id.upper(), "classType": "scheduled", "location": "Room 1", "grades": ["05"],
            "school": ref("org", school), "terms": [ref("academicSession", t) for t in terms], **extra}


def user(sourced_id: str, role: str, orgs: tuple[str, ...], *, agents: tuple[str, ...] = (), **extra) -> dict:
    """A 1.1 user (one `role`); enabledUser is a string in 1.1."""
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": MODIFIED, "username": sourced_id,
            "enabledUser": "true", "givenName": sourced_id.title(), "familyName": "Rivera", "role": role,
            "identifier": sourced_id.upper(), "email": f"{sourced_id}@example.org", "sms": "", "phone": "",
            "orgs": [ref("org", o) for o in orgs], "agents": [ref("user", a) for a in agents], "grades": [],
            **extra}


def user_v1p2(sourced_id: str, roles: tuple[tuple[str, str], ...], *, agents: tuple[str, ...] = (),
              **extra) -> dict:
    """A 1.2 user: `roles` as (role, org) pairs, the first primary; enabledUser is a boolean in 1.2."""
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": MODIFIED, "username": sourced_id,
            "enabledUser": True, "givenName": sourced_id.title(), "familyName": "Rivera",
            "email": f"{sourced_id}@example.org",
            "roles": [{"roleType": "primary" if index == 0 else "secondary", "role": role, "org": ref("org", o)}
                      for index, (role, o) in enumerate(roles)],
            "primaryOrg": ref("org", roles[0][1]) if roles else None,
            "agents": [ref("user", a) for a in agents], **extra}


def enrollment(sourced_id: str, person: str, class_id: str, school: str, role: str = "student", **extra) -> dict:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": MODIFIED, "role": role,
            "primary": "false", "user": ref("user", person), "class": ref("class", class_id),
            "school": ref("org", school), **extra}


def small_district() -> dict[str, list[dict]]:
    """A district, a school, a term, a class, a teacher, a student and the student's parent (1.1)."""
    return {
        "orgs": [org("district-1", "Lincoln Unified", "district"),
                 org("school-1", "Lincoln Elementary", parent="district-1")],
        "academicSessions": [term("term-1")],
        "courses": [],
        "classes": [klass("class-1", "school-1")],
        "users": [user("teacher-1", "teacher", ("school-1",)),
                  user("student-1", "student", ("school-1",), agents=("parent-1",)),
                  user("parent-1", "parent", ("school-1",), agents=("student-1",), sms="+1 415 555 0101")],
        "enrollments": [enrollment("enr-1", "teacher-1", "class-1", "school-1", "teacher"),
                        enrollment("enr-2", "student-1", "class-1", "school-1")],
    }

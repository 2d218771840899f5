"""OneRoster REST objects (the 1.1 and 1.2 JSON bindings) laid out as records under OneRoster's CSV columns.

The shared rules (domain/records.py) then read them exactly as they read a CSV package: status and
tombstones, references, cell rules, same person. A reference object (`{"sourcedId", "type", "href"}`)
becomes its sourcedId, a list of them a comma-separated list, a boolean "true"/"false", a list of strings
a comma-separated list. A record's line is its position in the collection (from 1).

1.2 puts a user's roles inside the user (`roles: [{roleType, role, org, userProfile, beginDate,
endDate}]`); they are laid out as roles.csv rows, one per role, for the same rules to read.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from operator import methodcaller
from typing import Any

from services.rostering.domain.columns import SCREEN

NOT_AN_OBJECT = "the collection holds something that is not an object; record skipped"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

Cell = Callable[[dict], Any]


def _field(name: str) -> Cell:
    return methodcaller("get", name)


def _ref(name: str) -> Cell:
    return lambda item: _sourced_id(item.get(name))


def _refs(name: str) -> Cell:
    return lambda item: [_sourced_id(ref) for ref in item.get(name) or () if _sourced_id(ref)]


def _sourced_id(ref: Any) -> Any:
    return ref.get("sourcedId") if isinstance(ref, dict) else ref


_COMMON = {"sourcedId": _field("sourcedId"), "status": _field("status"),
           "dateLastModified": _field("dateLastModified")}

# Per collection, each CSV column and where the JSON binding keeps its value.
LAYOUTS: dict[str, dict[str, Cell]] = {
    "orgs": {**_COMMON, "name": _field("name"), "type": _field("type"), "identifier": _field("identifier"),
             "parentSourcedId": _ref("parent")},
    "academicSessions": {**_COMMON, "title": _field("title"), "type": _field("type"),
                         "startDate": _field("startDate"), "endDate": _field("endDate"),
                         "parentSourcedId": _ref("parent"), "schoolYear": _field("schoolYear")},
    "courses": {**_COMMON, "schoolYearSourcedId": _ref("schoolYear"), "title": _field("title"),
                "courseCode": _field("courseCode"), "grades": _field("grades"), "orgSourcedId": _ref("org"),
                "subjects": _field("subjects"), "subjectCodes": _field("subjectCodes")},
    "classes": {**_COMMON, "title": _field("title"), "grades": _field("grades"),
                "courseSourcedId": _ref("course"), "classCode": _field("classCode"),
                "classType": _field("classType"), "location": _field("location"),
                "schoolSourcedId": _ref("school"), "termSourcedIds": _refs("terms"),
                "subjects": _field("subjects"), "subjectCodes": _field("subjectCodes"),
                "periods": _field("periods")},
    "users": {**_COMMON, "enabledUser": _field("enabledUser"), "orgSourcedIds": _refs("orgs"),
              "role": _field("role"), "username": _field("username"), "givenName": _field("givenName"),
              "familyName": _field("familyName"), "middleName": _field("middleName"),
              "identifier": _field("identifier"), "email": _field("email"), "sms": _field("sms"),
              "phone": _field("phone"), "agentSourcedIds": _refs("agents"), "grades": _field("grades"),
              "preferredGivenName": _field("preferredFirstName"),
              "preferredMiddleName": _field("preferredMiddleName"),
              "preferredFamilyName": _field("preferredLastName")},
    "enrollments": {**_COMMON, "classSourcedId": _ref("class"), "schoolSourcedId": _ref("school"),
                    "userSourcedId": _ref("user"), "role": _field("role"), "primary": _field("primary"),
                    "beginDate": _field("beginDate"), "endDate": _field("endDate")},
    "roles": {**_COMMON, "userSourcedId": _field("userSourcedId"), "roleType": _field("roleType"),
              "role": _field("role"), "beginDate": _field("beginDate"), "endDate": _field("endDate"),
              "orgSourcedId": _ref("org"), "userProfileSourcedId": _field("userProfile")},
}


def user_roles(users: Sequence[Any]) -> list[dict]:
    """1.2 users' roles as role objects of their own, each naming its user and carrying the user's status."""
    roles = []
    for user in users:
        if not isinstance(user, dict):
            continue
        for index, role in enumerate(user.get("roles") or (), start=1):
            if isinstance(role, dict):
                roles.append({**role, "sourcedId": f"{user.get('sourcedId')}/roles/{index}",
                              "userSourcedId": user.get("sourcedId"), "status": user.get("status"),
                              "dateLastModified": user.get("dateLastModified")})
    return roles


class JsonRecords:
    """A collection's objects as a RecordStream (domain/records.py) under its layout's columns."""

    def __init__(self, name: str, layout: dict[str, Cell], objects: Sequence[Any]) -> None:
        self.name = name
        self.header_cells = list(layout)
        self._cells = list(layout.values())
        self._objects = objects
        self.count = 0
        self.cell_limit = sys.maxsize

    @property
    def width(self) -> int:
        return len(self.header_cells)

    def __iter__(self) -> Iterator[tuple[int, list[str], str | None]]:
        limit, layout = self.cell_limit, self._cells
        for position, item in enumerate(self._objects, start=1):
            self.count += 1
            if not isinstance(item, dict):
                yield position, [""] * (self.width + 1), NOT_AN_OBJECT
                continue
            # Most cells are a plain string: stripped here, without a call to _text (a district has millions).
            cells = [value.strip() if value.__class__ is str else _text(value)
                     for value in [cell(item) for cell in layout]]
            joined = "".join(cells)
            flaw = SCREEN if _CONTROL.search(joined) or (len(joined) > limit and max(map(len, cells)) > limit) \
                else None
            cells.append("")
            yield position, cells, flaw


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_text(part) for part in value if part is not None)
    if isinstance(value, dict):
        return _text(value.get("sourcedId"))
    return str(value).strip()

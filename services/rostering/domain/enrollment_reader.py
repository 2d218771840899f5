"""enrollments.csv: who is in which class, in which role.

The largest file of a district export (about five rows per student), so the
loop resolves the common case (a known id, a remembered date) inline and
leaves everything else to the shared rules in EntityFile.
"""

from __future__ import annotations

from datetime import date

from .records import EntityFile, Target, file_columns
from .snapshot import ACTIVE, Enrollment
from .values import COMMON_FLAGS, parse_date, parse_flag

ENROLLMENT_COLUMNS = file_columns("classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary",
                                  "beginDate", "endDate")


def read_enrollments(file: EntityFile, *, orgs: Target, classes: Target, people: Target) -> list[Enrollment]:
    enrollments: list[Enrollment] = []
    klass, school, user, role_at, primary, begin, end = (file.at(c) for c in (
        "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"))
    resolve, memo_value = file.resolve, file.memo_value
    live_class, live_person, live_org = classes.live.get, people.live.get, orgs.live.get
    dates: dict[str, date] = {}
    roles: dict[str, str] = {}  # one string per role value, not one per row
    with_extras = bool(file.header.extensions)
    for line, cells, source_id, modified in file.rows():
        found = live_class(cells[klass])
        class_id = found.source_id if found is not None else resolve(line, "classSourcedId", cells[klass], classes,
                                                                     "row skipped")
        found = live_person(cells[user])
        person_id = found.source_id if found is not None else resolve(line, "userSourcedId", cells[user], people,
                                                                      "row skipped")
        school_id = cells[school] or None
        if school_id is not None:
            found = live_org(school_id)
            school_id = found.source_id if found is not None else resolve(line, "schoolSourcedId", school_id, orgs,
                                                                          "row skipped")
            if school_id is None:
                continue
        if class_id is None or person_id is None:
            continue
        flag = cells[primary]
        is_primary = COMMON_FLAGS.get(flag) if flag else False
        if is_primary is None:
            is_primary = bool(file.value(line, "primary", flag, parse_flag))
        role = cells[role_at]
        role = roles.setdefault(role, role) if role else None
        begin_date = (dates.get(cells[begin]) or memo_value(dates, line, "beginDate", cells[begin], parse_date)
                      if cells[begin] else None)
        end_date = (dates.get(cells[end]) or memo_value(dates, line, "endDate", cells[end], parse_date)
                    if cells[end] else None)
        extras = file.extras(cells) if with_extras else ()
        # Positional, in Enrollment's field order: keyword calls cost a district read about half a second.
        enrollments.append(Enrollment(source_id, class_id, school_id, person_id, role, is_primary, begin_date,
                                      end_date, ACTIVE, modified, extras, line))
    return enrollments

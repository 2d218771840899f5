"""enrollments.csv: who is in which class, in which role.

The largest file of a district export (about five rows per student), so the
loop resolves the common case (a known id, a remembered date) inline and
leaves everything else to the shared rules in EntityFile.
"""

from __future__ import annotations

from datetime import date

from .enrollment_rows import enrollment_rows
from .records import EntityFile, Target
from .snapshot import ACTIVE, Enrollment, new_record
from .values import COMMON_FLAGS, parse_date, parse_flag


def read_enrollments(file: EntityFile, *, orgs: Target, classes: Target,
                     people: Target) -> tuple[list[Enrollment], int]:
    """The file's enrollments, and how many live rows were skipped for a reference that resolves to nothing."""
    enrollments: list[Enrollment] = []
    skipped = 0
    resolve, memo_value = file.resolve, file.memo_value
    live_class, live_person, live_org = classes.live.get, people.live.get, orgs.live.get
    dates: dict[str, date] = {}
    roles: dict[str, str] = {}  # one string per role value, not one per row
    for line, source_id, modified, klass, school_id, user, role, flag, begin, end, extras in enrollment_rows(file):
        found = live_class(klass)
        class_id = found.source_id if found is not None else resolve(line, "classSourcedId", klass, classes,
                                                                     "row skipped")
        found = live_person(user)
        person_id = found.source_id if found is not None else resolve(line, "userSourcedId", user, people,
                                                                      "row skipped")
        if school_id:
            found = live_org(school_id)
            school_id = found.source_id if found is not None else resolve(line, "schoolSourcedId", school_id, orgs,
                                                                          "row skipped")
            if school_id is None:
                skipped += 1
                continue
        else:
            school_id = None
        if class_id is None or person_id is None:
            skipped += 1
            continue
        is_primary = COMMON_FLAGS.get(flag) if flag else False
        if is_primary is None:
            is_primary = bool(file.value(line, "primary", flag, parse_flag))
        role = roles.setdefault(role, role) if role else None
        begin_date = dates.get(begin) or memo_value(dates, line, "beginDate", begin, parse_date) if begin else None
        end_date = dates.get(end) or memo_value(dates, line, "endDate", end, parse_date) if end else None
        # Every field in order (snapshot.new_record): keyword calls cost a district read about half a second.
        enrollments.append(new_record(Enrollment, (source_id, class_id, school_id, person_id, role, is_primary,
                                                  begin_date, end_date, ACTIVE, modified, extras, line)))
    return enrollments, skipped

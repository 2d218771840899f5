"""Readers for the files that describe the district: orgs, academic sessions, courses and classes."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from .records import EntityFile, Target, file_columns
from .snapshot import AcademicSession, Class, Course, Org
from .values import parse_date, split_list

ORG_COLUMNS = file_columns("name", "type", "identifier", "parentSourcedId")
SESSION_COLUMNS = file_columns("title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear")
COURSE_COLUMNS = file_columns("schoolYearSourcedId", "schoolYearId", "title", "courseCode", "grades", "grade",
                              "orgSourcedId", "subjects", "subjectCodes", "resourceSourcedIds")
CLASS_COLUMNS = file_columns("title", "grades", "grade", "courseSourcedId", "classCode", "classType", "location",
                             "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods",
                             "resourceSourcedIds")

Nested = TypeVar("Nested", Org, AcademicSession)


def read_orgs(file: EntityFile) -> dict[str, Org]:
    orgs: dict[str, Org] = {}
    lines: dict[str, int] = {}
    name, kind, identifier, parent = (file.at(c) for c in ("name", "type", "identifier", "parentSourcedId"))
    for line, cells, source_id, modified in file.rows():
        orgs[source_id] = Org(
            source_id=source_id, name=cells[name] or None, type=cells[kind] or None,
            identifier=cells[identifier] or None, parent_source_id=cells[parent] or None,
            date_last_modified=modified, extras=file.extras(cells), line=line,
        )
        lines[source_id] = line
    _drop_unknown_parents(file, orgs, lines, "org")
    return orgs


def read_sessions(file: EntityFile) -> dict[str, AcademicSession]:
    sessions: dict[str, AcademicSession] = {}
    lines: dict[str, int] = {}
    title, kind, start, end, parent, year = (
        file.at(c) for c in ("title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"))
    for line, cells, source_id, modified in file.rows():
        sessions[source_id] = AcademicSession(
            source_id=source_id, title=cells[title] or None, type=cells[kind] or None,
            start_date=file.value(line, "startDate", cells[start], parse_date) if cells[start] else None,
            end_date=file.value(line, "endDate", cells[end], parse_date) if cells[end] else None,
            parent_source_id=cells[parent] or None, school_year=cells[year] or None,
            date_last_modified=modified, extras=file.extras(cells),
        )
        lines[source_id] = line
    _drop_unknown_parents(file, sessions, lines, "academic session")
    return sessions


def _drop_unknown_parents(file: EntityFile, items: dict[str, Nested], lines: dict[str, int], noun: str) -> None:
    # Runs after the whole file is read because a parent may be listed after its children.
    target = file.target(noun, items)
    for source_id, item in list(items.items()):
        parent = item.parent_source_id
        if parent is not None and file.resolve(lines[source_id], "parentSourcedId", parent, target,
                                               "parent left empty") is None:
            items[source_id] = replace(item, parent_source_id=None)


def read_courses(file: EntityFile, orgs: Target, sessions: Target) -> dict[str, Course]:
    courses: dict[str, Course] = {}
    title, code, org, year, year_alias, grades, grade = (
        file.at(c) for c in ("title", "courseCode", "orgSourcedId", "schoolYearSourcedId", "schoolYearId",
                             "grades", "grade"))
    for line, cells, source_id, modified in file.rows():
        org_id = cells[org] or None
        if org_id is not None:
            org_id = file.resolve(line, "orgSourcedId", org_id, orgs, "row skipped")
            if org_id is None:
                continue
        year_id = cells[year] or cells[year_alias] or None
        if year_id is not None:
            year_id = file.resolve(line, "schoolYearSourcedId", year_id, sessions, "school year left empty")
        courses[source_id] = Course(
            source_id=source_id, title=cells[title] or None, course_code=cells[code] or None,
            org_source_id=org_id, grades=split_list(cells[grades] or cells[grade]), school_year_source_id=year_id,
            date_last_modified=modified, extras=file.extras(cells),
        )
    return courses


def read_classes(file: EntityFile, orgs: Target, courses: Target, sessions: Target) -> dict[str, Class]:
    classes: dict[str, Class] = {}
    title, code, course, school, terms, grades, grade, location = (
        file.at(c) for c in ("title", "classCode", "courseSourcedId", "schoolSourcedId", "termSourcedIds",
                             "grades", "grade", "location"))
    for line, cells, source_id, modified in file.rows():
        school_id = file.resolve(line, "schoolSourcedId", cells[school], orgs, "row skipped")
        if school_id is None:
            continue
        course_id = cells[course] or None
        if course_id is not None:
            course_id = file.resolve(line, "courseSourcedId", course_id, courses, "row skipped")
            if course_id is None:
                continue
        term_ids = tuple(term for term in (
            file.resolve(line, "termSourcedIds", term, sessions, "term dropped")
            for term in split_list(cells[terms])) if term is not None)
        classes[source_id] = Class(
            source_id=source_id, title=cells[title], class_code=cells[code] or None, course_source_id=course_id,
            school_source_id=school_id, term_source_ids=term_ids, grades=split_list(cells[grades] or cells[grade]),
            location=cells[location] or None, date_last_modified=modified, extras=file.extras(cells), line=line,
        )
    return classes

"""A directory search as SQL: the viewer's scope and every filter become WHERE conditions,
so the database computes the page and the total, never the service.

Two plans, one set of conditions. A viewer who sees the whole district
searches `people` itself in name order (an index walk that stops after the
page). Everyone else searches `reach`: their scope is a few index ranges of
it (a school's students, a class's guardians, ...), already carrying the
columns a search filters and orders on, so neither the scope nor the total
needs a join per person; only the page's own people are read from `people`.
On PostgreSQL a whole district searched by name takes a third plan (names_first_page): its total and its
page's names come from name_counts, so it reads only the page's people however many match.

The total is counted up to TOTAL_COUNT_LIMIT rows: beyond it the page says so
(`total_exact` false) instead of counting a whole district on every keystroke.

A statement leaves the search's words, its page and the count's cap as parameters (`parameters`), so the
statements of one viewer and one kind of filter are built once and kept (STATEMENTS_KEPT): each keystroke
of a name reuses the statement, and SQLAlchemy its compiled SQL, instead of building and hashing a tree of
a few hundred clauses again (a quarter of the directory's CPU per search before).
"""
from __future__ import annotations

import functools
from dataclasses import replace

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Integer,
    Label,
    Select,
    Subquery,
    Text,
    bindparam,
    cast,
    false,
    func,
    or_,
    select,
    true,
    union,
)

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from services.directory.adapters import reach_sql, visibility_sql
from services.directory.adapters.tables import enrollments, name_counts, people, person_schools, reach
from services.directory.domain import visibility as v
from services.directory.domain.people import KIND_FLAGS, PeopleFilter
from shared.prepared_statements import PREPARED

SUMMARY_COLUMNS = (
    people.c.id, people.c.district_id, people.c.given_name, people.c.family_name,
    people.c.is_student, people.c.is_staff, people.c.is_guardian, people.c.grade, people.c.job_title,
    people.c.archived, people.c.student_account_enabled, people.c.joined, people.c.invited,
)
ORDER = (people.c.family_name_key, people.c.given_name_key, people.c.id)
# Counting stops here: enough for any school, and a district-wide list says "more than" instead.
TOTAL_COUNT_LIMIT = 10_000
MATCHED = "matched"
SCHOOL_IDS = "school_ids"
# The parameters of a search statement (see `parameters`).
TERM = "term_{}"
PAGE_LIMIT = "page_limit"
PAGE_OFFSET = "page_offset"
COUNT_CAP = "count_cap"
# LIKE's escape character: PostgreSQL's own default, so its statements need no ESCAPE clause (`name_like`).
LIKE_ESCAPE = "\\"
# Statements kept per directory process: a viewer's scope times the kinds of filter they use.
STATEMENTS_KEPT = 512


def parameters(wanted: PeopleFilter) -> dict:
    """The values every statement below leaves as parameters: each word as a LIKE pattern (the word anywhere
    in the name), the page, and the count's cap (one past TOTAL_COUNT_LIMIT)."""
    values: dict = {TERM.format(n): f"%{_escaped(term)}%" for n, term in enumerate(wanted.terms)}
    values.update({PAGE_LIMIT: wanted.limit, PAGE_OFFSET: wanted.offset, COUNT_CAP: TOTAL_COUNT_LIMIT + 1})
    return values


def _escaped(term: str) -> str:
    return (term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
            .replace("_", LIKE_ESCAPE + "_"))


def _kept(build):
    """`build(wanted, scope, **options)` once per viewer scope, kind of filter and options: the words and the
    page are parameters, so they are blanked out of the key. On PostgreSQL each runs as a server-side prepared
    statement (shared/prepared_statements.py): viewers whose scopes have the same shape share its SQL text."""
    kept = functools.lru_cache(maxsize=STATEMENTS_KEPT)(
        lambda *args, **options: build(*args, **options).execution_options(**{PREPARED: True}))

    @functools.wraps(build)
    def statement(wanted: PeopleFilter, scope: v.Scope, **options):
        return kept(replace(wanted, terms=("",) * len(wanted.terms), offset=0, limit=0), scope, **options)

    return statement


def _page_limit() -> ColumnElement[int]:
    return bindparam(PAGE_LIMIT, type_=Integer)


def _page_offset() -> ColumnElement[int]:
    return bindparam(PAGE_OFFSET, type_=Integer)


def _count_cap() -> ColumnElement[int]:
    return bindparam(COUNT_CAP, type_=Integer)


def sees_whole_district(scope: v.Scope) -> bool:
    return any(isinstance(grant, v.WholeDistrict) for grant in scope.people)


def filters(wanted: PeopleFilter, rows, person_id) -> list[ColumnElement[bool]]:
    """The request's filters on `rows` (people or reach: both carry the searchable columns)."""
    where = []
    if not wanted.include_archived:
        where.append(~rows.c.archived)
    for n in range(len(wanted.terms)):
        pattern = bindparam(TERM.format(n), type_=Text)
        where.append(or_(name_like(rows.c.given_name_key, pattern), name_like(rows.c.family_name_key, pattern)))
    if wanted.kind:
        where.append(rows.c[KIND_FLAGS[wanted.kind]])
    if wanted.school_id:
        where.append(person_id.in_(in_school(wanted.school_id)))
    if wanted.classroom_id:
        where.append(person_id.in_(in_classroom(wanted.classroom_id)))
    if wanted.students_only:
        where.append(rows.c.is_student)
        where.append(rows.c.student_account_enabled == wanted.account_enabled)
        if wanted.joined is not None:
            where.append(rows.c.joined == wanted.joined)
        if wanted.invited is not None:
            where.append(rows.c.invited == wanted.invited)
    return where


class name_like(ColumnElement[bool]):  # noqa: N801 — used as a function, as SQLAlchemy's own constructs are
    """`column LIKE pattern`, the pattern escaped with LIKE_ESCAPE. On PostgreSQL without an ESCAPE clause, as
    the backslash is its default: with one, a prepared statement's generic plan calls like_escape(pattern)
    again for every row it tests (at district scale a fifth of a school administrator's search)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("pattern", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[str], pattern: ColumnElement[str]) -> None:
        self.column, self.pattern = column, pattern


@compiles(name_like)
def _name_like(element: name_like, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} LIKE {compiler.process(element.pattern, **kw)} ESCAPE '\\'"


@compiles(name_like, "postgresql")
def _name_like_on_postgresql(element: name_like, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} LIKE {compiler.process(element.pattern, **kw)}"


def in_school(school_id: str) -> Select:
    """People of the school, and the guardians of its students."""
    members = select(person_schools.c.person_id).where(person_schools.c.school_id == school_id)
    return union(members, _reached(school_id, v.GuardiansOfStudentsInSchools))


def in_classroom(classroom_id: str) -> Select:
    """Everyone currently enrolled in the classroom, and the guardians of its students."""
    members = select(enrollments.c.person_id).where(enrollments.c.classroom_id == classroom_id,
                                                    ~enrollments.c.archived)
    return union(members, _reached(classroom_id, v.GuardiansOfStudentsInClassrooms))


def _reached(holder_id: str, grant_type) -> Select:
    return select(reach.c.person_id).where(reach.c.holder_id == holder_id,
                                           reach.c.relation == reach_sql.GRANT_RELATIONS[grant_type])


# --- the whole district: people in name order --------------------------------------------------

def _district_conditions(wanted: PeopleFilter, scope: v.Scope) -> list[ColumnElement[bool]]:
    return [visibility_sql.person_visible(scope), *filters(wanted, people, people.c.id)]


# --- any other scope: reach rows, then the page's people ---------------------------------------

def _scoped_matches(wanted: PeopleFilter, scope: v.Scope) -> Subquery:
    return _scoped_union(wanted, scope).subquery("matches")


def _scoped_union(wanted: PeopleFilter, scope: v.Scope) -> CompoundSelect:
    """(id, name keys) of every match, once each: reach rows the scope admits, and the chosen individuals.

    Each range of reach is a branch of its own: a teacher's school (its staff) and classes (their students and
    guardians) as one OR were read by a bitmap scan from the table (67 pages for 326 rows at district scale),
    each alone is read index-only."""
    ranges = reach_sql.admitted_ranges(g for g in scope.people if isinstance(g, reach_sql.REACH_GRANTS)) or [false()]
    in_reach = [select(reach.c.person_id.label("id"), reach.c.family_name_key, reach.c.given_name_key)
                .where(admitted, *filters(wanted, reach, reach.c.person_id)) for admitted in ranges]
    individuals = [g for g in scope.people if isinstance(g, v.Individuals)]
    chosen = (select(people.c.id, people.c.family_name_key, people.c.given_name_key)
              .where(visibility_sql.admitted_by(individuals), *filters(wanted, people, people.c.id)))
    return union(*in_reach, chosen)


def _unsupported(scope: v.Scope) -> list[v.PersonGrant]:
    return [g for g in scope.people if not isinstance(g, (*reach_sql.REACH_GRANTS, v.Individuals, v.WholeDistrict))]


def _district_wide(scope: v.Scope) -> bool:
    return sees_whole_district(scope) or bool(_unsupported(scope))


def finds_matches_first(wanted: PeopleFilter, scope: v.Scope) -> bool:
    """Whether matches_first_page answers the search: a scoped one (its matches are sorted whatever
    the plan), and a district-wide one with name terms."""
    return bool(wanted.terms) or not _district_wide(scope)


@_kept
def matches_first_page(wanted: PeopleFilter, scope: v.Scope, *, school_ids: bool = False) -> Select:
    """The page and, in a MATCHED column, how many match (up to one past TOTAL_COUNT_LIMIT), in one statement.

    The matches are found first, once, for both the page and the count, then sorted. District-wide,
    the trigram indexes find them. Left to itself, PostgreSQL would walk the name-order index until it
    met a page of matches, costed as if matches were spread evenly through the alphabet. They are
    not: at district scale the 8,910 people matching "oka" are mostly Okafors, and the walk passed
    147,000 other people first (100 ms against 16). MATERIALIZED keeps the planner from folding the
    matches back into that walk. When more than TOTAL_COUNT_LIMIT match, this page is not the first
    of them all: the caller asks page_query instead. `school_ids`: each row carries its person's school
    ids too (SCHOOL_IDS, PostgreSQL only), so the page needs no second statement.
    """
    if _district_wide(scope):
        found = (select(*SUMMARY_COLUMNS, *ORDER[:2]).where(*_district_conditions(wanted, scope))
                 .limit(_count_cap()).cte("matches").prefix_with("MATERIALIZED"))
        return (select(*(found.c[column.name] for column in SUMMARY_COLUMNS), _count_of(found),
                       *_school_ids(found.c.id, school_ids))
                .order_by(*_name_order(found)).limit(_page_limit()).offset(_page_offset()))
    found = _scoped_union(wanted, scope).limit(_count_cap()).cte("matches").prefix_with("MATERIALIZED")
    page = (select(found.c.id, _count_of(found)).order_by(*_name_order(found))
            .limit(_page_limit()).offset(_page_offset()).subquery("page"))
    return (select(*SUMMARY_COLUMNS, page.c[MATCHED], *_school_ids(people.c.id, school_ids))
            .join_from(people, page, page.c.id == people.c.id).order_by(*ORDER))


def _name_order(matches) -> tuple:
    """ORDER over a set of matches that carries the name keys and the id."""
    return matches.c.family_name_key, matches.c.given_name_key, matches.c.id


def _count_of(found) -> Label:
    return select(func.count()).select_from(found).scalar_subquery().label(MATCHED)


@_kept
def page_query(wanted: PeopleFilter, scope: v.Scope, *, school_ids: bool = False) -> Select:
    extra = _school_ids(people.c.id, school_ids)
    if _district_wide(scope):
        return (select(*SUMMARY_COLUMNS, *extra).where(*_district_conditions(wanted, scope))
                .order_by(*ORDER).limit(_page_limit()).offset(_page_offset()))
    matches = _scoped_matches(wanted, scope)
    page = (select(matches.c.id).order_by(*_name_order(matches))
            .limit(_page_limit()).offset(_page_offset()).subquery("page"))
    return select(*SUMMARY_COLUMNS, *extra).join_from(people, page, page.c.id == people.c.id).order_by(*ORDER)


def _school_ids(person_id, wanted: bool) -> tuple[Label, ...]:
    """The person's school ids as a PostgreSQL ARRAY(subquery), when `wanted`. A correlated subplan costs
    enough that PostgreSQL evaluates it after the sort and limit: for the page's rows only."""
    if not wanted:
        return ()
    schools = (select(person_schools.c.school_id).where(person_schools.c.person_id == person_id)
               .order_by(person_schools.c.school_id).scalar_subquery())
    return (func.array(schools).label(SCHOOL_IDS),)


@_kept
def count_query(wanted: PeopleFilter, scope: v.Scope) -> Select:
    """How many match, counted up to one past TOTAL_COUNT_LIMIT."""
    if _district_wide(scope):
        matching = select(people.c.id).where(*_district_conditions(wanted, scope))
    else:
        matches = _scoped_matches(wanted, scope)
        matching = select(matches.c.id)
    capped = matching.limit(_count_cap()).subquery("capped")
    return select(func.count()).select_from(capped)


def matching_ids(wanted: PeopleFilter, scope: v.Scope, limit: int) -> Select:
    """The ids of every match in name order, up to `limit` (a bulk action over a search's results; run it with
    `parameters(wanted)`)."""
    if _district_wide(scope):
        return (select(people.c.id).where(*_district_conditions(wanted, scope)).order_by(*ORDER).limit(limit))
    matches = _scoped_matches(wanted, scope)
    return select(matches.c.id).order_by(*_name_order(matches)).limit(limit)


# --- the whole district by name counts (PostgreSQL) ----------------------------------------------

def names_district(scope: v.Scope) -> str | None:
    """The district whose people the scope admits, when it admits them all (a WholeDistrict grant) and
    otherwise only grants within that district or chosen individuals (see `individuals`): the district
    that name_counts can answer for once those individuals are known to be its own."""
    districts = {grant.district_id for grant in scope.people if isinstance(grant, visibility_sql.DISTRICT_GRANTS)}
    if (len(districts) == 1 and sees_whole_district(scope)
            and all(isinstance(grant, (*visibility_sql.DISTRICT_GRANTS, v.Individuals)) for grant in scope.people)):
        return districts.pop()
    return None


def individuals(scope: v.Scope) -> frozenset[str]:
    """The people the scope's Individuals grants admit."""
    return frozenset().union(*(grant.person_ids for grant in scope.people if isinstance(grant, v.Individuals)))


def finds_by_names(wanted: PeopleFilter, scope: v.Scope) -> bool:
    """Whether names_first_page can answer the search, once the scope's individuals are known to be of
    names_district(scope): a whole district searched by name, filtered on nothing name_counts does not
    carry (it carries archived and the kinds)."""
    return (bool(wanted.terms) and names_district(scope) is not None
            and not (wanted.school_id or wanted.classroom_id or wanted.students_only))


def _names_district_people(wanted: PeopleFilter, scope: v.Scope) -> list[ColumnElement[bool]]:
    """The district's people and the filters: the scope itself, its individuals being the district's."""
    return [people.c.district_id == names_district(scope), *filters(wanted, people, people.c.id)]


def _matching_names(wanted: PeopleFilter, scope: v.Scope):
    """Each matching name (family and given key) and how many of the district's people hold it."""
    return (select(name_counts.c.family_name_key, name_counts.c.given_name_key,
                   func.sum(name_counts.c.people).label("held"))
            .where(name_counts.c.district_id == names_district(scope), name_counts.c.people > 0,
                   *filters(wanted, name_counts, None))
            .group_by(name_counts.c.family_name_key, name_counts.c.given_name_key))


def _capped_total(names) -> ColumnElement[int]:
    """How many match, up to one past TOTAL_COUNT_LIMIT, as count_query counts them."""
    total = func.least(func.coalesce(func.sum(names.c.held), 0), _count_cap())
    return cast(select(total).select_from(names).scalar_subquery(), Integer)


@_kept
def names_first_page(wanted: PeopleFilter, scope: v.Scope, *, school_ids: bool = False) -> Select:
    """The page, and in a MATCHED column the capped total, from name_counts: the total is a sum over the
    matching names, and the page reads only the people of the names it spans (those whose running count
    before them is under offset + limit), each name's people by the name-order index, in id order.
    Whatever the total, this is the true page in name order."""
    names = _matching_names(wanted, scope).cte("names")
    before = func.sum(names.c.held).over(order_by=(names.c.family_name_key, names.c.given_name_key)) - names.c.held
    running = select(names.c.family_name_key, names.c.given_name_key, before.label("before")).subquery("running")
    spanned = (select(running.c.family_name_key, running.c.given_name_key)
               .where(running.c.before < _page_limit() + _page_offset()).subquery("spanned"))
    named = (select(*SUMMARY_COLUMNS, *ORDER[:2])
             .where(*_names_district_people(wanted, scope),
                    people.c.family_name_key == spanned.c.family_name_key,
                    people.c.given_name_key == spanned.c.given_name_key)
             .order_by(people.c.id).limit(_page_limit() + _page_offset()).lateral("named"))
    return (select(*(named.c[column.name] for column in SUMMARY_COLUMNS), _capped_total(names).label(MATCHED),
                   *_school_ids(named.c.id, school_ids))
            .select_from(spanned).join(named, true())
            .order_by(*_name_order(named)).limit(_page_limit()).offset(_page_offset()))


@_kept
def names_count(wanted: PeopleFilter, scope: v.Scope) -> Select:
    """The capped total alone, from name_counts (for a page past the last match)."""
    return select(_capped_total(_matching_names(wanted, scope).subquery("names")))

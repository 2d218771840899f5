"""The `reach` table: how its rows are derived, and the visibility grants read from it.

A row says "holder (a school or a classroom) reaches person as relation". The
derivation below is the same rule `visibility_sql.grant_members` applies with
joins, computed once per write instead of once per read:

- school, student / staff: the person belongs to the school and holds that kind;
- school, guardian: a guardian (by a current link) of a student who belongs to the school;
- classroom, student: enrolled as a student (and holding the student kind), the enrollment and the
  classroom current;
- classroom, guardian: a guardian (by a current link) of such a student.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Insert,
    Select,
    String,
    Update,
    and_,
    any_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
    update,
)
from services.directory.adapters.tables import classrooms, enrollments, guardian_links, people, person_schools, reach
from services.directory.domain import visibility as v
from services.directory.domain.people import KIND_FLAGS
from shared.contracts.directory import GUARDIAN, STAFF, STUDENT

# Copied from the person onto each of their rows: what a search filters and orders on.
PERSON_COLUMNS = ("district_id", "family_name_key", "given_name_key", "is_student", "is_staff", "is_guardian",
                  "archived", "student_account_enabled", "joined", "invited")
KEY = ("holder_id", "relation", "person_id")
# Of those, what a person's name gives (RENAME).
NAME_COLUMNS = ("family_name_key", "given_name_key")
COLUMNS = KEY + PERSON_COLUMNS
# REFRESH's parameter: the ids of the people whose rows it brings up to date, a list.
REFRESH_IDS = "reach_ids"

# Each reach grant of the domain, as the (holder kind, relation) rows that admit it.
GRANT_RELATIONS = {
    v.StudentsOfSchools: STUDENT,
    v.StaffOfSchools: STAFF,
    v.GuardiansOfStudentsInSchools: GUARDIAN,
    v.StudentsOfClassrooms: STUDENT,
    v.GuardiansOfStudentsInClassrooms: GUARDIAN,
}
REACH_GRANTS = tuple(GRANT_RELATIONS)
# Every relation a row can hold (`_paths` derives no other): a holder's rows admitted under all of them need no
# condition on the relation.
EVERY_RELATION = frozenset(GRANT_RELATIONS.values())


def rows_of(person_ids: Collection[str] | None) -> Select:
    """Every reach row of these people (of everyone when None), as `COLUMNS`.

    Archived links, enrollments and classrooms make no row: the person has left that class or family.
    An archived person keeps their rows, marked archived, so searches with `include_archived` still
    find them where they were. So does a guardian reached only through archived students: the family
    left with the child. A guardian with several children in one school or class is reached there as
    long as one path is current, hence the grouping.
    """
    member = people.alias("member")
    chosen = [member.c.id.in_(sorted(person_ids))] if person_ids is not None else []
    return _grouped(_paths(member, chosen).subquery("paths"))


def rows_of_each(person_ids: BindParameter) -> Select:
    """`rows_of` on PostgreSQL for the people of an array parameter, derived person by person.

    Each person's row is read once, then their paths are a LATERAL subquery that starts from their id, so every
    join is an index lookup whatever the statistics say, and a path for another kind of person (a guardian's
    paths for a student) is skipped on the person's flag before any of its lookups. Planned as one join over
    the whole page, a bulk import (whose tables grow faster than ANALYZE follows, and whose first enrollments
    are all teachers') was planned from the other end: every student's enrollments and guardians read for each
    page, a page of guardian links taking seconds more the larger the district had grown.
    """
    chosen = func.unnest(person_ids).table_valued("id").render_derived(name="chosen")
    # OFFSET 0 keeps the person's read LATERAL too: joined to the page's ids, a `people` whose statistics lag
    # its growth could be planned as a scan of the whole table.
    member = (select(people.c.id, *(people.c[name] for name in PERSON_COLUMNS))
              .where(people.c.id == chosen.c.id).offset(0).lateral("member"))
    paths = _paths(member, [], member_outside=True).lateral("paths")
    return _grouped(paths).select_from(chosen.join(member, true()).join(paths, true()))


def _paths(member, chosen: list[ColumnElement[bool]], *, member_outside: bool = False) -> CompoundSelect:
    """Each path to a holder of the `chosen` members (all when empty), one row per path. With `member_outside`,
    the member is a row of the enclosing query (a LATERAL subquery's), not read here."""
    student = people.alias("student")
    classroom = classrooms.alias("classroom")

    def reached(holder, relation: str, archived, source, *where) -> Select:
        query = select(holder.label("holder_id"), literal(relation).label("relation"),
                       member.c.id.label("person_id"),
                       *(member.c[name] for name in PERSON_COLUMNS if name != "archived"),
                       case((archived, 1), else_=0).label("path_archived")).select_from(source).where(*where, *chosen)
        return query.correlate(member) if member_outside else query

    children = guardian_links.join(student, student.c.id == guardian_links.c.student_id)
    of_guardian = and_(member.c.is_guardian, guardian_links.c.guardian_id == member.c.id, ~guardian_links.c.archived)
    students_of_schools = children.join(person_schools, person_schools.c.person_id == guardian_links.c.student_id)
    current_class = and_(enrollments.c.role == v.STUDENT_ENROLLMENT_ROLE, ~enrollments.c.archived,
                         ~classroom.c.archived)
    classes = enrollments.join(classroom, classroom.c.id == enrollments.c.classroom_id)
    students_of_classes = (children.join(enrollments, enrollments.c.person_id == guardian_links.c.student_id)
                           .join(classroom, classroom.c.id == enrollments.c.classroom_id))
    through_child = or_(member.c.archived, student.c.archived)
    in_school = person_schools.c.person_id == member.c.id
    return union_all(
        reached(person_schools.c.school_id, STUDENT, member.c.archived, person_schools, member.c.is_student,
                in_school),
        reached(person_schools.c.school_id, STAFF, member.c.archived, person_schools, member.c.is_staff, in_school),
        reached(person_schools.c.school_id, GUARDIAN, through_child, students_of_schools, of_guardian),
        reached(enrollments.c.classroom_id, STUDENT, member.c.archived, classes, member.c.is_student,
                enrollments.c.person_id == member.c.id, current_class),
        # As in grant_members, an enrollment as a student is enough to make the child's guardians reached.
        reached(enrollments.c.classroom_id, GUARDIAN, through_child, students_of_classes, of_guardian,
                current_class),
    )


def _grouped(paths) -> Select:
    grouped = [paths.c[name] for name in COLUMNS if name != "archived"]
    # Archived only when every path to the holder is: the smallest flag over the paths.
    archived = (func.min(paths.c.path_archived) == 1).label("archived")
    return select(*(archived if name == "archived" else paths.c[name] for name in COLUMNS)).group_by(*grouped)


def _refresh_statement() -> Insert:
    """One statement for PostgreSQL: the people's rows derived afresh and compared with the rows they hold; rows no
    longer derived are deleted, rows whose copied columns differ updated, new rows inserted, and nothing else is
    written. A full import refreshes a student once for their schools and again for their classes: their school
    rows, unchanged the second time, are left as they are rather than written again (with every index entry).

    Plain writes, no ON CONFLICT: the held rows read here are every row of these people, as no other transaction
    writes them meanwhile (DirectoryRepository.refresh_reach takes the one lock every refresh holds until its
    commit, and this statement's snapshot is taken after it). An upsert checked each new row's key before
    inserting it and locked each held row it left alone: a fifth of the refresh's CPU on a page of new rows."""
    ids = bindparam(REFRESH_IDS, type_=ARRAY(String))
    desired = rows_of_each(ids).cte("desired")
    # The rows held now, read person by person too (OFFSET 0 keeps the subquery LATERAL, so each read is an
    # index lookup: as one `person_id = ANY` the planner's estimate from lagging statistics chose to scan
    # the whole table per page), and deleted by their row address.
    chosen = func.unnest(ids).table_valued("id").render_derived(name="held_of")
    held_rows = reach.alias("held_rows")
    each_held = (select(literal_column("held_rows.ctid").label("row_address"), *(held_rows.c[name] for name in COLUMNS))
                 .where(held_rows.c.person_id == chosen.c.id).offset(0).lateral("each_held"))
    held = select(each_held).select_from(chosen.join(each_held, true())).cte("held")

    def same_row(rows) -> ColumnElement[bool]:
        return and_(*(rows.c[name] == desired.c[name] for name in KEY))

    stale = select(held.c.row_address).where(~exists().where(same_row(held)))
    gone = delete(reach).where(literal_column("reach.ctid") == any_(func.array(stale.scalar_subquery()))).cte("gone")
    differing = (select(desired).join_from(desired, held, same_row(held))
                 .where(or_(*(held.c[name].is_distinct_from(desired.c[name]) for name in PERSON_COLUMNS)))
                 .subquery("differing"))
    changed = (update(reach).where(*(reach.c[name] == differing.c[name] for name in KEY))
               .values({name: differing.c[name] for name in PERSON_COLUMNS}).cte("changed"))
    new = select(*(desired.c[name] for name in COLUMNS)).where(~exists().where(same_row(held)))
    return insert(reach).from_select(COLUMNS, new).add_cte(gone).add_cte(changed)


REFRESH = _refresh_statement()


def _rename_statement() -> Update:
    """PostgreSQL: the rows of people whose paths are as they were (REFRESH_IDS) given the name keys their row
    holds now, where they differ. What REFRESH would write for them, without deriving their paths again: a page
    of renamed people spent a third of its refresh on that. Under the refresh's lock, as REFRESH is."""
    renamed = func.unnest(bindparam(REFRESH_IDS, type_=ARRAY(String))).table_valued("id").render_derived(
        name="renamed")
    return (update(reach)
            .where(people.c.id == renamed.c.id, reach.c.person_id == people.c.id,
                   or_(*(reach.c[name] != people.c[name] for name in NAME_COLUMNS)))
            .values({name: people.c[name] for name in NAME_COLUMNS}))


RENAME = _rename_statement()


def _children_archived_statement() -> Update:
    """PostgreSQL: after children were archived, and nothing else changed, the rows of their current guardians
    (REFRESH_IDS) that no current child reaches any more marked archived. What REFRESH would write for them,
    without deriving every path again: archiving a child adds no path and removes none (a path through an
    archived child stays, archived) and changes nothing the rows copy from the guardian, so the only rows that
    differ are the guardian's current rows whose every path now runs through an archived child. Exact when the
    rows were right before, as every other write keeps them. Under the refresh's lock, as REFRESH is.

    The holders the guardians' current children still reach are read once, set-wise, and the guardians' rows
    checked against them: a check per row, each reading the guardian's links and children again, took longer
    than REFRESH itself on a page of 2,000 guardians (about 11 rows each)."""
    guardians = (select(func.unnest(bindparam(REFRESH_IDS, type_=ARRAY(String))).label("id"))
                 .cte("left_with_fewer_children"))
    child = people.alias("child")
    classroom = classrooms.alias("classroom")
    current_children = (select(guardian_links.c.guardian_id, guardian_links.c.student_id)
                        .join_from(guardians, guardian_links, guardian_links.c.guardian_id == guardians.c.id)
                        .join(child, child.c.id == guardian_links.c.student_id)
                        .where(~guardian_links.c.archived, ~child.c.archived)
                        .cte("current_children").prefix_with("MATERIALIZED"))
    # `_paths`' two guardian paths, through current children only.
    still_reached = union_all(
        select(current_children.c.guardian_id, person_schools.c.school_id.label("holder_id"))
        .join_from(current_children, person_schools, person_schools.c.person_id == current_children.c.student_id),
        select(current_children.c.guardian_id, enrollments.c.classroom_id)
        .join_from(current_children, enrollments, enrollments.c.person_id == current_children.c.student_id)
        .join(classroom, classroom.c.id == enrollments.c.classroom_id)
        .where(enrollments.c.role == v.STUDENT_ENROLLMENT_ROLE, ~enrollments.c.archived, ~classroom.c.archived),
    ).cte("still_reached").prefix_with("MATERIALIZED")
    # Read once and hashed, not looked up row by row.
    reached = exists().where(still_reached.c.guardian_id == reach.c.person_id,
                             still_reached.c.holder_id == reach.c.holder_id)
    return (update(reach)
            .where(reach.c.person_id == guardians.c.id, reach.c.relation == GUARDIAN, ~reach.c.archived, ~reached)
            .values(archived=True))


CHILDREN_ARCHIVED = _children_archived_statement()


def _row_level_condition(grant: v.PersonGrant, rows) -> ColumnElement[bool]:
    """A reach row (of `rows`, the table or an alias of it) that admits its person under a grant that is not a
    reach grant (those are admitted_rows' ranges)."""
    match grant:
        case v.WholeDistrict(district_id):
            return rows.c.district_id == district_id
        case v.KindOfDistrict(district_id, kind):
            return and_(rows.c.district_id == district_id, rows.c[KIND_FLAGS[kind]])
        case v.Individuals(person_ids):
            return rows.c.person_id.in_(sorted(person_ids))
    raise TypeError(f"no reach condition for {type(grant).__name__}")


def admitted_rows(grants: Iterable[v.PersonGrant], rows=reach) -> ColumnElement[bool]:
    """Reach rows any of the grants admits: any of `admitted_ranges`."""
    conditions = admitted_ranges(grants, rows)
    return or_(*conditions) if conditions else false()


def admitted_ranges(grants: Iterable[v.PersonGrant], rows=reach) -> list[ColumnElement[bool]]:
    """Reach rows the grants admit, one condition per range of the key (and per grant not a reach grant).

    Reach grants over the same holders are one condition, `holder IN (...) AND relation IN (...)`: a school
    administrator's students, staff and guardians are then one range of the key, which a prepared statement's
    generic plan reads index-only (the key carries the searched columns, directory_0009). As an OR of three
    ranges, each holder its own parameter, the plan was three bitmap scans that read every row from the table.
    The relations are written into the SQL: a list of parameters is built into an array again for every row
    the range holds (at district scale a school administrator's search spent more on that than on the range).
    Holders admitted under every relation (a school administrator's school) are their range alone: the
    relation tested on each of the school's ~2,600 rows was an eighth of that search's statement.
    """
    conditions: list[ColumnElement[bool]] = []
    relations_of: dict[tuple[str, ...], set[str]] = {}
    for grant in grants:
        if isinstance(grant, REACH_GRANTS):
            relations_of.setdefault(tuple(sorted(_holders(grant))), set()).add(GRANT_RELATIONS[type(grant)])
        else:
            conditions.append(_row_level_condition(grant, rows))
    return conditions + [_holders_range(rows, holders, relations) for holders, relations in relations_of.items()]


def _holders_range(rows, holders: tuple[str, ...], relations: set[str]) -> ColumnElement[bool]:
    """The holders' rows of these relations."""
    if relations >= EVERY_RELATION:
        return rows.c.holder_id.in_(holders)
    return and_(rows.c.holder_id.in_(holders),
                rows.c.relation.in_([literal(relation, literal_execute=True) for relation in sorted(relations)]))


def person_visible(scope: v.Scope) -> ColumnElement[bool]:
    """A reach row whose person the scope admits through any of their rows, or as one of its individuals."""
    elsewhere = reach.alias("visible_reach")
    row_level = [g for g in scope.people if isinstance(g, (v.WholeDistrict, v.KindOfDistrict, v.Individuals))]
    reached = [g for g in scope.people if isinstance(g, REACH_GRANTS)]
    conditions = [admitted_rows(row_level)] if row_level else []
    if reached:
        conditions.append(reach.c.person_id.in_(select(elsewhere.c.person_id)
                                                .where(admitted_rows(reached, elsewhere))))
    return or_(*conditions) if conditions else false()


def _holders(grant) -> frozenset[str]:
    return grant.school_ids if hasattr(grant, "school_ids") else grant.classroom_ids

"""The directory's repository: what a worker reads and writes, one method per question or unit of work.

Bulk writes go one statement per page (INSERT, or UPDATE, from one array per column on
PostgreSQL, shared/bulk_sql.py), after one query that fetches every stored row the page names.
Methods that write commit their own transaction.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence

from sqlalchemy import Table, delete, func, literal, select, union_all, update
from sqlalchemy.orm import Session

from services.directory.adapters import reach_sql, search_sql, visibility_sql
from services.directory.adapters.tables import (
    classrooms,
    district_sync,
    districts,
    enrollments,
    guardian_links,
    people,
    person_schools,
    reach,
    schools,
)
from services.directory.domain.people import PeopleFilter, kinds_of, name_key
from services.directory.domain.people_pages import PeoplePageWrites
from services.directory.domain.sync_lock import NO_SYNC, SyncOwnership
from services.directory.domain.upserts import Stored, UpsertPlan
from services.directory.domain.visibility import (
    TEACHING_ROLES,
    ClassroomFacts,
    PersonFacts,
    PersonGrant,
    Scope,
    ViewerFacts,
)
from shared.bulk_sql import insert_rows, update_rows
from shared.db import dialect_insert, read_without_transaction

SCHOOL_FIELDS = ("name", "identifier")
CLASSROOM_FIELDS = ("school_id", "title", "class_code", "course_title", "grades", "archived")
ENROLLMENT_FIELDS = ("classroom_id", "person_id", "role", "archived")
LINK_FIELDS = ("archived", "managed_by_sync", "relationship")
PERSON_FIELDS = ("given_name", "family_name", "middle_name", "is_student", "is_staff", "is_guardian",
                 "grade", "job_title", "identifier", "archived", "managed_by_sync")
PERSON_STATE = ("student_account_enabled",)
PERSON_ROW = PERSON_FIELDS + PERSON_STATE + ("id", "district_id", "source_id", "joined", "invited")
# People per reach refresh statement: keeps each IN list well under SQLite's bound-parameter limit.
REACH_REFRESH_ROWS = 2000
# pg_advisory_xact_lock key of the reach refresh: any fixed 64-bit number no other code of this database uses.
REACH_REFRESH_LOCK = 0x7265616368


# Answers of DirectoryRepository._of_district kept per process: (district id, person ids) -> bool.
OF_DISTRICT_KEPT = 4096
_of_district_kept: dict[tuple[str, frozenset[str]], bool] = {}


class DirectoryRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- districts and schools ----------------------------------------------------------------

    def district(self, district_id: str) -> dict | None:
        row = self.session.execute(select(districts.c.id, districts.c.source_id, districts.c.name)
                                   .where(districts.c.id == district_id)).first()
        self.session.commit()
        return dict(row._mapping) if row else None

    def district_exists(self, district_id: str) -> bool:
        return self.session.execute(select(districts.c.id).where(districts.c.id == district_id)).first() is not None

    def sync_ownership(self, district_id: str | None) -> SyncOwnership:
        """What the district's sync owns (nothing, for a district that does not sync)."""
        row = self.session.execute(select(district_sync).where(district_sync.c.district_id == district_id)).first()
        if row is None:
            return NO_SYNC
        return SyncOwnership(source=row.source, manages_guardians=row.manages_guardians,
                             updates_contact_details_of_active_users=row.updates_contact_details_of_active_users)

    def stored_districts(self, source_ids: Collection[str]) -> dict[str, Stored]:
        rows = self.session.execute(select(districts).where(districts.c.source_id.in_(list(source_ids))))
        return {row.source_id: Stored(row.id, {"name": row.name}) for row in rows}

    def save_districts(self, plan: UpsertPlan) -> None:
        self._write(districts, plan, ("name",), extra={})

    def stored_schools(self, district_id: str, source_ids: Collection[str]) -> dict[str, Stored]:
        return self._stored(schools, district_id, source_ids, SCHOOL_FIELDS)

    def save_schools(self, district_id: str, plan: UpsertPlan) -> None:
        self._write(schools, plan, SCHOOL_FIELDS, extra={"district_id": district_id})

    def school_ids_by_source(self, district_id: str, source_ids: Collection[str]) -> dict[str, str]:
        return self._ids_by_source(schools, district_id, source_ids)

    def list_schools(self, district_id: str | None) -> list[dict]:
        query = select(schools.c.id, schools.c.name, schools.c.district_id).order_by(schools.c.name, schools.c.id)
        if district_id is not None:
            query = query.where(schools.c.district_id == district_id)
        return [dict(row._mapping) for row in self.session.execute(query)]

    def schools_by_ids(self, school_ids: Collection[str]) -> list[dict]:
        query = (select(schools.c.id, schools.c.name, schools.c.district_id)
                 .where(schools.c.id.in_(sorted(school_ids))).order_by(schools.c.name, schools.c.id))
        return [dict(row._mapping) for row in self.session.execute(query)]

    # --- classrooms and enrollments -----------------------------------------------------------

    def stored_classrooms(self, district_id: str, source_ids: Collection[str]) -> dict[str, Stored]:
        return self._stored(classrooms, district_id, source_ids, CLASSROOM_FIELDS)

    def save_classrooms(self, district_id: str, plan: UpsertPlan, *, reach_changed: Collection[str] = ()) -> None:
        """`reach_changed`: classrooms archived or unarchived by this plan, whose members' reach rows change."""
        self._write(classrooms, plan, CLASSROOM_FIELDS, extra={"district_id": district_id}, commit=False)
        if reach_changed:
            members = self._ids(select(enrollments.c.person_id).where(enrollments.c.classroom_id.in_(
                sorted(reach_changed))))
            self.refresh_reach(self.with_guardians(members))
        self.session.commit()

    def classroom_ids_by_source(self, district_id: str, source_ids: Collection[str]) -> dict[str, str]:
        return self._ids_by_source(classrooms, district_id, source_ids)

    def classroom_facts(self, classroom_id: str) -> ClassroomFacts | None:
        row = self.session.execute(select(classrooms.c.id, classrooms.c.district_id, classrooms.c.school_id)
                                   .where(classrooms.c.id == classroom_id)).first()
        return None if row is None else ClassroomFacts(row.id, row.district_id, row.school_id)

    def classrooms_of_student(self, person_id: str) -> list[dict]:
        query = (select(classrooms.c.id, classrooms.c.title, classrooms.c.school_id, classrooms.c.class_code,
                        classrooms.c.district_id)
                 .join(enrollments, enrollments.c.classroom_id == classrooms.c.id)
                 .where(enrollments.c.person_id == person_id, visibility_sql.current_student_enrollment())
                 .distinct().order_by(classrooms.c.title, classrooms.c.id))
        return [dict(row._mapping) for row in self.session.execute(query)]

    def stored_enrollments(self, district_id: str, source_ids: Collection[str]) -> dict[str, Stored]:
        return self._stored(enrollments, district_id, source_ids, ENROLLMENT_FIELDS)

    def save_enrollments(self, district_id: str, plan: UpsertPlan) -> None:
        # An updated enrollment may have moved away from a person: they are refreshed too.
        before = self._ids(select(enrollments.c.person_id).where(
            enrollments.c.id.in_([row.id for row in plan.updates]))) if plan.updates else frozenset()
        self._write(enrollments, plan, ENROLLMENT_FIELDS, extra={"district_id": district_id}, commit=False)
        self.refresh_reach(self.with_guardians(before | {row.values["person_id"] for row in plan.changed}))
        self.session.commit()

    # --- guardian links -----------------------------------------------------------------------

    def stored_guardian_links(self, pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], Stored]:
        """The (guardian_id, student_id) pairs that already exist, with what a sync may change on them."""
        if not pairs:
            return {}
        query = select(guardian_links.c.id, guardian_links.c.guardian_id, guardian_links.c.student_id,
                       *(guardian_links.c[name] for name in LINK_FIELDS)).where(
            guardian_links.c.guardian_id.in_(sorted({g for g, _ in pairs})),
            guardian_links.c.student_id.in_(sorted({s for _, s in pairs})),
        )
        wanted = set(pairs)
        return {(row.guardian_id, row.student_id): Stored(row.id, {
            "guardian_id": row.guardian_id, "student_id": row.student_id,
            **{name: row._mapping[name] for name in LINK_FIELDS}})
            for row in self.session.execute(query) if (row.guardian_id, row.student_id) in wanted}

    def save_guardian_links(self, district_id: str, plan: UpsertPlan) -> None:
        if plan.creates:
            insert_rows(self.session, guardian_links, [
                # One statement for the page: every row names every column, a link the source gave no
                # relationship as well.
                {"id": row.id, "district_id": district_id, "relationship": None, **row.values}
                for row in plan.creates])
        if plan.updates:
            self._update(guardian_links, [(row.id, row.values) for row in plan.updates], LINK_FIELDS)
        if plan.changed:
            self.refresh_reach({row.values["guardian_id"] for row in plan.changed})
        self.session.commit()

    def guardians_of(self, student_id: str) -> list[dict]:
        query = (select(people.c.id, people.c.given_name, people.c.family_name)
                 .join(guardian_links, guardian_links.c.guardian_id == people.c.id)
                 .where(guardian_links.c.student_id == student_id, ~guardian_links.c.archived)
                 .order_by(*search_sql.ORDER))
        return [dict(row._mapping) for row in self.session.execute(query)]

    def linked_student_ids(self, guardian_id: str) -> list[str]:
        query = select(guardian_links.c.student_id).where(guardian_links.c.guardian_id == guardian_id,
                                                          ~guardian_links.c.archived)
        return list(self.session.execute(query).scalars())

    # --- people -------------------------------------------------------------------------------

    def people_ids_by_source(self, district_id: str, source_ids: Collection[str]) -> dict[str, str]:
        return self._ids_by_source(people, district_id, source_ids)

    def people_by_source(self, district_id: str, source_ids: Collection[str]) -> dict[str, dict]:
        """id and kind flags of the people the page refers to."""
        query = select(people.c.id, people.c.source_id, people.c.is_student, people.c.is_staff,
                       people.c.is_guardian).where(people.c.district_id == district_id,
                                                   people.c.source_id.in_(sorted(source_ids)))
        return {row.source_id: dict(row._mapping) for row in self.session.execute(query)}

    def stored_people(self, district_id: str, source_ids: Collection[str]) -> dict[str, Stored]:
        query = select(*(people.c[name] for name in PERSON_ROW)).where(
            people.c.district_id == district_id, people.c.source_id.in_(sorted(source_ids)))
        rows = [dict(row._mapping) for row in self.session.execute(query)]
        school_ids = self.school_ids_of([row["id"] for row in rows])
        return {row["source_id"]: Stored(row["id"], {**row, "school_ids": tuple(sorted(school_ids[row["id"]]))})
                for row in rows}

    def save_people(self, district_id: str, plan: UpsertPlan, writes: PeoplePageWrites) -> None:
        """`writes`: which of the plan's people have school links and reach rows to write (domain/people_pages.py)."""
        if plan.creates:
            insert_rows(self.session, people, [
                {"id": row.id, "district_id": district_id, "source_id": row.key, **_person_columns(row.values)}
                for row in plan.creates])
        if plan.updates:
            self._update(people, [(row.id, _person_columns(row.values)) for row in plan.updates],
                         PERSON_FIELDS + ("given_name_key", "family_name_key"))
        moved = [row.id for row in plan.updates if row.id in writes.school_links]
        if moved:
            self.session.execute(delete(person_schools).where(person_schools.c.person_id.in_(moved)))
        insert_rows(self.session, person_schools, [{"person_id": row.id, "school_id": school_id}
                                                   for row in plan.changed if row.id in writes.school_links
                                                   for school_id in row.values["school_ids"]])
        # A student's schools and archived flag are also what their guardians reach through them.
        self.refresh_reach(writes.reach | self.with_guardians(writes.through_students), renamed=writes.renamed)
        self.session.commit()

    def person_row(self, person_id: str) -> dict | None:
        row = self.session.execute(select(people).where(people.c.id == person_id)).first()
        return dict(row._mapping) if row else None

    def person_ids_of_district(self, district_id: str, after: str | None, limit: int) -> list[str]:
        """The district's people by id, the next `limit` after `after` (every one, archived too)."""
        query = select(people.c.id).where(people.c.district_id == district_id).order_by(people.c.id).limit(limit)
        if after is not None:
            query = query.where(people.c.id > after)
        return list(self.session.execute(query).scalars())

    def person_rows(self, person_ids: Collection[str]) -> dict[str, dict]:
        """Rows with their school ids, as PEOPLE_UPSERTED describes people."""
        query = select(*(people.c[name] for name in PERSON_ROW)).where(people.c.id.in_(sorted(person_ids)))
        rows = {row.id: dict(row._mapping) for row in self.session.execute(query)}
        school_ids = self.school_ids_of(rows)
        return {pid: {**row, "school_ids": tuple(sorted(school_ids[pid]))} for pid, row in rows.items()}

    def people_refs(self, person_ids: Collection[str]) -> list[dict]:
        query = (select(people.c.id, people.c.given_name, people.c.family_name)
                 .where(people.c.id.in_(sorted(person_ids))).order_by(*search_sql.ORDER))
        return [dict(row._mapping) for row in self.session.execute(query)]

    def enable_student_accounts(self, person_ids: Sequence[str]) -> None:
        """Commits what the session holds, events a handler staged first included (shared/outbox.py)."""
        if person_ids:
            self.session.execute(update(people).where(people.c.id.in_(list(person_ids)))
                                 .values(student_account_enabled=True))
            self.refresh_reach(person_ids)
        self.session.commit()

    def mark_joined(self, person_id: str) -> bool:
        result = self.session.execute(update(people).where(people.c.id == person_id, ~people.c.joined)
                                      .values(joined=True))
        if result.rowcount:
            self.refresh_reach([person_id])
        self.session.commit()
        return result.rowcount > 0

    def mark_students_invited(self, person_ids: Sequence[str]) -> int:
        """Students among these people now read Invited (unless joined); how many changed."""
        changed = list(self.session.execute(
            update(people).where(people.c.id.in_(sorted(set(person_ids))), people.c.is_student, ~people.c.invited)
            .values(invited=True).returning(people.c.id)).scalars()) if person_ids else []
        if changed:
            self.refresh_reach(changed)
        self.session.commit()
        return len(changed)

    # --- visibility facts and search ----------------------------------------------------------

    def viewer_facts(self, person_id: str) -> ViewerFacts:
        """Every fact in one round trip: each search and profile starts here."""
        links = guardian_links
        children = select(links.c.student_id).where(links.c.guardian_id == person_id, ~links.c.archived)
        current_classrooms = select(classrooms.c.id).where(~classrooms.c.archived)
        facts = {
            "taught_classroom_ids": select(enrollments.c.classroom_id).where(
                enrollments.c.person_id == person_id, enrollments.c.role.in_(sorted(TEACHING_ROLES)),
                ~enrollments.c.archived, enrollments.c.classroom_id.in_(current_classrooms)),
            "linked_student_ids": children,
            "linked_students_school_ids": select(person_schools.c.school_id).where(
                person_schools.c.person_id.in_(children)),
            "linked_students_classroom_ids": select(enrollments.c.classroom_id).where(
                enrollments.c.person_id.in_(children), visibility_sql.current_student_enrollment()),
            "own_school_ids": select(person_schools.c.school_id).where(person_schools.c.person_id == person_id),
            "own_classroom_ids": select(enrollments.c.classroom_id).where(
                enrollments.c.person_id == person_id, visibility_sql.current_student_enrollment()),
        }
        tagged = union_all(*(query.add_columns(literal(name).label("fact")) for name, query in facts.items()))
        found: defaultdict[str, set[str]] = defaultdict(set)
        for value, fact in self.session.execute(tagged):
            found[fact].add(value)
        return ViewerFacts(**{name: frozenset(found[name]) for name in facts})

    def person_facts(self, person_ids: Collection[str]) -> dict[str, PersonFacts]:
        """Visibility facts of many people in five queries, whatever their number."""
        ids = sorted(person_ids)
        rows = self.session.execute(select(people.c.id, people.c.district_id, people.c.is_student,
                                           people.c.is_staff, people.c.is_guardian).where(people.c.id.in_(ids)))
        schools_of = self.school_ids_of(ids)
        classrooms_of = self._pairs(select(enrollments.c.person_id, enrollments.c.classroom_id).where(
            enrollments.c.person_id.in_(ids), visibility_sql.current_student_enrollment()))
        children_schools = self._pairs(
            select(guardian_links.c.guardian_id, person_schools.c.school_id)
            .join(person_schools, person_schools.c.person_id == guardian_links.c.student_id)
            .where(guardian_links.c.guardian_id.in_(ids), ~guardian_links.c.archived))
        children_classrooms = self._pairs(
            select(guardian_links.c.guardian_id, enrollments.c.classroom_id)
            .join(enrollments, enrollments.c.person_id == guardian_links.c.student_id)
            .where(guardian_links.c.guardian_id.in_(ids), ~guardian_links.c.archived,
                   visibility_sql.current_student_enrollment()))
        return {
            row.id: PersonFacts(
                id=row.id, district_id=row.district_id,
                kinds=frozenset(kinds_of(row._mapping)),
                school_ids=frozenset(schools_of[row.id]),
                classroom_ids=frozenset(classrooms_of[row.id]),
                children_school_ids=frozenset(children_schools[row.id]),
                children_classroom_ids=frozenset(children_classrooms[row.id]),
            )
            for row in rows
        }

    def guardian_ids_of(self, student_ids: Collection[str]) -> dict[str, set[str]]:
        return self._pairs(select(guardian_links.c.student_id, guardian_links.c.guardian_id)
                           .where(guardian_links.c.student_id.in_(sorted(student_ids)), ~guardian_links.c.archived))

    def audience_page(self, grants: Sequence[PersonGrant], scope: Scope, *, after: str | None,
                      limit: int) -> list[str]:
        """Ids of the active people the grants reach and the scope admits, in id order, after `after`.

        Each page is one keyset read (`id > after`, in id order) that starts where the last one ended:
        a school or classroom audience reads its index ranges of `reach`, a district or a selection
        reads `people` by primary key; no page recomputes the pages before it.
        """
        if not grants:
            return []
        if all(isinstance(grant, reach_sql.REACH_GRANTS) for grant in grants):
            query = (select(reach.c.person_id).distinct()
                     .where(reach_sql.admitted_rows(grants), reach_sql.person_visible(scope),
                            reach.c.archived.is_(False))
                     .order_by(reach.c.person_id).limit(limit))
            if after is not None:
                query = query.where(reach.c.person_id > after)
            return list(self.session.execute(query).scalars())
        query = (select(people.c.id)
                 .where(visibility_sql.admitted_by(grants), visibility_sql.person_visible(scope),
                        people.c.archived.is_(False))
                 .order_by(people.c.id).limit(limit))
        if after is not None:
            query = query.where(people.c.id > after)
        return list(self.session.execute(query).scalars())

    def search_people(self, wanted: PeopleFilter, scope: Scope) -> tuple[list[dict], int, bool]:
        """The page's rows with their school ids, the total, and whether that total is exact
        (false when more than search_sql.TOTAL_COUNT_LIMIT match; the total is then that limit)."""
        # On PostgreSQL the page's rows carry their school ids: the whole search is one statement.
        with_schools = self.session.get_bind().dialect.name == "postgresql"
        read_without_transaction(self.session)
        rows, counted = self._page_and_count(wanted, scope, with_schools)
        if with_schools:
            for row in rows:  # each a dict of its own (_page_and_count): no copy of it needed
                row["school_ids"] = sorted(row.pop(search_sql.SCHOOL_IDS) or ())
        else:
            school_ids = self.school_ids_of([row["id"] for row in rows])
            rows = [{**row, "school_ids": sorted(school_ids[row["id"]])} for row in rows]
        exact = counted <= search_sql.TOTAL_COUNT_LIMIT
        return rows, counted if exact else search_sql.TOTAL_COUNT_LIMIT, exact

    def _page_and_count(self, wanted: PeopleFilter, scope: Scope, with_schools: bool) -> tuple[list[dict], int]:
        """The page's rows and how many match, counted up to one past search_sql.TOTAL_COUNT_LIMIT."""
        values = search_sql.parameters(wanted)

        def count() -> int:
            return self.session.execute(search_sql.count_query(wanted, scope), values).scalar_one()

        if with_schools and search_sql.finds_by_names(wanted, scope) and self._of_district(
                search_sql.individuals(scope), search_sql.names_district(scope)):
            # PostgreSQL keeps name_counts: the page is the true first page whatever the total.
            page = _dicts(self.session.execute(search_sql.names_first_page(wanted, scope, school_ids=True), values))
            counted = (page[0][search_sql.MATCHED] if page
                       else self.session.execute(search_sql.names_count(wanted, scope), values).scalar_one())
            return _without_count(page), counted
        if not search_sql.finds_matches_first(wanted, scope):
            counted = count()
        else:
            page = _dicts(self.session.execute(search_sql.matches_first_page(wanted, scope, school_ids=with_schools),
                                               values))
            # A page past the last match (or of no match at all) carries no count.
            counted = page[0][search_sql.MATCHED] if page else count()
            if counted <= search_sql.TOTAL_COUNT_LIMIT:
                return _without_count(page), counted
        page = _dicts(self.session.execute(search_sql.page_query(wanted, scope, school_ids=with_schools), values))
        return page, counted

    def _of_district(self, person_ids: frozenset[str], district_id: str) -> bool:
        """Whether every one of these people is of the district. A person's district never changes, so the
        answer is kept for the process (OF_DISTRICT_KEPT answers; a person not found is not of it)."""
        if not person_ids:
            return True
        key = (district_id, person_ids)
        if key not in _of_district_kept:
            if len(_of_district_kept) >= OF_DISTRICT_KEPT:
                _of_district_kept.clear()
            found = self.session.execute(select(func.count()).select_from(people).where(
                people.c.id.in_(sorted(person_ids)), people.c.district_id == district_id)).scalar_one()
            _of_district_kept[key] = found == len(person_ids)
        return _of_district_kept[key]

    # --- the reach table ----------------------------------------------------------------------

    def refresh_reach(self, person_ids: Collection[str], *, renamed: Collection[str] = ()) -> None:
        """Bring every reach row of these people up to date with the tables it is derived from (in the
        caller's transaction). Every write that changes a person, their schools, enrollments or guardian links
        calls this for the people it touched. `renamed`: people of whom nothing the rows copy but their names
        changed: their rows are given the new names in place, their paths not derived again."""
        ids = sorted(set(person_ids))
        renamed_alone = sorted(set(renamed) - set(ids))
        if not ids and not renamed_alone:
            return
        if self.session.get_bind().dialect.name != "postgresql":
            everyone = sorted([*ids, *renamed_alone])  # apart already
            for start in range(0, len(everyone), REACH_REFRESH_ROWS):
                self._rewrite_reach(everyone[start:start + REACH_REFRESH_ROWS])
            return
        self._hold_reach_lock()
        if ids:
            self.session.execute(reach_sql.REFRESH, {reach_sql.REFRESH_IDS: ids})
        if renamed_alone:
            self.session.execute(reach_sql.RENAME, {reach_sql.REFRESH_IDS: renamed_alone})

    def mark_children_archived(self, guardian_ids: Collection[str]) -> None:
        """After children of these current guardians were archived in the caller's transaction, and nothing else
        that reach copies or derives from changed: their rows that no current child reaches any more are marked
        archived (reach_sql.CHILDREN_ARCHIVED), what refresh_reach would do, without deriving their paths again.
        SQLite's refresh, rows rewritten outright, is used there as for every other change."""
        ids = sorted(set(guardian_ids))
        if not ids:
            return
        if self.session.get_bind().dialect.name != "postgresql":
            self.refresh_reach(ids)
            return
        self._hold_reach_lock()
        self.session.execute(reach_sql.CHILDREN_ARCHIVED, {reach_sql.REFRESH_IDS: ids})

    def _hold_reach_lock(self) -> None:
        """PostgreSQL: the lock every write of other people's reach rows holds until its commit.

        Pages applied side by side share guardians; rewriting their rows in two orders at once
        deadlocked at district scale. One refresh at a time per database, until the writer commits:
        the refresh is a small tail of each page's transaction, so the pages still overlap elsewhere.
        The statement's estimated cost is far above jit_above_cost (each person's paths are costed as if
        large), yet it runs in milliseconds: compiling it took a second of the server's CPU per page."""
        self.session.execute(select(func.pg_advisory_xact_lock(REACH_REFRESH_LOCK),
                                    func.set_config("jit", "off", True)))

    def _rewrite_reach(self, chunk: Sequence[str]) -> None:
        self.session.execute(delete(reach).where(reach.c.person_id.in_(chunk)))
        rows = dialect_insert(self.session, reach).from_select(reach_sql.COLUMNS, reach_sql.rows_of(chunk))
        self.session.execute(rows.on_conflict_do_update(
            index_elements=[reach.c.holder_id, reach.c.relation, reach.c.person_id],
            set_={name: rows.excluded[name] for name in reach_sql.PERSON_COLUMNS}))

    def with_guardians(self, person_ids: Collection[str]) -> set[str]:
        """These people and the guardians of those among them who are students."""
        ids = set(person_ids)
        if ids:
            ids |= self._ids(select(guardian_links.c.guardian_id).where(guardian_links.c.student_id.in_(sorted(ids))))
        return ids

    # --- helpers ------------------------------------------------------------------------------

    def _stored(self, table: Table, district_id: str, source_ids: Collection[str],
                fields: Sequence[str]) -> dict[str, Stored]:
        query = select(table.c.id, table.c.source_id, *(table.c[name] for name in fields)).where(
            table.c.district_id == district_id, table.c.source_id.in_(sorted(source_ids)))
        return {row.source_id: Stored(row.id, {name: row._mapping[name] for name in fields})
                for row in self.session.execute(query)}

    def _ids_by_source(self, table: Table, district_id: str, source_ids: Collection[str]) -> dict[str, str]:
        query = select(table.c.source_id, table.c.id).where(
            table.c.district_id == district_id, table.c.source_id.in_(sorted(source_ids)))
        return {row.source_id: row.id for row in self.session.execute(query)}

    def _write(self, table: Table, plan: UpsertPlan, fields: Sequence[str], *, extra: Mapping,
               commit: bool = True) -> None:
        insert_rows(self.session, table, [
            {"id": row.id, "source_id": row.key, **extra, **{name: row.values[name] for name in fields}}
            for row in plan.creates])
        if plan.updates:
            self._update(table, [(row.id, row.values) for row in plan.updates], fields)
        if commit:
            self.session.commit()

    def _update(self, table: Table, rows: Iterable[tuple[str, Mapping]], fields: Sequence[str]) -> None:
        update_rows(self.session, table, [{"id": row_id, **{name: values[name] for name in fields}}
                                          for row_id, values in rows], key="id")

    def school_ids_of(self, person_ids: Collection[str]) -> defaultdict[str, set[str]]:
        return self._pairs(select(person_schools.c.person_id, person_schools.c.school_id)
                           .where(person_schools.c.person_id.in_(sorted(person_ids))))

    def _pairs(self, query) -> defaultdict[str, set[str]]:
        grouped: defaultdict[str, set[str]] = defaultdict(set)
        for owner, member in self.session.execute(query):
            grouped[owner].add(member)
        return grouped

    def _ids(self, query) -> frozenset[str]:
        return frozenset(self.session.execute(query).scalars())


def _person_columns(values: Mapping) -> dict:
    """A person's values as columns: without the school links, with the search keys."""
    columns = {name: values[name] for name in PERSON_FIELDS}
    columns["given_name_key"] = name_key(values["given_name"])
    columns["family_name_key"] = name_key(values["family_name"])
    return columns


def _dicts(result) -> list[dict]:
    """Each row as a dict of its own: zipped with the result's keys, a quarter of what a RowMapping's items cost."""
    keys = tuple(result.keys())
    return [dict(zip(keys, row)) for row in result]


def _without_count(page: list[dict]) -> list[dict]:
    """A page's rows without the MATCHED column its statement carried the total in."""
    for row in page:
        row.pop(search_sql.MATCHED, None)
    return page

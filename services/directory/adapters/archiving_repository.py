"""Archiving and unarchiving people, classrooms, enrollments and guardian links, by hand or by sync.

Nothing is ever deleted: a flag changes, the reach rows of everyone the change touches are rewritten
(in the same transaction), and the changed people are handed back for the PEOPLE_UPSERTED event.
Each method that writes commits its own unit of work, audit entries included.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.directory.adapters import search_sql
from services.directory.adapters.audit_repository import AuditEntry, AuditLog
from services.directory.adapters.repository import DirectoryRepository
from services.directory.adapters.tables import classrooms, enrollments, guardian_links, people, reach
from services.directory.domain.archiving import ClassroomState, PersonState
from services.directory.domain.people import KIND_FLAGS, PeopleFilter, kinds_of
from services.directory.domain.visibility import ClassroomFacts, Scope

# Told the rows a change leaves, inside its transaction: the events it stages commit with the change.
Announce = Callable[[dict], None]


def ignore(rows: dict) -> None:
    return None

# Ids per IN list: well under SQLite's bound-parameter limit.
CHUNK = 900


class ArchivingRepository:
    def __init__(self, session: Session, people: DirectoryRepository, audit: AuditLog) -> None:
        self.session, self.people, self.audit = session, people, audit

    # --- by hand ------------------------------------------------------------------------------

    def person_states(self, person_ids: Collection[str]) -> dict[str, PersonState]:
        facts = self.people.person_facts(person_ids)
        flags = {row.id: row for row in self._rows(people, person_ids, people.c.archived, people.c.managed_by_sync)}
        return {pid: PersonState(facts[pid], flags[pid].archived, flags[pid].managed_by_sync) for pid in facts}

    def set_people_archived(self, person_ids: Sequence[str], archived: bool, audit: Sequence[AuditEntry], *,
                            announce: Announce = ignore) -> None:
        """Archive or unarchive these people; `announce` gets their rows, as PEOPLE_UPSERTED describes them,
        before the commit (so the events it stages commit with the change)."""
        if person_ids:
            touched = self._touched_by("people", person_ids)
            self._set(people, person_ids, archived)
            if archived:
                self._archive_reach_of(person_ids, touched)
            else:
                self.people.refresh_reach(touched)
            self.audit.add(audit)
            announce(self.people.person_rows(person_ids))
        self.session.commit()

    def classroom_states(self, classroom_ids: Collection[str]) -> dict[str, ClassroomState]:
        rows = self._rows(classrooms, classroom_ids, classrooms.c.district_id, classrooms.c.school_id,
                          classrooms.c.archived, classrooms.c.source_id)
        return {row.id: ClassroomState(ClassroomFacts(row.id, row.district_id, row.school_id), row.archived,
                                       row.source_id is not None) for row in rows}

    def set_classrooms_archived(self, classroom_ids: Sequence[str], archived: bool,
                                audit: Sequence[AuditEntry]) -> None:
        if classroom_ids:
            self._set(classrooms, classroom_ids, archived)
            self.people.refresh_reach(self.people.with_guardians(self._members_of(classroom_ids)))
            self.audit.add(audit)
        self.session.commit()

    def matching_ids(self, wanted: PeopleFilter, scope: Scope, limit: int) -> list[str]:
        """Ids of everyone the viewer's search finds, in name order, up to `limit`."""
        return list(self.session.execute(search_sql.matching_ids(wanted, scope, limit),
                                         search_sql.parameters(wanted)).scalars())

    # --- by sync ------------------------------------------------------------------------------

    def synced_people(self, district_id: str, source_ids: Collection[str]) -> list[dict]:
        query = select(people.c.id, people.c.source_id, people.c.given_name, people.c.family_name,
                       people.c.archived, *(people.c[flag] for flag in KIND_FLAGS.values()))
        found = self._by_source(people, district_id, source_ids, query)
        schools_of = self.people.school_ids_of([row["id"] for row in found])
        return [{"key": row["source_id"], "id": row["id"], "archived": row["archived"],
                 "name": f"{row['given_name']} {row['family_name']}".strip(), "kinds": kinds_of(row),
                 "school_ids": sorted(schools_of[row["id"]])} for row in found]

    def synced_classrooms(self, district_id: str, source_ids: Collection[str]) -> list[dict]:
        query = select(classrooms.c.id, classrooms.c.source_id, classrooms.c.title, classrooms.c.school_id,
                       classrooms.c.archived)
        return [{"key": row["source_id"], "id": row["id"], "archived": row["archived"], "name": row["title"],
                 "kinds": [], "school_ids": [row["school_id"]]}
                for row in self._by_source(classrooms, district_id, source_ids, query)]

    def synced_enrollments(self, district_id: str, source_ids: Collection[str]) -> list[dict]:
        query = (select(enrollments.c.id, enrollments.c.source_id, enrollments.c.archived, enrollments.c.role,
                        classrooms.c.title, classrooms.c.school_id)
                 .join_from(enrollments, classrooms, classrooms.c.id == enrollments.c.classroom_id))
        return [{"key": row["source_id"], "id": row["id"], "archived": row["archived"], "name": row["title"],
                 "kinds": [row["role"]], "school_ids": [row["school_id"]]}
                for row in self._by_source(enrollments, district_id, source_ids, query)]

    def synced_links(self, district_id: str, pairs: Collection[tuple[str, str]]) -> list[dict]:
        """Links named by (guardian source id, student source id), keyed `guardian:student`.

        The source ids are resolved to people first (by the district's source-id index), then the links
        are read by their own (guardian, student) index: a join filtered on pairs of source ids would
        read every link of the district for each page.
        """
        source_ids = {source for pair in pairs for source in pair}
        person_ids: dict[str, str] = {}
        for chunk in chunks(source_ids):
            person_ids.update(self.people.people_ids_by_source(district_id, chunk))
        wanted = {(person_ids[g], person_ids[s]): f"{g}:{s}" for g, s in set(pairs)
                  if g in person_ids and s in person_ids}
        stored = self.people.stored_guardian_links(wanted)
        students = {row["id"]: row for row in self.people.people_refs({pair[1] for pair in stored})}
        student_schools = self.people.school_ids_of({pair[1] for pair in stored})
        return [{"key": wanted[pair], "id": link.id, "archived": link.values["archived"],
                 "name": "guardian of {given_name} {family_name}".format(**students[pair[1]]), "kinds": [],
                 "school_ids": sorted(student_schools[pair[1]])} for pair, link in stored.items()]

    def archive_synced(self, entity: str, ids: Sequence[str], *, announce: Announce = ignore) -> None:
        """Archive what a sync no longer lists; `announce` gets the people changed, as PEOPLE_UPSERTED describes
        them, before the commit."""
        if not ids:
            return
        table = {"people": people, "classrooms": classrooms, "enrollments": enrollments,
                 "guardian_links": guardian_links}[entity]
        touched = self._touched_by(entity, ids)
        self._set(table, ids, True)
        if entity == "people":
            self._archive_reach_of(ids, touched)
        else:
            self.people.refresh_reach(touched)
        if entity == "people":
            announce(self.people.person_rows(ids))
        self.session.commit()

    def district_counts(self, district_id: str) -> dict:
        """Current (not archived) records of the district."""
        def count(table, *where) -> int:
            return self.session.execute(select(func.count()).select_from(table).where(
                table.c.district_id == district_id, ~table.c.archived, *where)).scalar_one()

        by_kind = {kind: count(people, people.c[flag]) for kind, flag in KIND_FLAGS.items()}
        return {"people": count(people), "people_by_kind": by_kind, "classrooms": count(classrooms),
                "enrollments": count(enrollments), "guardian_links": count(guardian_links)}

    # --- helpers ------------------------------------------------------------------------------

    def _touched_by(self, entity: str, ids: Sequence[str]) -> set[str]:
        """Whose current reach rows change when these records are archived (or unarchived, for people).

        An archived person's rows are all marked archived already, whatever their paths: archiving their
        enrollments or links, or a student's links, changes no current audience and no default search,
        so the people already archived are left out (a sync archives the people it lost before their
        enrollments and links, so a departure costs one refresh, not three). Their rows keep the paths
        they had, marked archived, until they are unarchived and rebuilt.
        """
        if entity == "people":
            return self.people.with_guardians(ids)
        if entity == "classrooms":
            return self._current(self.people.with_guardians(self._current(self._members_of(ids))))
        if entity == "enrollments":
            persons = {row.person_id for row in self._rows(enrollments, ids, enrollments.c.person_id)}
            return self._current(self.people.with_guardians(self._current(persons)))
        links = self._rows(guardian_links, ids, guardian_links.c.guardian_id, guardian_links.c.student_id)
        current_students = self._current({row.student_id for row in links})
        return self._current({row.guardian_id for row in links if row.student_id in current_students})

    def _archive_reach_of(self, person_ids: Sequence[str], touched: set[str]) -> None:
        """After archiving people: every row of theirs turns archived (the rows stay), and their guardians,
        reached through them, keep current only the rows a current child still reaches (only those guardians
        still current). What those guardians lost is children, so their rows are marked rather than derived
        again: at district scale the departures' pages queued one after another behind that refresh's lock."""
        for chunk in chunks(person_ids):
            self.session.execute(update(reach).where(reach.c.person_id.in_(chunk)).values(archived=True))
        self.people.mark_children_archived(self._current(touched - set(person_ids)))

    def _current(self, person_ids: Collection[str]) -> set[str]:
        """Those of these people not archived."""
        current: set[str] = set()
        for chunk in chunks(person_ids):
            current |= set(self.session.execute(select(people.c.id).where(
                people.c.id.in_(chunk), ~people.c.archived)).scalars())
        return current

    def _members_of(self, classroom_ids: Collection[str]) -> set[str]:
        members: set[str] = set()
        for chunk in chunks(classroom_ids):
            members |= set(self.session.execute(select(enrollments.c.person_id).distinct()
                                                .where(enrollments.c.classroom_id.in_(chunk))).scalars())
        return members

    def _set(self, table, ids: Sequence[str], archived: bool) -> None:
        for chunk in chunks(ids):
            self.session.execute(update(table).where(table.c.id.in_(chunk)).values(archived=archived))

    def _rows(self, table, ids: Collection[str], *columns) -> list:
        rows = []
        for chunk in chunks(ids):
            rows += self.session.execute(select(table.c.id, *columns).where(table.c.id.in_(chunk))).all()
        return rows

    def _by_source(self, table, district_id: str, source_ids: Collection[str], query) -> list[dict]:
        found = []
        for chunk in chunks(source_ids):
            found += [dict(row._mapping) for row in self.session.execute(
                query.where(table.c.district_id == district_id, table.c.source_id.in_(chunk)))]
        return found


def chunks(values: Collection[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[start:start + CHUNK] for start in range(0, len(ordered), CHUNK)]

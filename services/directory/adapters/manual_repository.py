"""What staff change by hand: people, school memberships, enrollments and guardian links, with the audit.

A manual action reads what it checks with the methods below, then hands `apply` one `ManualChange`: every
row it writes, its audit entries and the reach rows of everyone touched land in one transaction. Records
made by hand have no source id and are not managed by a sync.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from services.directory.adapters.archiving_repository import Announce, chunks, ignore
from services.directory.adapters.audit_repository import AuditEntry, AuditLog
from services.directory.adapters.repository import DirectoryRepository
from services.directory.adapters.tables import (
    classrooms,
    district_sync,
    enrollments,
    guardian_links,
    people,
    person_schools,
    schools,
)
from services.directory.domain.manual import ClassroomRecord, EnrollmentRecord, LinkRecord, ManagedPerson
from services.directory.domain.people import name_key
from services.directory.domain.sync_lock import SyncOwnership
from services.directory.domain.visibility import ClassroomFacts, SchoolFacts
from shared.db import dialect_insert


@dataclass
class ManualChange:
    """Everything one manual action writes. `announce`: people whose PEOPLE_UPSERTED description changed."""

    audit: list[AuditEntry]
    new_people: list[dict] = field(default_factory=list)  # id, district_id and the person's values
    person_updates: dict[str, dict] = field(default_factory=dict)  # person id -> columns to set
    school_adds: set[tuple[str, str]] = field(default_factory=set)  # (person id, school id)
    school_removals: set[tuple[str, str]] = field(default_factory=set)
    new_enrollments: list[dict] = field(default_factory=list)  # id, district_id, classroom_id, person_id, role
    enrollments_archived: dict[str, bool] = field(default_factory=dict)  # enrollment id -> archived
    new_links: list[dict] = field(default_factory=list)  # id, district_id, guardian_id, student_id, relationship
    link_updates: dict[str, dict] = field(default_factory=dict)  # link id -> columns to set
    links_archived: set[str] = field(default_factory=set)  # link ids: one statement per chunk (Remove Guardians)
    announce: set[str] = field(default_factory=set)


class ManualRepository:
    def __init__(self, session: Session, people: DirectoryRepository, audit: AuditLog) -> None:
        self.session, self.people, self.audit = session, people, audit

    # --- reading what a check needs -----------------------------------------------------------

    def person(self, person_id: str) -> ManagedPerson | None:
        facts = self.people.person_facts([person_id]).get(person_id)
        row = self.people.person_row(person_id)
        if facts is None or row is None:
            return None
        return ManagedPerson(facts=facts, given_name=row["given_name"], family_name=row["family_name"],
                             archived=row["archived"], managed_by_sync=row["managed_by_sync"], joined=row["joined"],
                             job_title=row["job_title"])

    def school(self, school_id: str) -> SchoolFacts | None:
        row = self.session.execute(select(schools.c.id, schools.c.district_id)
                                   .where(schools.c.id == school_id)).first()
        return None if row is None else SchoolFacts(row.id, row.district_id)

    def classroom(self, classroom_id: str) -> ClassroomRecord | None:
        row = self.session.execute(select(classrooms).where(classrooms.c.id == classroom_id)).first()
        if row is None:
            return None
        return ClassroomRecord(ClassroomFacts(row.id, row.district_id, row.school_id), row.archived,
                               row.source_id is not None)

    def enrollments_of(self, person_id: str, *, classroom_id: str | None = None,
                       school_id: str | None = None) -> list[EnrollmentRecord]:
        """The person's enrollments (archived ones too) in one classroom, or in the classrooms of one school."""
        query = (select(enrollments, classrooms.c.school_id)
                 .join(classrooms, classrooms.c.id == enrollments.c.classroom_id)
                 .where(enrollments.c.person_id == person_id))
        if classroom_id is not None:
            query = query.where(enrollments.c.classroom_id == classroom_id)
        if school_id is not None:
            query = query.where(classrooms.c.school_id == school_id)
        return [EnrollmentRecord(row.id, row.classroom_id, row.person_id, row.role, row.archived,
                                 row.source_id is not None)
                for row in self.session.execute(query.order_by(enrollments.c.id))]

    def links_of_students(self, student_ids: Collection[str]) -> dict[str, list[LinkRecord]]:
        """Every guardian link (archived ones too) of these students."""
        found: dict[str, list[LinkRecord]] = {student_id: [] for student_id in student_ids}
        for chunk in chunks(student_ids):
            query = select(guardian_links).where(guardian_links.c.student_id.in_(chunk))
            for row in self.session.execute(query.order_by(guardian_links.c.id)):
                found[row.student_id].append(_link(row))
        return found

    def link(self, guardian_id: str, student_id: str) -> LinkRecord | None:
        row = self.session.execute(select(guardian_links).where(
            and_(guardian_links.c.guardian_id == guardian_id, guardian_links.c.student_id == student_id))).first()
        return None if row is None else _link(row)

    # --- writing --------------------------------------------------------------------------------

    def apply(self, change: ManualChange, *, announce: Announce = ignore) -> None:
        """Write the change and its audit entries in one transaction; `announce` gets the announced people's
        rows before its commit (the events it stages commit with the change)."""
        if change.new_people:
            self.session.execute(insert(people), [_person_columns(row) for row in change.new_people])
        for person_id, values in change.person_updates.items():
            self.session.execute(update(people).where(people.c.id == person_id).values(**_keyed(values)))
        for person_id, school_id in change.school_removals:
            self.session.execute(delete(person_schools).where(person_schools.c.person_id == person_id,
                                                              person_schools.c.school_id == school_id))
        if change.school_adds:
            rows = [{"person_id": p, "school_id": s} for p, s in sorted(change.school_adds)]
            self.session.execute(dialect_insert(self.session, person_schools).values(rows).on_conflict_do_nothing(
                index_elements=[person_schools.c.person_id, person_schools.c.school_id]))
        if change.new_enrollments:
            self.session.execute(insert(enrollments), change.new_enrollments)
        for enrollment_id, archived in change.enrollments_archived.items():
            self.session.execute(update(enrollments).where(enrollments.c.id == enrollment_id)
                                 .values(archived=archived))
        if change.new_links:
            self.session.execute(insert(guardian_links), [{**row, "managed_by_sync": False, "archived": False}
                                                          for row in change.new_links])
        for link_id, values in change.link_updates.items():
            self.session.execute(update(guardian_links).where(guardian_links.c.id == link_id).values(**values))
        for chunk in chunks(change.links_archived):
            self.session.execute(update(guardian_links).where(guardian_links.c.id.in_(chunk)).values(archived=True))
        self.people.refresh_reach(self.people.with_guardians(self._touched(change)))
        self.audit.add(change.audit)
        if change.announce:
            announce(self.people.person_rows(change.announce))
        self.session.commit()

    def set_sync_ownership(self, district_id: str, ownership: SyncOwnership, now: datetime) -> None:
        """What the district's sync owns from now on; a district without a source has no row (nothing locked)."""
        self.session.execute(delete(district_sync).where(district_sync.c.district_id == district_id))
        if ownership.source is not None:
            self.session.execute(insert(district_sync).values(
                district_id=district_id, source=ownership.source, manages_guardians=ownership.manages_guardians,
                updates_contact_details_of_active_users=ownership.updates_contact_details_of_active_users,
                updated_at=now))
        self.session.commit()

    def _touched(self, change: ManualChange) -> set[str]:
        """Everyone whose reach rows the change rewrites (their guardians are added by the caller)."""
        touched = {row["id"] for row in change.new_people} | set(change.person_updates)
        touched |= {person_id for person_id, _ in change.school_adds | change.school_removals}
        touched |= {row["person_id"] for row in change.new_enrollments}
        if change.enrollments_archived:
            touched |= set(self.session.execute(select(enrollments.c.person_id).where(
                enrollments.c.id.in_(sorted(change.enrollments_archived)))).scalars())
        touched |= {row["guardian_id"] for row in change.new_links}
        for chunk in chunks(set(change.link_updates) | change.links_archived):
            touched |= set(self.session.execute(select(guardian_links.c.guardian_id).where(
                guardian_links.c.id.in_(chunk))).scalars())
        return touched


def _link(row) -> LinkRecord:
    return LinkRecord(row.id, row.guardian_id, row.student_id, row.relationship, row.archived, row.managed_by_sync)


def _keyed(values: dict) -> dict:
    """Columns to set, with the search keys of any name among them."""
    keyed = dict(values)
    for name in ("given_name", "family_name"):
        if name in values:
            keyed[f"{name}_key"] = name_key(values[name])
    return keyed


def _person_columns(row: dict) -> dict:
    return {"archived": False, "managed_by_sync": False, "student_account_enabled": False, "joined": False,
            "is_student": False, "is_staff": False, "is_guardian": False, **_keyed(row)}

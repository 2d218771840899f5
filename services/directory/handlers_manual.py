"""Manual actions on students and staff: enroll (new or existing), unenroll, add staff, job titles, classrooms.

Each handler checks (domain.manual: permission, reach, fit, sync lock), writes identity first when it
must (services.directory.accounts says why that order), then writes the directory and its audit
entries in one transaction (ManualRepository.apply), then publishes PEOPLE_UPSERTED for the people whose
description changed.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.contracts import directory, identity
from shared.contracts.directory import manual as outcomes
from shared.contracts.permissions import MANAGE_PEOPLE

from services.directory import accounts
from services.directory.accounts import IdentityRpc
from services.directory.adapters.audit_repository import AuditEntry
from services.directory.adapters.manual_repository import ManualChange
from services.directory.adapters.store import DirectoryStore
from services.directory.domain import manual as rules
from services.directory.domain import visibility as v
from services.directory.domain.credential_match import LINK
from services.directory.domain.sync_lock import SyncOwnership, record_lock
from services.directory.handlers import NewId, Publish, announce_people, new_uuid, viewer_scope

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Actor:
    """Who is acting, what they reach, and what their district's sync owns, read once per request."""

    viewer: Mapping
    scope: v.Scope
    ownership: SyncOwnership
    now: datetime

    @property
    def person_id(self) -> str:
        return self.viewer["person_id"]

    @property
    def district_id(self) -> str:
        return self.viewer["district_id"]

    def entry(self, action: str, subject_type: str, subject_id: str, before: dict | None,
              after: dict | None) -> AuditEntry:
        return AuditEntry(self.district_id, self.person_id, action, subject_type, subject_id, before, after, self.now)


def actor_for(request: Mapping, store: DirectoryStore, clock: Clock, action: str = MANAGE_PEOPLE) -> Actor:
    viewer = request["viewer"]
    rules.require_action(viewer, action)
    return Actor(viewer, viewer_scope(store.people, viewer), store.people.sync_ownership(viewer.get("district_id")),
                 clock())


def apply(change: ManualChange, *, store: DirectoryStore, publish: Publish) -> None:
    """Write the change, and tell other services about the people it changed in the same transaction."""
    store.manual.apply(change, announce=announce_people(publish))


def unlocked_person(actor: Actor, person: rules.ManagedPerson, field: str) -> None:
    rules.require_unlocked(record_lock(actor.ownership, managed_by_sync=person.managed_by_sync,
                                       kinds=person.kinds), field)


def new_person(actor: Actor, person_id: str, names: Mapping[str, Any], **values: Any) -> dict:
    """A person row made by hand (no source id, not managed by a sync)."""
    return {"id": person_id, "district_id": actor.district_id, "given_name": names["given_name"],
            "family_name": names["family_name"], "middle_name": names.get("middle_name"), **values}


def created_entry(actor: Actor, row: Mapping, credentials: Mapping[str, str | None]) -> AuditEntry:
    after = {name: value for name, value in row.items() if name not in ("id", "district_id")}
    return actor.entry("create_person", "person", row["id"], None, {**after, **credentials})


# --- students --------------------------------------------------------------------------------------

def enroll_student(request: Mapping, *, store: DirectoryStore, identity_rpc: IdentityRpc, publish: Publish,
                   clock: Clock, new_id: NewId = new_uuid) -> dict:
    actor = actor_for(request, store, clock)
    school = rules.managed_school(actor.scope, store.manual.school(request["school_id"]), "school_id")
    classroom = None
    if request["classroom_id"] is not None:
        classroom = rules.managed_classroom(actor.scope, store.manual.classroom(request["classroom_id"]),
                                            "classroom_id", school_id=school.id)
    if request["person_id"] is None:
        return _create_student(request, actor, school, classroom, store=store, identity_rpc=identity_rpc,
                               publish=publish, new_id=new_id)
    person = rules.managed_person(actor.scope, store.manual.person(request["person_id"]), "person_id")
    rules.require_kind(person, directory.STUDENT, "person_id")
    rules.require_current(person, "person_id")
    unlocked_person(actor, person, "person_id")
    change = ManualChange(audit=[])
    if school.id not in person.facts.school_ids:
        change.school_adds.add((person.id, school.id))
        change.announce.add(person.id)
    if classroom is not None:
        _enroll(change, store, actor, person.id, classroom.facts.id, v.STUDENT_ENROLLMENT_ROLE, new_id)
    result = {"person_id": person.id, "school_id": school.id, "classroom_id": request["classroom_id"]}
    if not (change.school_adds or change.new_enrollments or change.enrollments_archived):
        return {**result, "outcome": outcomes.UNCHANGED}
    if change.school_adds:
        accounts.grant(identity_rpc, person.id, [accounts.role(identity.STUDENT, [school.id])], actor.person_id)
    change.audit.append(actor.entry("enroll_student", "person", person.id, None,
                                    {"school_id": school.id, "classroom_id": request["classroom_id"]}))
    apply(change, store=store, publish=publish)
    return {**result, "outcome": outcomes.ENROLLED}


def _create_student(request: Mapping, actor: Actor, school: v.SchoolFacts, classroom: rules.ClassroomRecord | None,
                    *, store: DirectoryStore, identity_rpc: IdentityRpc, publish: Publish, new_id: NewId) -> dict:
    typed = request["student"]
    credentials = {"email": None}
    if typed["email"]:
        normalised, _ = accounts.match(identity_rpc, {"email": typed["email"]}, region=request["region"],
                                       district_id=actor.district_id, prefix="student", link_allowed=False)
        credentials = {"email": normalised["email"]}
    person_id = new_id()
    accounts.create_account(identity_rpc, person_id=person_id, district_id=actor.district_id, names=typed,
                            credentials=credentials, roles=[accounts.role(identity.STUDENT, [school.id])],
                            region=request["region"], prefix="student")
    row = new_person(actor, person_id, typed, is_student=True, grade=typed["grade"], identifier=typed["identifier"])
    change = ManualChange(audit=[created_entry(actor, row, credentials)], new_people=[row],
                          school_adds={(person_id, school.id)}, announce={person_id})
    if classroom is not None:
        _enroll(change, store, actor, person_id, classroom.facts.id, v.STUDENT_ENROLLMENT_ROLE, new_id)
    change.audit.append(actor.entry("enroll_student", "person", person_id, None,
                                    {"school_id": school.id, "classroom_id": request["classroom_id"]}))
    apply(change, store=store, publish=publish)
    return {"person_id": person_id, "school_id": school.id, "classroom_id": request["classroom_id"],
            "outcome": outcomes.CREATED}


def _enroll(change: ManualChange, store: DirectoryStore, actor: Actor, person_id: str, classroom_id: str,
            role: str, new_id: NewId) -> None:
    """Into the classroom in `role`: an archived enrollment comes back, else a new one; a current one stays."""
    existing = [e for e in store.manual.enrollments_of(person_id, classroom_id=classroom_id) if e.role == role]
    if any(not e.archived for e in existing):
        return
    if existing:
        change.enrollments_archived[existing[0].id] = False
    else:
        change.new_enrollments.append({"id": new_id(), "district_id": actor.district_id, "classroom_id": classroom_id,
                                       "person_id": person_id, "role": role})


def unenroll_person(request: Mapping, *, store: DirectoryStore, publish: Publish, clock: Clock) -> dict:
    """Out of one classroom (every role held there), or out of a school and its classrooms."""
    actor = actor_for(request, store, clock)
    person = rules.managed_person(actor.scope, store.manual.person(request["person_id"]), "person_id")
    school_id = request["school_id"]
    if request["classroom_id"] is not None:
        rules.managed_classroom(actor.scope, store.manual.classroom(request["classroom_id"]), "classroom_id",
                                taking_in=False)
        current = [e for e in store.manual.enrollments_of(person.id, classroom_id=request["classroom_id"])
                   if not e.archived]
    else:
        school_id = rules.managed_school(actor.scope, store.manual.school(school_id), "school_id").id
        current = [e for e in store.manual.enrollments_of(person.id, school_id=school_id) if not e.archived]
    leaves_school = school_id is not None and school_id in person.facts.school_ids
    result = {"person_id": person.id, "classroom_ids": sorted({e.classroom_id for e in current}),
              "school_id": school_id}
    if not current and not leaves_school:
        return {**result, "outcome": outcomes.ALREADY}
    for enrollment in current:
        rules.require_unlocked(record_lock(actor.ownership, managed_by_sync=enrollment.managed_by_sync,
                                           kinds=person.kinds), "classroom_id")
    if leaves_school:
        unlocked_person(actor, person, "school_id")
    change = ManualChange(audit=[actor.entry("unenroll", "person", person.id,
                                             {"school_id": school_id, "classroom_ids": result["classroom_ids"]},
                                             None)],
                          enrollments_archived={e.id: True for e in current})
    if leaves_school:
        change.school_removals.add((person.id, school_id))
        change.announce.add(person.id)
    apply(change, store=store, publish=publish)
    return {**result, "outcome": outcomes.DONE}


# --- staff -----------------------------------------------------------------------------------------

def add_staff(request: Mapping, *, store: DirectoryStore, identity_rpc: IdentityRpc, publish: Publish,
              clock: Clock, new_id: NewId = new_uuid) -> dict:
    actor = actor_for(request, store, clock)
    school_ids = sorted({rules.managed_school(actor.scope, store.manual.school(school_id), f"school_ids.{index}").id
                         for index, school_id in enumerate(request["school_ids"])})
    roles = [accounts.role(identity.TEACHER, school_ids)]
    if request["person_id"] is not None:
        person = rules.managed_person(actor.scope, store.manual.person(request["person_id"]), "person_id")
        return _make_staff(request, actor, person, school_ids, roles, outcomes.UPDATED, store=store,
                           identity_rpc=identity_rpc, publish=publish)
    typed = request["staff"]
    normalised, decision = accounts.match(identity_rpc, accounts.typed_credentials(typed), region=request["region"],
                                          district_id=actor.district_id, prefix="staff")
    if decision.outcome == LINK:
        person = adopted(store, actor, decision.person_id, typed, publish=publish)
        return _make_staff(request, actor, person, school_ids, roles, outcomes.LINKED_EXISTING, store=store,
                           identity_rpc=identity_rpc, publish=publish)
    person_id = new_id()
    accounts.create_account(identity_rpc, person_id=person_id, district_id=actor.district_id, names=typed,
                            credentials=normalised, roles=roles, region=request["region"], prefix="staff")
    row = new_person(actor, person_id, typed, is_staff=True, job_title=request["job_title"])
    apply(ManualChange(audit=[created_entry(actor, row, normalised),
                              actor.entry("add_staff", "person", person_id, None, {"school_ids": school_ids})],
                       new_people=[row], school_adds={(person_id, s) for s in school_ids}, announce={person_id}),
          store=store, publish=publish)
    return {"person_id": person_id, "school_ids": school_ids, "job_title": request["job_title"],
            "outcome": outcomes.CREATED}


def adopted(store: DirectoryStore, actor: Actor, person_id: str, typed: Mapping, *,
            publish: Publish) -> rules.ManagedPerson:
    """The directory person of an account the credentials matched. An account of the district with no
    directory person is what an earlier attempt left when its directory write failed: adopt it now."""
    person = store.manual.person(person_id)
    if person is None:
        row = new_person(actor, person_id, typed)
        apply(ManualChange(audit=[created_entry(actor, row, {})], new_people=[row], announce={person_id}),
              store=store, publish=publish)
        person = store.manual.person(person_id)
    rules.require_current(person, accounts.EXISTING_PERSON_ID)
    return person


def _make_staff(request: Mapping, actor: Actor, person: rules.ManagedPerson, school_ids: list[str],
                roles: list[dict], outcome: str, *, store: DirectoryStore, identity_rpc: IdentityRpc,
                publish: Publish) -> dict:
    rules.require_current(person, "person_id")
    unlocked_person(actor, person, "person_id")
    change = ManualChange(audit=[])
    before = {"staff": directory.STAFF in person.kinds, "school_ids": sorted(person.facts.school_ids),
              "job_title": person.job_title}
    updates: dict[str, Any] = {}
    if directory.STAFF not in person.kinds:
        updates["is_staff"] = True
    if request["job_title"] is not None and request["job_title"] != person.job_title:
        updates["job_title"] = request["job_title"]
    change.school_adds = {(person.id, s) for s in school_ids if s not in person.facts.school_ids}
    job_title = updates.get("job_title", person.job_title)
    result = {"person_id": person.id, "school_ids": sorted(person.facts.school_ids | set(school_ids)),
              "job_title": job_title}
    if not updates and not change.school_adds:
        return {**result, "outcome": outcome if outcome == outcomes.LINKED_EXISTING else outcomes.UNCHANGED}
    accounts.grant(identity_rpc, person.id, roles, actor.person_id)
    if updates:
        change.person_updates[person.id] = updates
    change.announce.add(person.id)
    change.audit.append(actor.entry("add_staff", "person", person.id, before,
                                    {"staff": True, "school_ids": result["school_ids"], "job_title": job_title}))
    apply(change, store=store, publish=publish)
    return {**result, "outcome": outcome}


def set_job_title(request: Mapping, *, store: DirectoryStore, publish: Publish, clock: Clock) -> dict:
    actor = actor_for(request, store, clock)
    person = rules.managed_person(actor.scope, store.manual.person(request["person_id"]), "person_id")
    rules.require_kind(person, directory.STAFF, "person_id")
    unlocked_person(actor, person, "job_title")
    result = {"person_id": person.id, "school_ids": sorted(person.facts.school_ids),
              "job_title": request["job_title"]}
    if request["job_title"] == person.job_title:
        return {**result, "outcome": outcomes.UNCHANGED}
    apply(ManualChange(audit=[actor.entry("set_job_title", "person", person.id, {"job_title": person.job_title},
                                          {"job_title": request["job_title"]})],
                       person_updates={person.id: {"job_title": request["job_title"]}}),
          store=store, publish=publish)
    return {**result, "outcome": outcomes.UPDATED}


def assign_staff_to_classroom(request: Mapping, *, store: DirectoryStore, publish: Publish, clock: Clock,
                              new_id: NewId = new_uuid) -> dict:
    actor = actor_for(request, store, clock)
    person = rules.managed_person(actor.scope, store.manual.person(request["person_id"]), "person_id")
    rules.require_kind(person, directory.STAFF, "person_id")
    rules.require_current(person, "person_id")
    classroom = rules.managed_classroom(actor.scope, store.manual.classroom(request["classroom_id"]), "classroom_id")
    rules.require_member_of(person, classroom.facts.school_id, "classroom_id")
    unlocked_person(actor, person, "person_id")
    change = ManualChange(audit=[])
    _enroll(change, store, actor, person.id, classroom.facts.id, request["role"], new_id)
    result = {"person_id": person.id, "classroom_id": classroom.facts.id, "role": request["role"]}
    if not (change.new_enrollments or change.enrollments_archived):
        return {**result, "outcome": outcomes.ALREADY}
    change.audit.append(actor.entry("assign_staff", "person", person.id, None,
                                    {"classroom_id": classroom.facts.id, "role": request["role"]}))
    apply(change, store=store, publish=publish)
    return {**result, "outcome": outcomes.DONE}

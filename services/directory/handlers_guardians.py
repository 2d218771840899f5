"""Guardians by hand: add to a student (link an existing person or account, or a new invitee), edit a
guardian's name, credentials and relationship, remove one link, and Remove Guardians in bulk.

A guardian is reached through the student: the viewer must manage the student (domain.manual), and the
district's sync must not manage guardians for that student (sync_lock.guardian_lock); names and contact
details have their own locks (record_lock, contact_details_lock). Links are archived, never deleted.
"""
from __future__ import annotations

from collections.abc import Mapping

from shared.contracts import directory, identity
from shared.contracts.common import ALREADY, DONE, NOT_FOUND, REFUSED
from shared.contracts.directory import manual as outcomes
from shared.contracts.errors import InvalidRequest, NotFound

from services.directory import accounts
from services.directory.accounts import IdentityRpc
from services.directory.adapters.manual_repository import ManualChange
from services.directory.adapters.store import DirectoryStore
from services.directory.domain import manual as rules
from services.directory.domain import visibility as v
from services.directory.domain.credential_match import LINK
from services.directory.domain.sync_lock import contact_details_lock, guardian_lock, record_lock
from services.directory.handlers import NewId, Publish, new_uuid
from services.directory.handlers_manual import Actor, Clock, actor_for, adopted, apply, created_entry, new_person

GUARDIAN_ROLE = accounts.role(identity.GUARDIAN)
NAME_FIELDS = ("given_name", "family_name")


def add_guardian(request: Mapping, *, store: DirectoryStore, identity_rpc: IdentityRpc, publish: Publish,
                 clock: Clock, new_id: NewId = new_uuid) -> dict:
    actor = actor_for(request, store, clock)
    student = _managed_student(actor, store, request["student_id"])
    rules.require_current(student, "student_id")
    rules.require_unlocked(guardian_lock(actor.ownership, managed_by_sync=student.managed_by_sync), "student_id")
    if request["person_id"] is not None:
        guardian = _person_of_district(actor, store, request["person_id"])
        outcome = outcomes.LINKED
    else:
        typed = request["guardian"]
        normalised, decision = accounts.match(identity_rpc, accounts.typed_credentials(typed),
                                              region=request["region"], district_id=actor.district_id,
                                              prefix="guardian")
        # A student's account holding the family's credentials is no guardian: the guardian shares them.
        if decision.outcome != LINK or _is_student(store, decision.person_id):
            return _new_guardian(request, actor, student, normalised, store=store, identity_rpc=identity_rpc,
                                 publish=publish, new_id=new_id)
        guardian = adopted(store, actor, decision.person_id, typed, publish=publish)
        outcome = outcomes.LINKED_EXISTING
    if guardian.id == student.id or directory.STUDENT in guardian.kinds:
        raise InvalidRequest("a student cannot be a guardian", fields={"person_id": ["is a student"]})
    rules.require_current(guardian, "person_id")
    link = store.manual.link(guardian.id, student.id)
    change = ManualChange(audit=[])
    if link is not None and not link.archived:
        outcome = outcomes.ALREADY_LINKED
    elif link is not None:
        change.link_updates[link.id] = {"archived": False, "relationship": request["relationship"],
                                        "managed_by_sync": False}
    else:
        change.new_links.append(_link_row(actor, guardian.id, student.id, request["relationship"], new_id))
    if directory.GUARDIAN not in guardian.kinds:
        change.person_updates[guardian.id] = {"is_guardian": True}
        change.announce.add(guardian.id)
    relationship = link.relationship if outcome == outcomes.ALREADY_LINKED else request["relationship"]
    result = {"guardian_id": guardian.id, "student_id": student.id, "relationship": relationship, "outcome": outcome}
    if outcome == outcomes.ALREADY_LINKED and not change.person_updates:
        return result
    accounts.grant(identity_rpc, guardian.id, [GUARDIAN_ROLE], actor.person_id)
    change.audit.append(_link_entry(actor, "add_guardian", student.id, None, guardian.id, relationship))
    apply(change, store=store, publish=publish)
    return result


def _new_guardian(request: Mapping, actor: Actor, student: rules.ManagedPerson, credentials: dict, *,
                  store: DirectoryStore, identity_rpc: IdentityRpc, publish: Publish, new_id: NewId) -> dict:
    typed = request["guardian"]
    person_id = new_id()
    accounts.create_account(identity_rpc, person_id=person_id, district_id=actor.district_id, names=typed,
                            credentials=credentials, roles=[GUARDIAN_ROLE], region=request["region"],
                            prefix="guardian")
    row = new_person(actor, person_id, typed, is_guardian=True)
    apply(ManualChange(audit=[created_entry(actor, row, credentials),
                              _link_entry(actor, "add_guardian", student.id, None, person_id,
                                          request["relationship"])],
                       new_people=[row], announce={person_id},
                       new_links=[_link_row(actor, person_id, student.id, request["relationship"], new_id)]),
          store=store, publish=publish)
    return {"guardian_id": person_id, "student_id": student.id, "relationship": request["relationship"],
            "outcome": outcomes.CREATED}


def update_guardian(request: Mapping, *, store: DirectoryStore, identity_rpc: IdentityRpc, publish: Publish,
                    clock: Clock) -> dict:
    actor = actor_for(request, store, clock)
    student = _managed_student(actor, store, request["student_id"])
    link = _current_link(store, request["guardian_id"], student.id)
    guardian = store.manual.person(link.guardian_id)
    names = {name: request[name] for name in NAME_FIELDS if name in request}
    renamed = {name: value for name, value in names.items()
               if value != getattr(guardian, name)}
    typed = {kind: request[kind] for kind in accounts.CREDENTIAL_KINDS if kind in request}
    relationship_changes = "relationship" in request and request["relationship"] != link.relationship
    for name in renamed:
        rules.require_unlocked(record_lock(actor.ownership, managed_by_sync=guardian.managed_by_sync,
                                           kinds=guardian.kinds), name)
    for kind in typed:
        rules.require_unlocked(contact_details_lock(actor.ownership, managed_by_sync=guardian.managed_by_sync,
                                                    joined=guardian.joined), kind)
    if relationship_changes:
        rules.require_unlocked(guardian_lock(actor.ownership, managed_by_sync=link.managed_by_sync), "relationship")
    change = ManualChange(audit=[])
    credentials = _credentials(identity_rpc, guardian.id)
    if typed:
        before = credentials
        account = identity_rpc.update_contact_details({"person_id": guardian.id, "region": request["region"],
                                                       "changed_by": actor.person_id, **typed})
        credentials = {kind: account[kind] for kind in accounts.CREDENTIAL_KINDS}
        if credentials != before:
            change.audit.append(actor.entry("update_contact_details", "person", guardian.id, before, credentials))
    if renamed:
        change.person_updates[guardian.id] = renamed
        change.announce.add(guardian.id)
        change.audit.append(actor.entry("rename_person", "person", guardian.id,
                                        {name: getattr(guardian, name) for name in renamed}, renamed))
    relationship = link.relationship
    if relationship_changes:
        relationship = request["relationship"]
        change.link_updates[link.id] = {"relationship": relationship}
        change.audit.append(_link_entry(actor, "set_relationship", student.id, link.relationship, guardian.id,
                                        relationship))
    if change.audit:
        apply(change, store=store, publish=publish)
    current_names = {name: renamed.get(name, getattr(guardian, name)) for name in NAME_FIELDS}
    return {"guardian_id": guardian.id, "student_id": student.id, **current_names, **credentials,
            "relationship": relationship, "outcome": outcomes.UPDATED if change.audit else outcomes.UNCHANGED}


def remove_guardian(request: Mapping, *, store: DirectoryStore, publish: Publish, clock: Clock) -> dict:
    actor = actor_for(request, store, clock)
    student = _managed_student(actor, store, request["student_id"])
    link = store.manual.link(request["guardian_id"], student.id)
    if link is None:
        raise _not_linked()
    result = {"guardian_id": link.guardian_id, "student_id": student.id, "relationship": link.relationship}
    if link.archived:
        return {**result, "outcome": outcomes.ALREADY}
    rules.require_unlocked(guardian_lock(actor.ownership, managed_by_sync=link.managed_by_sync), "guardian_id")
    apply(ManualChange(audit=[_link_entry(actor, "remove_guardian", student.id, link.relationship,
                                          link.guardian_id, None)],
                       links_archived={link.id}), store=store, publish=publish)
    return {**result, "outcome": outcomes.DONE}


def remove_guardians(request: Mapping, *, store: DirectoryStore, publish: Publish, clock: Clock) -> dict:
    """Remove Guardians: per selected student, every current link goes, or none (a locked link refuses the
    student, naming why); one transaction for the whole selection."""
    actor = actor_for(request, store, clock)
    student_ids = list(dict.fromkeys(request["student_ids"]))
    facts = store.people.person_facts(student_ids)
    links = store.manual.links_of_students([pid for pid in student_ids if pid in facts])
    change = ManualChange(audit=[])
    results = []
    for student_id in student_ids:
        person = facts.get(student_id)
        outcome, reason = _removal_verdict(actor, person, links.get(student_id, []))
        if outcome == DONE:
            current = [link for link in links[student_id] if not link.archived]
            change.links_archived |= {link.id for link in current}
            change.audit += [_link_entry(actor, "remove_guardian", student_id, link.relationship, link.guardian_id,
                                         None) for link in current]
        results.append({"key": student_id, "id": None if outcome == NOT_FOUND else student_id, "outcome": outcome,
                        "problems": [{"field": "student_ids", "reason": reason}] if reason else []})
    if change.links_archived:
        apply(change, store=store, publish=publish)
    return {"results": results}


def _removal_verdict(actor: Actor, person: v.PersonFacts | None, links: list) -> tuple[str, str | None]:
    if person is None or not v.can_see_person(actor.scope, person):
        return NOT_FOUND, None
    if directory.STUDENT not in person.kinds:
        return REFUSED, "is not a student"
    current = [link for link in links if not link.archived]
    if not current:
        return ALREADY, None
    for link in current:
        locked = guardian_lock(actor.ownership, managed_by_sync=link.managed_by_sync)
        if locked:
            return REFUSED, locked
    return DONE, None


# --- helpers ---------------------------------------------------------------------------------------

def _managed_student(actor: Actor, store: DirectoryStore, student_id: str) -> rules.ManagedPerson:
    student = rules.managed_person(actor.scope, store.manual.person(student_id), "student_id")
    rules.require_kind(student, directory.STUDENT, "student_id")
    return student


def _is_student(store: DirectoryStore, person_id: str) -> bool:
    person = store.manual.person(person_id)
    return person is not None and directory.STUDENT in person.kinds


def _person_of_district(actor: Actor, store: DirectoryStore, person_id: str) -> rules.ManagedPerson:
    """Anyone of the viewer's district: the person a refusal named may be a family of another school."""
    person = store.manual.person(person_id)
    if person is None or person.facts.district_id != actor.district_id:
        raise NotFound("no such person", fields={"person_id": ["no person with this id"]})
    return person


def _current_link(store: DirectoryStore, guardian_id: str, student_id: str):
    link = store.manual.link(guardian_id, student_id)
    if link is None or link.archived:
        raise _not_linked()
    return link


def _not_linked() -> NotFound:
    return NotFound("no such guardian", fields={"guardian_id": ["is not a guardian of this student"]})


def _credentials(identity_rpc: IdentityRpc, person_id: str) -> dict:
    account = accounts.account_of(identity_rpc, person_id) or {}
    return {kind: account.get(kind) for kind in accounts.CREDENTIAL_KINDS}


def _link_row(actor: Actor, guardian_id: str, student_id: str, relationship: str | None, new_id: NewId) -> dict:
    return {"id": new_id(), "district_id": actor.district_id, "guardian_id": guardian_id, "student_id": student_id,
            "relationship": relationship}


def _link_entry(actor: Actor, action: str, student_id: str, before_relationship: str | None, guardian_id: str,
                after_relationship: str | None):
    """A link change is kept on the student's record, naming the guardian."""
    before = None if action == "add_guardian" else {"guardian_id": guardian_id, "relationship": before_relationship}
    after = None if action == "remove_guardian" else {"guardian_id": guardian_id, "relationship": after_relationship}
    return actor.entry(action, "student", student_id, before, after)

"""The directory's use cases: functions(request, *, repo, publish, new_id) -> result.

Requests arrive loaded by their contract schema; results are dumped through
the response schema by the entrypoint. `publish` writes to the directory's
outbox (shared/outbox.py): a handler publishes before the repository call that
commits its change, so the change and its events commit together.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import uuid6

from shared.contracts import directory
from shared.contracts.base import Event
from shared.contracts.errors import NotFound, PermissionDenied

from services.directory.adapters.repository import DirectoryRepository
from services.directory.domain import audience as audience_rules
from services.directory.domain import people as people_rules
from services.directory.domain import visibility as v
from services.directory.domain.kept_facts import KeptViewerFacts
from services.directory.domain.people_pages import page_writes
from services.directory.domain.upserts import FAILED, Desired, Problem, plan_upserts, unknown_reference

NewId = Callable[[], str]
SKIPPED = "skipped"
KEPT_ARCHIVED = ("archived, and the district's setting \"unarchive classrooms that reappear\" is off: "
                 "unarchive it by hand or turn the setting on")


class Publish(Protocol):
    def __call__(self, event: Event, payload: dict) -> None: ...


def announce_people(publish: Publish) -> Callable[[dict], None]:
    """What a repository tells the people a change leaves, before it commits: PEOPLE_UPSERTED for them."""

    def announce(rows: dict) -> None:
        if rows:
            publish(directory.PEOPLE_UPSERTED, {"people": [
                people_rules.person_change(pid, row["district_id"], row) for pid, row in rows.items()]})

    return announce


def new_uuid() -> str:
    """A new row's id, a version 7 UUID: time-ordered, so the rows a page creates together sit together at the end
    of every index keyed by an id (with random ids each new entry landed on a random page of each index). 74 of its
    bits are random, so it is no easier to guess; it gives away when its row was created."""
    return uuid6.uuid7().hex


# --- syncing pages of rows --------------------------------------------------------------------

def upsert_district(request: Mapping, *, repo: DirectoryRepository, new_id: NewId = new_uuid) -> dict:
    source_id = request["source_id"]
    plan = plan_upserts([Desired(source_id, {"name": request["name"]})], repo.stored_districts([source_id]),
                        new_id=new_id)
    repo.save_districts(plan)
    return {"id": plan.outcomes[0].id, "source_id": source_id, "name": request["name"]}


def upsert_schools(request: Mapping, *, repo: DirectoryRepository, new_id: NewId = new_uuid) -> dict:
    district_id = existing_district(repo, request["district_id"])
    items = request["schools"]
    desired = [Desired(item["source_id"], {"name": item["name"], "identifier": item["identifier"]})
               for item in items]
    plan = plan_upserts(desired, repo.stored_schools(district_id, _sources(items)), new_id=new_id)
    repo.save_schools(district_id, plan)
    return plan.results()


def upsert_classrooms(request: Mapping, *, repo: DirectoryRepository, new_id: NewId = new_uuid) -> dict:
    district_id = existing_district(repo, request["district_id"])
    items = request["classrooms"]
    school_ids = repo.school_ids_by_source(district_id, {item["school_source_id"] for item in items})
    stored = repo.stored_classrooms(district_id, _sources(items))
    # An archived classroom the sync lists again comes back only when the district lets it.
    kept_archived = {key for key, row in stored.items()
                     if row.values["archived"] and not request["unarchive_reappearing"]}
    desired = []
    for item in items:
        school_id = school_ids.get(item["school_source_id"])
        problems = () if school_id else (unknown_reference("school_source_id", "school", item["school_source_id"]),)
        desired.append(Desired(item["source_id"], {
            "school_id": school_id, "title": item["title"], "class_code": item["class_code"],
            "course_title": item["course_title"], "grades": list(item["grades"]),
            "archived": item["source_id"] in kept_archived,
        }, problems))
    plan = plan_upserts(desired, stored, new_id=new_id)
    repo.save_classrooms(district_id, plan, reach_changed=[
        row.id for row in plan.updates if stored[row.key].values["archived"] != row.values["archived"]])
    results = plan.results()
    for result in results["results"]:
        if result["key"] in kept_archived and result["outcome"] != FAILED:
            result["outcome"] = SKIPPED
            result["problems"] = [{"field": "source_id", "reason": KEPT_ARCHIVED}]
    return results


def upsert_people(request: Mapping, *, repo: DirectoryRepository, publish: Publish,
                  new_id: NewId = new_uuid) -> dict:
    district_id = existing_district(repo, request["district_id"])
    items = request["people"]
    school_ids = repo.school_ids_by_source(
        district_id, {source for item in items for source in item["school_source_ids"]})
    desired = []
    for item in items:
        unknown = [source for source in item["school_source_ids"] if source not in school_ids]
        desired.append(Desired(item["source_id"], {
            "given_name": item["given_name"], "family_name": item["family_name"],
            "middle_name": item["middle_name"], **people_rules.kind_flags(item["kinds"]),
            "grade": item["grade"], "job_title": item["job_title"], "identifier": item["identifier"],
            # A person present in the roster is current, and from now on the sync owns the record.
            "archived": False, "managed_by_sync": True,
            "school_ids": tuple(sorted({school_ids[s] for s in item["school_source_ids"] if s in school_ids})),
        }, tuple(unknown_reference("school_source_ids", "school", source) for source in unknown)))
    stored = repo.stored_people(district_id, _sources(items))
    plan = plan_upserts(desired, stored, new_id=new_id)
    if plan.changed:  # staged first: it commits with the page
        publish(directory.PEOPLE_UPSERTED, {"people": [
            people_rules.person_change(row.id, district_id, row.values) for row in plan.changed]})
    repo.save_people(district_id, plan, page_writes(plan, stored))
    return plan.results()


def upsert_enrollments(request: Mapping, *, repo: DirectoryRepository, new_id: NewId = new_uuid) -> dict:
    district_id = existing_district(repo, request["district_id"])
    items = request["enrollments"]
    classroom_ids = repo.classroom_ids_by_source(district_id, {item["classroom_source_id"] for item in items})
    persons = repo.people_by_source(district_id, {item["person_source_id"] for item in items})
    desired = []
    for item in items:
        classroom_id = classroom_ids.get(item["classroom_source_id"])
        person = persons.get(item["person_source_id"])
        problems: list[Problem] = []
        if classroom_id is None:
            problems.append(unknown_reference("classroom_source_id", "classroom", item["classroom_source_id"]))
        if person is None:
            problems.append(unknown_reference("person_source_id", "person", item["person_source_id"]))
        elif item["role"] == v.STUDENT_ENROLLMENT_ROLE and not person["is_student"]:
            problems.append(Problem("person_source_id", "is enrolled as a student but is not a student"))
        # An enrollment the sync lists is current, even one it archived before.
        desired.append(Desired(item["source_id"], {
            "classroom_id": classroom_id, "person_id": person and person["id"], "role": item["role"],
            "archived": False,
        }, tuple(problems)))
    plan = plan_upserts(desired, repo.stored_enrollments(district_id, _sources(items)), new_id=new_id)
    repo.save_enrollments(district_id, plan)
    return plan.results()


def upsert_guardian_links(request: Mapping, *, repo: DirectoryRepository, new_id: NewId = new_uuid) -> dict:
    district_id = existing_district(repo, request["district_id"])
    items = request["links"]
    persons = repo.people_by_source(
        district_id, {item[field] for item in items for field in ("guardian_source_id", "student_source_id")})
    desired = []
    for item in items:
        guardian = persons.get(item["guardian_source_id"])
        student = persons.get(item["student_source_id"])
        # A link the sync lists is current, and from now on the sync's own.
        # A relationship only when the source says one: a users.csv link leaves what was set by hand.
        said = {"relationship": item["relationship"]} if "relationship" in item else {}
        desired.append(Desired(
            link_key(item),
            {"guardian_id": guardian and guardian["id"], "student_id": student and student["id"],
             "archived": False, "managed_by_sync": True, **said},
            _link_problems(item, guardian, student),
        ))
    resolved = [item for item in desired if not item.problems]
    stored_links = repo.stored_guardian_links({(item.values["guardian_id"], item.values["student_id"])
                                               for item in resolved})
    stored = {item.key: stored_links[pair] for item in resolved
              if (pair := (item.values["guardian_id"], item.values["student_id"])) in stored_links}
    plan = plan_upserts(desired, stored, new_id=new_id, key_field="guardian_source_id:student_source_id")
    repo.save_guardian_links(district_id, plan)
    return plan.results()


def link_key(item: Mapping) -> str:
    return f"{item['guardian_source_id']}:{item['student_source_id']}"


def _link_problems(item: Mapping, guardian: Mapping | None, student: Mapping | None) -> tuple[Problem, ...]:
    problems = []
    if guardian is None:
        problems.append(unknown_reference("guardian_source_id", "person", item["guardian_source_id"]))
    elif not guardian["is_guardian"]:
        problems.append(Problem("guardian_source_id", "is not a guardian"))
    if student is None:
        problems.append(unknown_reference("student_source_id", "person", item["student_source_id"]))
    elif not student["is_student"]:
        problems.append(Problem("student_source_id", "is not a student"))
    return tuple(problems)


# --- reading ----------------------------------------------------------------------------------

def get_schools(request: Mapping, *, repo: DirectoryRepository) -> dict:
    return {"schools": repo.list_schools(request["district_id"])}


def search_people(request: Mapping, *, repo: DirectoryRepository, kept_facts: KeptViewerFacts | None = None) -> dict:
    scope = viewer_scope(repo, request["viewer"], kept_facts)
    rows, total, exact = repo.search_people(people_rules.people_filter(request), scope)
    return {"items": [_summary(row, scope) for row in rows], "total": total, "total_exact": exact,
            "page": request["page"], "per_page": request["per_page"]}


def get_student_profile(request: Mapping, *, repo: DirectoryRepository) -> dict:
    scope = viewer_scope(repo, request["viewer"])
    facts = _visible_person(repo, scope, request["person_id"])
    if directory.STUDENT not in facts.kinds:
        raise _not_found()
    row = repo.person_row(facts.id)
    classrooms = [room for room in repo.classrooms_of_student(facts.id)
                  if v.can_see_classroom(scope, v.ClassroomFacts(room["id"], room["district_id"], room["school_id"]))]
    return {
        **_names(row), "grade": row["grade"], "identifier": row["identifier"],
        "schools": _visible_schools(repo, scope, facts.school_ids),
        "classrooms": classrooms,
        "guardians": repo.guardians_of(facts.id),
        "student_account_status": _account_status(row),
        "archived": row["archived"],
    }


def get_person_profile(request: Mapping, *, repo: DirectoryRepository) -> dict:
    scope = viewer_scope(repo, request["viewer"])
    facts = _visible_person(repo, scope, request["person_id"])
    row = repo.person_row(facts.id)
    linked_ids = repo.linked_student_ids(facts.id) if directory.GUARDIAN in facts.kinds else []
    # A guardian's other children stay hidden from a viewer who may not see them.
    visible_children = [child.id for child in repo.person_facts(linked_ids).values()
                        if v.can_see_person(scope, child)]
    return {
        **_names(row), "kinds": people_rules.kinds_of(row), "job_title": row["job_title"],
        "schools": _visible_schools(repo, scope, facts.school_ids),
        "linked_students": repo.people_refs(visible_children),
        "archived": row["archived"], "managed_by_sync": row["managed_by_sync"],
    }


# --- commands ---------------------------------------------------------------------------------

def enable_student_accounts(request: Mapping, *, repo: DirectoryRepository, publish: Publish) -> dict:
    viewer = request["viewer"]
    scope = viewer_scope(repo, viewer)
    person_ids = list(dict.fromkeys(request["student_ids"]))
    facts = repo.person_facts(person_ids)
    rows = repo.person_rows(person_ids)
    results = []
    for person_id in person_ids:
        person = facts.get(person_id)
        outcome = people_rules.enablement_outcome(
            exists=person is not None,
            visible=person is not None and v.can_see_person(scope, person),
            is_student=person is not None and directory.STUDENT in person.kinds,
            already_enabled=person is not None and rows[person_id]["student_account_enabled"],
        )
        results.append({"key": person_id, "id": person_id if person else None, "outcome": outcome, "problems": []})
    return _enabled(results, rows, viewer["person_id"], repo=repo, publish=publish)


def enable_synced_student_accounts(request: Mapping, *, repo: DirectoryRepository, publish: Publish) -> dict:
    """A roster sync enabling the accounts of its district's students (the district's "enable student accounts
    automatically"): the district is its scope, as it is the sync's."""
    district_id = existing_district(repo, request["district_id"])
    person_ids = list(dict.fromkeys(request["student_ids"]))
    rows = repo.person_rows(person_ids)
    results = []
    for person_id in person_ids:
        row = rows.get(person_id)
        in_district = row is not None and row["district_id"] == district_id
        outcome = people_rules.enablement_outcome(
            exists=in_district, visible=in_district, is_student=in_district and row["is_student"],
            already_enabled=in_district and row["student_account_enabled"])
        results.append({"key": person_id, "id": person_id if in_district else None, "outcome": outcome,
                        "problems": []})
    return _enabled(results, rows, request["enabled_by"], repo=repo, publish=publish)


def _enabled(results: list[dict], rows: Mapping[str, dict], enabled_by: str, *, repo: DirectoryRepository,
             publish: Publish) -> dict:
    """Enable the accounts whose result says so, and tell identity (sign-in) and notify (reach)."""
    enabled = [result["key"] for result in results if result["outcome"] == people_rules.ENABLED]
    if enabled:  # staged first: they commit with the enablement
        publish(directory.STUDENT_ACCOUNTS_ENABLED, {"person_ids": enabled, "enabled_by": enabled_by})
        publish(directory.PEOPLE_UPSERTED, {"people": [
            people_rules.person_change(pid, rows[pid]["district_id"], {**rows[pid], "student_account_enabled": True})
            for pid in enabled]})
    repo.enable_student_accounts(enabled)
    return {"results": results}


def resolve_audience(request: Mapping, *, repo: DirectoryRepository) -> dict:
    scope = viewer_scope(repo, request["viewer"])
    audience = request["audience"]
    refused = []
    if audience["person_ids"]:
        selected_ids = list(dict.fromkeys(audience["person_ids"]))
        facts = repo.person_facts(selected_ids)
        visible = [facts[pid] for pid in selected_ids if pid in facts and v.can_see_person(scope, facts[pid])]
        if request["after"] is None:
            # Out of scope reads as not found, as on profiles: an audience must not probe the directory.
            seen = {person.id for person in visible}
            refused = [{"key": pid, "id": None, "outcome": "not_found", "problems": []}
                       for pid in selected_ids if pid not in seen]
        students = [person.id for person in visible if directory.STUDENT in person.kinds]
        members = audience_rules.selection_members(audience, visible, repo.guardian_ids_of(students))
        grants = (v.Individuals(members),) if members else ()
    else:
        _require_visible_target(repo, scope, audience, request["viewer"])
        grants = audience_rules.target_grants(audience, request["viewer"].get("district_id"))
    person_ids = repo.audience_page(grants, scope, after=request["after"], limit=request["limit"])
    next_after = person_ids[-1] if len(person_ids) == request["limit"] else None
    return {"person_ids": person_ids, "next_after": next_after, "refused": refused}


def _require_visible_target(repo: DirectoryRepository, scope: v.Scope, audience: Mapping,
                            viewer: Mapping) -> None:
    if audience.get("district"):
        if not audience_rules.may_address_whole_district(scope, viewer.get("district_id")):
            raise PermissionDenied("only a district administrator can address the whole district",
                                   fields={"audience.district": ["needs a district administrator"]})
        return
    if audience["school_id"]:
        school = next(iter(repo.schools_by_ids([audience["school_id"]])), None)
        if school is None or not v.can_see_school(scope, v.SchoolFacts(school["id"], school["district_id"])):
            raise NotFound("no such school", fields={"audience.school_id": ["no school with this id"]})
        return
    classroom = repo.classroom_facts(audience["classroom_id"])
    if classroom is None or not v.can_see_classroom(scope, classroom):
        raise NotFound("no such classroom", fields={"audience.classroom_id": ["no classroom with this id"]})


def record_join_tokens_issued(payload: Mapping, *, repo: DirectoryRepository) -> int:
    """Students invited (a token issued for them) read Invited from now on; how many changed."""
    return repo.mark_students_invited(payload["person_ids"])


def get_district(request: Mapping, *, repo: DirectoryRepository) -> dict:
    district = repo.district(request["district_id"])
    if district is None:
        raise NotFound("no such district", fields={"district_id": ["no district with this id"]})
    return district


def record_user_joined(payload: Mapping, *, repo: DirectoryRepository) -> bool:
    """Returns whether a person of the directory was marked joined; unknown ids are someone else's."""
    return repo.mark_joined(payload["person_id"])


# --- helpers ----------------------------------------------------------------------------------

def existing_district(repo: DirectoryRepository, district_id: str) -> str:
    if not repo.district_exists(district_id):
        raise NotFound("no such district", fields={"district_id": ["no district with this id"]})
    return district_id


def _sources(items) -> set[str]:
    return {item["source_id"] for item in items}


def viewer_scope(repo: DirectoryRepository, viewer: Mapping, kept_facts: KeptViewerFacts | None = None) -> v.Scope:
    """The viewer's scope: their principal's roles and permissions over their facts (`kept_facts`: a read
    may use facts this process read a few seconds ago; domain/kept_facts.py)."""
    person_id = viewer["person_id"]
    if kept_facts is None:
        return v.scope_for(viewer, repo.viewer_facts(person_id))
    return v.scope_for(viewer, kept_facts.facts_of(person_id, lambda: repo.viewer_facts(person_id)))


def _not_found() -> NotFound:
    return NotFound("no such person", fields={"person_id": ["no person with this id"]})


def _visible_person(repo: DirectoryRepository, scope: v.Scope, person_id: str) -> v.PersonFacts:
    """The person's facts; NotFound alike whether they do not exist or the viewer may not see them."""
    facts = repo.person_facts([person_id]).get(person_id)
    if facts is None or not v.can_see_person(scope, facts):
        raise _not_found()
    return facts


def _visible_schools(repo: DirectoryRepository, scope: v.Scope, school_ids) -> list[dict]:
    return [school for school in repo.schools_by_ids(school_ids)
            if v.can_see_school(scope, v.SchoolFacts(school["id"], school["district_id"]))]


def _names(row: Mapping) -> dict:
    return {"id": row["id"], "given_name": row["given_name"], "family_name": row["family_name"]}


def _account_status(row: Mapping) -> str | None:
    return people_rules.student_account_status(
        is_student=row["is_student"], enabled=row["student_account_enabled"], invited=row["invited"],
        joined=row["joined"])


def _summary(row: Mapping, scope: v.Scope) -> dict[str, Any]:
    return {
        **_names(row), "kinds": people_rules.kinds_of(row), "grade": row["grade"], "job_title": row["job_title"],
        "school_ids": [sid for sid in row["school_ids"]
                       if v.can_see_school(scope, v.SchoolFacts(sid, row["district_id"]))],
        "student_account_status": _account_status(row),
        "archived": row["archived"],
    }

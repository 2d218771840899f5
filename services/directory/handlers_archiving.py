"""Archiving by hand: people and classrooms, one or in bulk, as jobs with per-item results.

A request names chosen ids or "everyone this search finds". Up to jobs.INLINE_ITEMS items are worked
through before the answer; more are queued (BULK_ACTION_QUEUED) and worked through page by page in
the background, each page in one transaction with its audit entries, its progress saved after it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from shared.contracts import directory, identity
from shared.contracts.common import DONE
from shared.contracts.errors import InvalidRequest, NotFound, PlatformError
from shared.contracts.permissions import has_role

from services.directory.adapters.audit_repository import AuditEntry
from services.directory.adapters.store import DirectoryStore
from services.directory.domain import archiving as rules
from services.directory.domain import people as people_rules
from services.directory.domain import visibility as v
from services.directory.domain import jobs
from services.directory.domain.jobs import JobRecord
from services.directory.handlers import NewId, Publish, announce_people, new_uuid, viewer_scope

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

ARCHIVE_PEOPLE, UNARCHIVE_PEOPLE = "archive_people", "unarchive_people"
ARCHIVE_CLASSROOMS, UNARCHIVE_CLASSROOMS = "archive_classrooms", "unarchive_classrooms"
PEOPLE_ACTIONS = {ARCHIVE_PEOPLE: rules.ARCHIVE, UNARCHIVE_PEOPLE: rules.UNARCHIVE}
CLASSROOM_ACTIONS = {ARCHIVE_CLASSROOMS: rules.ARCHIVE, UNARCHIVE_CLASSROOMS: rules.UNARCHIVE}


def archive_people(request: Mapping, *, store: DirectoryStore, publish: Publish, clock: Clock,
                   action: str = ARCHIVE_PEOPLE, new_id: NewId = new_uuid) -> dict:
    viewer = request["viewer"]
    ids = _selected_people(request["selection"], store=store, viewer=viewer)
    return _start(action, viewer, ids, store=store, publish=publish, clock=clock, new_id=new_id)


def archive_classrooms(request: Mapping, *, store: DirectoryStore, publish: Publish, clock: Clock,
                       action: str = ARCHIVE_CLASSROOMS, new_id: NewId = new_uuid) -> dict:
    ids = list(dict.fromkeys(request["classroom_ids"]))
    return _start(action, request["viewer"], ids, store=store, publish=publish, clock=clock, new_id=new_id)


def get_job(request: Mapping, *, store: DirectoryStore) -> dict:
    job = store.jobs.get(request["job_id"])
    viewer = request["viewer"]
    if job is None or not _may_see_job(viewer, job):
        raise NotFound("no such job", fields={"job_id": ["no job with this id"]})
    return job.as_payload()


def work_through_job(payload: Mapping, *, store: DirectoryStore, publish: Publish, clock: Clock) -> str | None:
    """The background half of a queued job: every page left, saved as it goes. Returns the final state."""
    job = store.jobs.get(payload["job_id"])
    if job is None:
        log.warning("bulk action %s is not known here; ignored", payload["job_id"])
        return None
    try:
        while not job.finished:
            _work_page(job, store=store, publish=publish, clock=clock)
    except PlatformError as error:
        # A refusal of the whole page (the viewer's district gone, say) will not go away by retrying.
        job.fail(f"stopped after {job.processed} of {job.total}: {error}", clock())
        store.jobs.save(job)
    return job.state


# --- the work ------------------------------------------------------------------------------------

def _start(action: str, viewer: Mapping, ids: list[str], *, store: DirectoryStore, publish: Publish,
           clock: Clock, new_id: NewId) -> dict:
    job = JobRecord(id=new_id(), district_id=viewer.get("district_id"), action=action,
                    requested_by=viewer["person_id"], request={"viewer": dict(viewer), "ids": ids},
                    created_at=clock(), total=len(ids))
    if len(ids) <= jobs.INLINE_ITEMS:
        while not job.finished:
            _work_page(job, store=store, publish=publish, clock=clock, save=False)
        store.jobs.add(job)
        return job.as_payload()
    publish(directory.BULK_ACTION_QUEUED, {"job_id": job.id})  # staged first: it commits with the job
    store.jobs.add(job)
    return job.as_payload()


def _work_page(job: JobRecord, *, store: DirectoryStore, publish: Publish, clock: Clock, save: bool = True) -> None:
    ids = job.next_page(jobs.JOB_PAGE)
    viewer = job.request["viewer"]
    scope = viewer_scope(store.people, viewer)
    ownership = store.people.sync_ownership(viewer.get("district_id"))
    now = clock()
    if job.action in PEOPLE_ACTIONS:
        results = _people_page(PEOPLE_ACTIONS[job.action], ids, viewer=viewer, scope=scope, ownership=ownership,
                               store=store, publish=publish, now=now)
    else:
        results = _classrooms_page(CLASSROOM_ACTIONS[job.action], ids, viewer=viewer, scope=scope,
                                   ownership=ownership, store=store, now=now)
    job.record(results, clock())
    if save:
        store.jobs.save(job)


def _people_page(action: str, ids: list[str], *, viewer: Mapping, scope: v.Scope, ownership, store: DirectoryStore,
                 publish: Publish, now: datetime) -> list[dict]:
    states = store.archiving.person_states(ids)
    verdicts = {pid: rules.person_verdict(viewer_id=viewer["person_id"], scope=scope, person=states.get(pid),
                                          action=action, ownership=ownership) for pid in ids}
    changing = [pid for pid in ids if verdicts[pid].outcome == DONE]
    archived = action == rules.ARCHIVE
    audit = [AuditEntry(states[pid].facts.district_id, viewer["person_id"], f"{action}_person", "person", pid,
                        {"archived": not archived}, {"archived": archived}, now) for pid in changing]
    store.archiving.set_people_archived(changing, archived, audit, announce=announce_people(publish))
    return [verdicts[pid].as_result(pid, pid) for pid in ids]


def _classrooms_page(action: str, ids: list[str], *, viewer: Mapping, scope: v.Scope, ownership,
                     store: DirectoryStore, now: datetime) -> list[dict]:
    states = store.archiving.classroom_states(ids)
    verdicts = {cid: rules.classroom_verdict(scope=scope, classroom=states.get(cid), action=action,
                                             ownership=ownership) for cid in ids}
    changing = [cid for cid in ids if verdicts[cid].outcome == DONE]
    archived = action == rules.ARCHIVE
    audit = [AuditEntry(states[cid].facts.district_id, viewer["person_id"], f"{action}_classroom", "classroom",
                        cid, {"archived": not archived}, {"archived": archived}, now) for cid in changing]
    store.archiving.set_classrooms_archived(changing, archived, audit)
    return [verdicts[cid].as_result(cid, cid) for cid in ids]


def _selected_people(selection: Mapping, *, store: DirectoryStore, viewer: Mapping) -> list[str]:
    if selection["person_ids"] is not None:
        return list(dict.fromkeys(selection["person_ids"]))
    scope = viewer_scope(store.people, viewer)
    wanted = people_rules.people_filter(selection["matching"])
    ids = store.archiving.matching_ids(wanted, scope, directory.MAX_MATCHING_PEOPLE + 1)
    if len(ids) > directory.MAX_MATCHING_PEOPLE:
        reason = (f"matches more than {directory.MAX_MATCHING_PEOPLE:,} people: narrow the search "
                  "(a school, a kind, a classroom) and repeat the action for each part")
        raise InvalidRequest(reason, fields={"selection.matching": [reason]})
    return ids


def _may_see_job(viewer: Mapping, job: JobRecord) -> bool:
    """The person who asked, and district administrators of the job's district."""
    if job.requested_by == viewer["person_id"]:
        return True
    return (job.district_id is not None and job.district_id == viewer.get("district_id")
            and has_role(viewer, identity.DISTRICT_ADMIN))

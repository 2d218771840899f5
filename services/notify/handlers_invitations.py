"""Invitations: Send Invitation to Join (and Resend), Send Invitations to an audience, Invite in another way.

Who owns what. identity owns invitations as *tokens* (issued, hashed, single
use, replaced by a resend) and joining; DESIGN.md also lists "send ...
invitation" under notify. The orchestration lives here, in notify, because
everything it decides with is here: the recipient projection (kinds, joined,
enabled, credentials and their health) that rows I1–I3 read, the planner,
and the delivery queue, ledger and report an invitation must go through like
an announcement. identity is asked only for tokens, in pages
(`identity.issue_join_tokens`, up to a page of people per call, never one
call per person), and only for people an invitation can actually reach: a
token nobody can receive would silently replace the one on a printed page.

- send_invitation: one person, at once; Resend is the same call (identity
  replaces the token). A person who cannot be invited answers 409 with why.
- start_invitations: a school's or classroom's staff / guardians / enabled
  students, as a job. The audience is resolved through directory (within the
  inviter's scope) and every person stored pending; INVITATIONS_REQUESTED then
  works through the pending people a page at a time, each page written in one
  transaction (results, personal values, deliveries) and its deliveries queued
  at once. A rerun resumes at the first pending person; a lease keeps two
  runners off one job (two tokens for one person would break the first link).
- issue_printable_invitation: a token for a page the school prints (the
  gateway renders the PDF); it counts as an invitation.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from services.notify.domain.personal_communications import (
    Candidates,
    InvitationJobRow,
    NewPersonalCommunication,
    PersonalPage,
)
from services.notify.domain.delivery import Channel, Communication
from services.notify.domain.invitations import (
    INVITATION,
    InvitationVerdict,
    SkipReason,
    after_token,
    decide_invitation,
    decide_printable_invitation,
)
from services.notify.domain.messages import invitation_values, join_url
from services.notify.domain.planned_rows import planned_rows
from services.notify.queue.jobs import DeliveryJob, pages_of
from shared.contracts import directory, identity, notify
from shared.contracts.common import MAX_PAGE_ROWS
from shared.contracts.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from shared.contracts.permissions import INVITE_SCHOOL, has_role, may
from shared.outbox import Announce, nothing_to_announce

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Publish = Callable[..., None]

# People invited per page of a job: one identity call, one transaction, a few delivery jobs.
INVITATION_PAGE = 1000
LEASE = timedelta(minutes=5)
KIND_FLAGS = {"student": "include_students", "guardian": "include_guardians", "staff": "include_staff"}
_SKIP_MESSAGES = {
    SkipReason.JOINED: "has joined already: there is nothing to invite them to",
    SkipReason.NOT_ENABLED: "is a student whose account is not enabled",
    SkipReason.ARCHIVED: "is archived",
    SkipReason.NOT_FOUND: "is not known to notify yet",
    SkipReason.DISABLED: "has a disabled account",
    SkipReason.NO_USABLE_CREDENTIAL: "has no email or mobile an invitation may use: invite them in another way "
                                      "(a printable invitation)",
}


class Directory(Protocol):
    def resolve_audience(self, payload: dict) -> dict: ...

    def get_district(self, payload: dict) -> dict: ...


class Identity(Protocol):
    def issue_join_tokens(self, payload: dict) -> dict: ...


class InvitationStore(Protocol):
    def shared_mobiles(self) -> dict[str, int]: ...

    def candidates(self, person_ids: Sequence[str], *, mobiles: Mapping[str, int] | None = None) -> Candidates: ...

    def create_communication(self, communication: NewPersonalCommunication, *,
                             job_people: Sequence[str] | None = None, inviter: Mapping | None = None,
                             job_id: str | None = None, announce: Announce = nothing_to_announce) -> None: ...

    def write_page(self, page: PersonalPage, *, now: datetime) -> None: ...

    def claim(self, job_id: str, *, now: datetime, until: datetime) -> bool: ...

    def extend(self, job_id: str, *, until: datetime | None) -> None: ...

    def pending(self, job_id: str, *, limit: int) -> list[str]: ...

    def finish(self, job_id: str, *, now: datetime) -> None: ...

    def job(self, job_id: str) -> InvitationJobRow | None: ...

    def counts(self, job_id: str) -> dict[str, int]: ...

    def results(self, job_id: str, *, outcome: str | None, offset: int, limit: int) -> list[dict]: ...

    def stalled_jobs(self, *, now: datetime) -> list[str]: ...

    def forget_expired_secrets(self, *, now: datetime) -> int: ...


class Queueing(Protocol):
    def unqueued_provider_deliveries(self, communication_id: str) -> list[tuple[str, Channel]]: ...

    def mark_planned_queued(self, communication_id: str, *, now: datetime) -> int: ...


class QueueMarks(Protocol):
    def mark_communication_queued(self, communication_id: str, *, now: datetime) -> None: ...


class JobPublisher(Protocol):
    def publish_jobs(self, jobs: Iterable[DeliveryJob]) -> None: ...


class Ports(Protocol):
    """What the invitation use cases are handed (services.notify.service builds it per worker)."""

    directory_rpc: Directory
    identity_rpc: Identity
    invitations: InvitationStore
    communications: Queueing
    queue_marks: QueueMarks
    jobs: JobPublisher
    publish: Publish
    join_base_url: str
    clock: Clock


def send_invitation(request: dict, *, ports: Ports, new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> dict:
    inviter, person_id = request["inviter"], request["person_id"]
    district_id = _district_of(inviter)
    _require_reachable(ports.directory_rpc, inviter, person_id)
    candidates = ports.invitations.candidates([person_id])
    _require_may_invite(inviter, candidates, person_id)
    verdict = decide_invitation(person_id, candidates.recipients.get(person_id),
                                archived=person_id in candidates.archived)
    if not verdict.invited:
        raise _cannot_invite(verdict)
    district_name = _district_name(ports.directory_rpc, district_id)
    communication_id = new_id()
    ports.invitations.create_communication(_communication(communication_id, district_id, district_name, inviter,
                                                          {"person_ids": [person_id]}, ports.clock()))
    [result] = _invite_page(communication_id, [verdict], candidates, inviter=inviter, district_name=district_name,
                            ports=ports, job_id=None)
    # Queued, or completed with nothing to send when identity knew better (the person joined meanwhile).
    ports.queue_marks.mark_communication_queued(communication_id, now=ports.clock())
    if result["outcome"] != notify.INVITED:
        raise _cannot_invite(InvitationVerdict(person_id, reason=SkipReason(result["reason"])))
    return {**result, "communication_id": communication_id}


def start_invitations(request: dict, *, ports: Ports, new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> dict:
    inviter, audience = request["inviter"], request["audience"]
    district_id = _district_of(inviter)
    if (audience["school_id"] or "staff" in audience["kinds"]) and not may(inviter, INVITE_SCHOOL):
        raise PermissionDenied("Inviting a whole school, or staff, needs an administrator or a Users Manager.",
                               fields={"audience": ["only a classroom's guardians and students are open to you"]})
    person_ids = _resolve(ports.directory_rpc, inviter, audience)
    if not person_ids:
        raise InvalidRequest("Nobody in this audience can be invited.",
                             fields={"audience": ["resolves to nobody you may invite"]})
    district_name = _district_name(ports.directory_rpc, district_id)
    job_id, communication_id = new_id(), new_id()
    ports.invitations.create_communication(
        _communication(communication_id, district_id, district_name, inviter, dict(audience), ports.clock()),
        job_people=person_ids, inviter=inviter, job_id=job_id,
        announce=lambda: ports.publish(notify.INVITATIONS_REQUESTED, {"job_id": job_id}))
    return _job_answer(ports.invitations, job_id, page=1, per_page=100, outcome=None)


def work_through_invitations(payload: dict, *, ports: Ports) -> int:
    """Invite every pending person of the job, a page at a time; how many were processed by this run."""
    job_id = payload["job_id"]
    job = ports.invitations.job(job_id)
    if job is None or job.state != "running":
        return 0
    if not ports.invitations.claim(job_id, now=ports.clock(), until=ports.clock() + LEASE):
        log.info("invitation job %s is being worked on by another runner", job_id)
        return 0
    processed = 0
    try:
        district_name = _district_name(ports.directory_rpc, job.district_id)
        mobiles = ports.invitations.shared_mobiles()
        while person_ids := ports.invitations.pending(job_id, limit=INVITATION_PAGE):
            candidates = ports.invitations.candidates(person_ids, mobiles=mobiles)
            verdicts = [decide_invitation(person_id, candidates.recipients.get(person_id),
                                          archived=person_id in candidates.archived) for person_id in person_ids]
            _invite_page(job.communication_id, verdicts, candidates, inviter=job.inviter,
                         district_name=district_name, ports=ports, job_id=job_id)
            processed += len(person_ids)
            ports.invitations.extend(job_id, until=ports.clock() + LEASE)
    except Exception:
        # Let the redelivered event (or the recovery timer) take the job up again at once, where it stopped.
        ports.invitations.extend(job_id, until=None)
        raise
    ports.queue_marks.mark_communication_queued(job.communication_id, now=ports.clock())
    ports.invitations.finish(job_id, now=ports.clock())
    log.info("invitation job %s: %d people processed", job_id, processed)
    return processed


def get_invitation_job(request: dict, *, ports: Ports) -> dict:
    viewer, job = request["viewer"], ports.invitations.job(request["job_id"])
    # Only who asked, and the district's administrators; anyone else learns nothing, not even that it exists.
    if job is None or not (job.requested_by == viewer["person_id"] or (
            has_role(viewer, identity.DISTRICT_ADMIN) and viewer.get("district_id") == job.district_id)):
        raise NotFound("No such invitation job.", fields={"job_id": ["no invitation job with this id"]})
    return _job_answer(ports.invitations, job.id, page=request["page"], per_page=request["per_page"],
                       outcome=request["outcome"])


def issue_printable_invitation(request: dict, *, ports: Ports) -> dict:
    inviter, person_id = request["inviter"], request["person_id"]
    district_id = _district_of(inviter)
    _require_reachable(ports.directory_rpc, inviter, person_id)
    candidates = ports.invitations.candidates([person_id])
    _require_may_invite(inviter, candidates, person_id)
    recipient = candidates.recipients.get(person_id)
    verdict = decide_printable_invitation(person_id, recipient, archived=person_id in candidates.archived)
    if not verdict.invited:
        raise _cannot_invite(verdict)
    [token] = ports.identity_rpc.issue_join_tokens({"person_ids": [person_id],
                                                    "issued_by": inviter["person_id"]})["results"]
    verdict = after_token(verdict, token["outcome"])
    if not verdict.invited:
        raise _cannot_invite(verdict)
    token = {**token, "expires_at": _moment(token["expires_at"])}
    return {"person_id": person_id, "given_name": recipient.given_name,
            "family_name": candidates.family_names.get(person_id, ""),
            "district_name": _district_name(ports.directory_rpc, district_id), "join_code": token["join_code"],
            "join_url": join_url(ports.join_base_url, token["token"]), "expires_at": token["expires_at"]}


def resume_stalled_invitations(*, ports: Ports) -> list[str]:
    """Ask again for every job nobody is working on; forget join links and codes that have expired."""
    forgotten = ports.invitations.forget_expired_secrets(now=ports.clock())
    if forgotten:
        log.info("forgot %d expired invitation links and codes", forgotten)
    stalled = ports.invitations.stalled_jobs(now=ports.clock())
    for job_id in stalled:
        ports.publish(notify.INVITATIONS_REQUESTED, {"job_id": job_id})
    return stalled


# --- one page --------------------------------------------------------------------------------------

def _invite_page(communication_id: str, verdicts: Sequence[InvitationVerdict], candidates: Candidates, *,
                 inviter: Mapping, district_name: str, ports: Ports, job_id: str | None) -> list[dict]:
    """Tokens for the page's invitable people, then one transaction for the page, then its jobs queued."""
    invitable = [verdict.person_id for verdict in verdicts if verdict.invited]
    tokens = {}
    if invitable:
        answer = ports.identity_rpc.issue_join_tokens({"person_ids": invitable, "issued_by": inviter["person_id"]})
        tokens = {row["person_id"]: {**row, "expires_at": _moment(row["expires_at"])} for row in answer["results"]}
    final = [after_token(verdict, tokens[verdict.person_id]["outcome"]) if verdict.invited else verdict
             for verdict in verdicts]
    invited = [verdict for verdict in final if verdict.invited]
    personal = {
        verdict.person_id: invitation_values(
            district_name=district_name, given_name=candidates.recipients[verdict.person_id].given_name,
            join_url=join_url(ports.join_base_url, tokens[verdict.person_id]["token"]),
            join_code=tokens[verdict.person_id]["join_code"], expires_at=tokens[verdict.person_id]["expires_at"])
        for verdict in invited}
    results = [_result(verdict, tokens.get(verdict.person_id)) for verdict in final]
    expires_at = max((tokens[verdict.person_id]["expires_at"] for verdict in invited),
                     default=ports.clock() + timedelta(days=identity.JOIN_TOKEN_DAYS))
    rows = planned_rows([candidates.recipients[verdict.person_id] for verdict in invited], INVITATION)
    ports.invitations.write_page(PersonalPage(communication_id, rows, personal, expires_at,
                                              results=results, job_id=job_id), now=ports.clock())
    unqueued = ports.communications.unqueued_provider_deliveries(communication_id)
    ports.jobs.publish_jobs(pages_of(communication_id, unqueued))
    ports.communications.mark_planned_queued(communication_id, now=ports.clock())
    return results


def _result(verdict: InvitationVerdict, token: Mapping | None) -> dict:
    if verdict.invited:
        return {"person_id": verdict.person_id, "outcome": notify.INVITED, "channel": verdict.channel.value,
                "reason": None, "detail": None, "expires_at": token["expires_at"]}
    return {"person_id": verdict.person_id, "outcome": notify.SKIPPED, "channel": None,
            "reason": verdict.reason.value, "detail": verdict.detail.value if verdict.detail else None,
            "expires_at": None}


# --- checks and answers ----------------------------------------------------------------------------

def _district_of(principal: Mapping) -> str:
    if not principal.get("district_id"):
        raise InvalidRequest("Only a member of a district can invite people.",
                             fields={"inviter.district_id": ["required to invite"]})
    return principal["district_id"]


def _require_reachable(directory_rpc: Directory, inviter: Mapping, person_id: str) -> None:
    """Directory decides whom the inviter may reach: others are not found, as on profiles."""
    page = directory_rpc.resolve_audience({
        "viewer": inviter, "audience": {"person_ids": [person_id], "include_guardians": False},
        "after": None, "limit": 1})
    if person_id not in page["person_ids"]:
        raise NotFound("No such person among those you can invite.", fields={"person_id": ["no person with this id"]})


def _require_may_invite(inviter: Mapping, candidates: Candidates, person_id: str) -> None:
    """A teacher invites families and students; staff only someone who may invite a whole school."""
    if set(candidates.kinds.get(person_id, ())) == {directory.STAFF} and not may(inviter, INVITE_SCHOOL):
        raise PermissionDenied("Inviting staff needs an administrator or a Users Manager.",
                               fields={"person_id": ["a staff member"]})


def _cannot_invite(verdict: InvitationVerdict) -> Conflict:
    reason = verdict.reason
    return Conflict(f"This person {_SKIP_MESSAGES[reason]}.", fields={"person_id": [reason.value]})


def _moment(value: datetime | str | None) -> datetime | None:
    """A timestamp as identity answered it: RPC replies carry ISO strings."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _district_name(directory_rpc: Directory, district_id: str) -> str:
    return directory_rpc.get_district({"district_id": district_id})["name"]


def _communication(communication_id: str, district_id: str, district_name: str, inviter: Mapping,
                   audience: Mapping, now: datetime) -> NewPersonalCommunication:
    return NewPersonalCommunication(
        id=communication_id, district_id=district_id, kind=Communication.INVITATION,
        subject=f"Invitation to join {district_name}",
        body="An invitation to join, with each person's own Join link and code.",
        sender_id=inviter["person_id"], audience=audience, created_at=now)


def _resolve(directory_rpc: Directory, inviter: Mapping, audience: Mapping) -> list[str]:
    target = {"school_id": audience["school_id"]} if audience["school_id"] else \
        {"classroom_id": audience["classroom_id"]}
    wanted = {"audience": {**target, **{flag: kind in audience["kinds"] for kind, flag in KIND_FLAGS.items()}}}
    person_ids: dict[str, None] = {}
    after = None
    while True:
        page = directory_rpc.resolve_audience({"viewer": inviter, **wanted, "after": after, "limit": MAX_PAGE_ROWS})
        person_ids.update(dict.fromkeys(page["person_ids"]))
        after = page["next_after"]
        if after is None:
            return list(person_ids)


def _job_answer(store: InvitationStore, job_id: str, *, page: int, per_page: int, outcome: str | None) -> dict:
    job = store.job(job_id)
    counts = store.counts(job_id)
    return {"job_id": job.id, "state": job.state, "communication_id": job.communication_id,
            "audience": job.audience, "requested_by": job.requested_by, "created_at": job.created_at,
            "finished_at": job.finished_at, "total": job.total,
            "processed": job.total - counts.get(notify.PENDING, 0), "counts": counts,
            "results": store.results(job_id, outcome=outcome, offset=(page - 1) * per_page, limit=per_page),
            "page": page, "per_page": per_page}


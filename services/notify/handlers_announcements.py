"""Announcements: accept one at once, then plan and queue its deliveries in the background.

send_announcement resolves the audience through directory (pages of person
ids within the sender's scope), stores the communication with its recipients
and publishes ANNOUNCEMENT_REQUESTED; the sender's call returns there.

plan_announcement (the event's handler) is safe to run again at any point:
1. plan every recipient in bulk and write all deliveries in one transaction
   (skipped where a run already did);
2. publish a job per page of the provider deliveries still unqueued,
   confirmed by the broker;
3. mark the communication queued, then its deliveries.
A crash before 1 commits leaves nothing; after it, a rerun publishes again
(the workers' send ledger makes duplicate jobs harmless) and marks queued.
A crash between the two marks of 3 leaves deliveries `planned` in a queued
communication: workers send them all the same.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from services.notify.domain.communications import CommunicationFacts, CommunicationState, NewAnnouncement
from services.notify.domain.delivery import Channel, Preference
from services.notify.domain.planned_rows import PlannedRows, planned_rows
from services.notify.domain.planner import PlanRecipient
from services.notify.domain.preferences import parse_district_default
from services.notify.queue.jobs import DeliveryJob, pages_of
from shared.contracts import notify
from shared.contracts.common import MAX_PAGE_ROWS
from shared.contracts.errors import InvalidRequest
from shared.outbox import Announce, nothing_to_announce

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Publish = Callable[..., None]
NewId = Callable[[], str]

# A communication still planning this long after it was sent lost its event or keeps failing:
# the recovery timer asks for it again (planning is idempotent, so a slow run is not harmed).
STALLED_AFTER = timedelta(minutes=10)


class AudienceResolver(Protocol):
    def resolve_audience(self, payload: dict) -> dict: ...


class CommunicationStore(Protocol):
    def create_announcement(self, announcement: NewAnnouncement, person_ids: Sequence[str], *,
                            announce: Announce = nothing_to_announce) -> None: ...

    def communication(self, communication_id: str) -> CommunicationFacts | None: ...

    def write_plan(self, communication_id: str, plan_page: Callable[[list[PlanRecipient]], PlannedRows], *,
                   now: datetime) -> int | None: ...

    def unqueued_provider_deliveries(self, communication_id: str) -> list[tuple[str, Channel]]: ...

    def mark_planned_queued(self, communication_id: str, *, now: datetime) -> int: ...

    def stalled_in_planning(self, *, created_before: datetime) -> list[str]: ...


class DistrictDefaults(Protocol):
    def district_settings(self, district_id: str): ...


class CommunicationQueueMarks(Protocol):
    def mark_communication_queued(self, communication_id: str, *, now: datetime) -> None: ...


class JobPublisher(Protocol):
    def publish_jobs(self, jobs: Iterable[DeliveryJob]) -> None: ...


def send_announcement(request: dict, *, directory_rpc: AudienceResolver, communications: CommunicationStore,
                      publish: Publish, clock: Clock, new_id: NewId = lambda: uuid.uuid4().hex) -> dict:
    sender = request["sender"]
    person_ids, refused = resolved_audience(request, directory_rpc=directory_rpc)
    announcement = NewAnnouncement(
        id=new_id(), district_id=sender["district_id"], sender_id=sender["person_id"], subject=request["subject"],
        body=request["body"], priority=request["priority"], with_call=request["with_call"],
        audience=dict(request["audience"]), created_at=clock())
    communications.create_announcement(
        announcement, person_ids,
        announce=lambda: publish(notify.ANNOUNCEMENT_REQUESTED, {"communication_id": announcement.id}))
    return {"communication_id": announcement.id, "state": CommunicationState.PLANNING.value,
            "created_at": announcement.created_at, "recipient_count": len(person_ids), "refused": refused}


def resolved_audience(request: dict, *, directory_rpc: AudienceResolver) -> tuple[list[str], list[dict]]:
    """Every person id a send (or its preview) is for, and who the directory refused; InvalidRequest when the
    sender has no district or the audience resolves to nobody."""
    sender = request["sender"]
    if not sender.get("district_id"):
        raise InvalidRequest("Only a member of a district can send an announcement.",
                             fields={"sender.district_id": ["required to send an announcement"]})
    person_ids, refused = _resolve(directory_rpc, sender, request["audience"])
    if not person_ids:
        raise InvalidRequest("Nobody in this audience can be reached.",
                             fields={"audience": ["resolves to nobody you may send to"]})
    return person_ids, refused


def district_default(district_defaults: DistrictDefaults, district_id: str) -> Preference:
    """The preference of adults in the district who never chose one, as planning applies it."""
    return parse_district_default(district_defaults.district_settings(district_id).default_preference)


def plan_announcement(payload: dict, *, communications: CommunicationStore, district_defaults: DistrictDefaults,
                      queue_marks: CommunicationQueueMarks, jobs: JobPublisher, clock: Clock) -> int:
    """Plan, queue and mark one communication; the provider deliveries it queued (0 when already done)."""
    communication_id = payload["communication_id"]
    communication = communications.communication(communication_id)
    if communication is None:
        log.error("announcement %s was requested but does not exist; nothing to plan", communication_id)
        return 0
    if communication.state is not CommunicationState.PLANNING:
        return 0
    request = communication.plan_request(district_default(district_defaults, communication.district_id))
    written = communications.write_plan(communication_id, lambda page: planned_rows(page, request), now=clock())
    unqueued = communications.unqueued_provider_deliveries(communication_id)
    jobs.publish_jobs(pages_of(communication_id, unqueued))
    # Every job is confirmed on the queue: that is what the communication's state says. The deliveries'
    # own planned -> queued follows; workers send planned and queued deliveries alike.
    queue_marks.mark_communication_queued(communication_id, now=clock())
    communications.mark_planned_queued(communication_id, now=clock())
    log.info("announcement %s: %s rows planned, %d provider deliveries queued", communication_id,
             "no new" if written is None else written, len(unqueued))
    return len(unqueued)


def stalled_announcements(*, communications: CommunicationStore, publish: Publish, clock: Clock) -> list[str]:
    """Ask again for every announcement stuck in planning; the ids asked for."""
    stalled = communications.stalled_in_planning(created_before=clock() - STALLED_AFTER)
    for communication_id in stalled:
        log.warning("announcement %s is still planning; requesting it again", communication_id)
        publish(notify.ANNOUNCEMENT_REQUESTED, {"communication_id": communication_id})
    return stalled


def _resolve(directory_rpc: AudienceResolver, sender: dict, audience: dict) -> tuple[list[str], list[dict]]:
    """Every person id of the audience, page after page; who the directory refused (on its first page)."""
    person_ids: dict[str, None] = {}
    refused: list[dict] = []
    after = None
    while True:
        page = directory_rpc.resolve_audience({"viewer": sender, "audience": audience, "after": after,
                                               "limit": MAX_PAGE_ROWS})
        if after is None:
            refused = page["refused"]
        person_ids.update(dict.fromkeys(page["person_ids"]))
        after = page["next_after"]
        if after is None:
            return list(person_ids), refused

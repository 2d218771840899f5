"""Verification codes: identity proves a person controls a new email or mobile with a 6-digit code.

A one-off personal communication (kind `verification`) with one delivery to
the address given, which need not be the person's credential yet: no
preference or row applies, and it never falls back (the address is the
point). It goes through the same queue, workers, send ledger and delivery
history as everything else; the code is one of the person's own values
(communication_personal), composed into the message by the worker, and is
never logged or put in the communication's subject or body.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.notify.domain.personal_communications import NewPersonalCommunication, PersonalPage
from services.notify.domain.delivery import Channel, Communication, NewDelivery
from services.notify.domain.messages import verification_values
from services.notify.domain.planned_rows import PlannedRows
from services.notify.handlers_invitations import JobPublisher, QueueMarks, Queueing
from services.notify.queue.jobs import pages_of

Clock = Callable[[], datetime]
CHANNEL_OF_KIND = {"email": Channel.EMAIL, "mobile_phone": Channel.SMS}
# A code is not a district's communication; one without a district is filed under none.
NO_DISTRICT = ""


class PersonalCommunications(Protocol):
    def create_communication(self, communication: NewPersonalCommunication, **job) -> None: ...

    def write_page(self, page: PersonalPage, *, now: datetime) -> None: ...


def send_verification_code(request: dict, *, invitations: PersonalCommunications, communications: Queueing,
                           queue_marks: QueueMarks, jobs: JobPublisher, clock: Clock,
                           new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> dict:
    channel = CHANNEL_OF_KIND[request["kind"]]
    person_id, communication_id, now = request["person_id"], new_id(), clock()
    invitations.create_communication(NewPersonalCommunication(
        id=communication_id, district_id=request["district_id"] or NO_DISTRICT, kind=Communication.VERIFICATION,
        subject="Verification code", body="A one-off verification code (never stored in the body).",
        sender_id=None, audience={"person_ids": [person_id]}, created_at=now))
    rows = PlannedRows(provider=[NewDelivery(person_id, channel, request["address"])])
    invitations.write_page(PersonalPage(
        communication_id, rows, {person_id: verification_values(code=request["code"],
                                                                 expires_at=request["expires_at"])},
        request["expires_at"]), now=now)
    [(delivery_id, _)] = communications.unqueued_provider_deliveries(communication_id)
    jobs.publish_jobs(pages_of(communication_id, [(delivery_id, channel)]))
    communications.mark_planned_queued(communication_id, now=clock())
    queue_marks.mark_communication_queued(communication_id, now=clock())
    return {"delivery_id": delivery_id, "channel": channel.value}

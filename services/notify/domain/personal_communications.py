"""Personal communications as the use cases hand them around: plain values, no I/O.

A personal communication (an invitation, a verification code) is a communication like an announcement
plus what it says to each person only; an invitation job lists its people and their results.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.notify.domain.delivery import Communication
from services.notify.domain.planned_rows import PlannedRows
from services.notify.domain.planner import PlanRecipient


@dataclass(frozen=True, slots=True)
class NewPersonalCommunication:
    id: str
    district_id: str
    kind: Communication
    subject: str
    body: str  # what reports show; the messages themselves are composed from each person's values
    sender_id: str | None
    audience: Mapping[str, object]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Candidates:
    """People as the invitation rows see them: planner's view, or why there is none."""

    recipients: Mapping[str, PlanRecipient]  # known and not archived
    archived: frozenset[str]
    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    family_names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PersonalPage:
    """Everything one page of invitations (or one code) writes, in one transaction."""

    communication_id: str
    rows: PlannedRows  # the planner's deliveries for the people invited
    personal: Mapping[str, Mapping[str, str]]  # person id -> their values
    expires_at: datetime
    results: Sequence[Mapping[str, object]] = ()  # a job's rows: person_id, outcome, channel, reason, detail
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class InvitationJobRow:
    id: str
    district_id: str
    communication_id: str
    requested_by: str
    inviter: Mapping
    audience: Mapping
    state: str
    total: int
    created_at: datetime
    finished_at: datetime | None

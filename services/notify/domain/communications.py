"""A communication as the service layer handles it: plain values, no I/O."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.notify.domain.delivery import Communication, Preference
from services.notify.domain.planner import PlanRequest


class CommunicationState(StrEnum):
    PLANNING = "planning"  # stored with its recipients; deliveries not planned, or not all queued yet
    QUEUED = "queued"  # every provider job confirmed on the queue
    COMPLETED = "completed"  # nothing outstanding


@dataclass(frozen=True, slots=True)
class NewAnnouncement:
    id: str
    district_id: str
    sender_id: str
    subject: str
    body: str
    priority: bool
    with_call: bool
    audience: Mapping[str, object]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CommunicationFacts:
    id: str
    district_id: str
    kind: Communication
    subject: str | None
    priority: bool
    with_call: bool
    sender_id: str | None
    state: CommunicationState
    created_at: datetime

    def plan_request(self, district_default: Preference) -> PlanRequest:
        return PlanRequest(self.kind, priority=self.priority, with_call=self.with_call,
                           district_default=district_default)

"""What planning a communication writes: the planner's decisions as rows of deliveries.

Pure. For each recipient the planner decides (planner.plan):
- provider deliveries (email, SMS, voice): rows to queue, one job line each;
- the app channel for users who joined: delivered at once, into the inbox;
- every provider channel the rows left out, with why, as a skipped row, so the
  delivery report shows who got nothing on it and for what reason.
A channel skipped as FALLBACK_ONLY gets no row: it is not refused, it is the
alternative F1 keeps in reserve, and a row on it would stand in the way of
that fallback (a communication has one delivery per person and channel).
A skipped row stands in F1's way too, which is right while its reason holds
(a bad or opted-out credential cannot take a fallback); only a Reset Status
or START arriving while the same communication is still going out is missed.
Recipients the rows leave out altogether (a student whose account is not
enabled) get no rows at all: they are not part of the communication.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.notify.domain.delivery import Channel, NewDelivery
from services.notify.domain.planner import PlanRecipient, PlanRequest, Reason, plan


@dataclass(frozen=True, slots=True)
class SkippedDelivery:
    person_id: str
    channel: Channel
    address: str | None  # the credential the channel would have used, if there is one
    reason: Reason


@dataclass(slots=True)
class PlannedRows:
    provider: list[NewDelivery] = field(default_factory=list)
    skipped: list[SkippedDelivery] = field(default_factory=list)
    app: list[str] = field(default_factory=list)  # person ids whose inbox gets it now

    def __len__(self) -> int:
        return len(self.provider) + len(self.skipped) + len(self.app)


def planned_rows(recipients: Iterable[PlanRecipient], request: PlanRequest) -> PlannedRows:
    recipients = list(recipients)
    rows = PlannedRows()
    for recipient, decided in zip(recipients, plan(recipients, request)):
        if decided.excluded_reason is not None:
            continue
        rows.provider.extend(NewDelivery(recipient.person_id, planned.channel, planned.to, planned.label)
                             for planned in decided.deliveries)
        rows.skipped.extend(
            SkippedDelivery(recipient.person_id, skipped.channel, _address(recipient, skipped.channel), skipped.reason)
            for skipped in decided.skipped if skipped.reason is not Reason.FALLBACK_ONLY)
        if decided.app:
            rows.app.append(recipient.person_id)
    return rows


def _address(recipient: PlanRecipient, channel: Channel) -> str | None:
    return recipient.email if channel is Channel.EMAIL else recipient.mobile_phone

"""The audience preview: what sending an announcement would do, decided by the planner the send uses.

Pure. The people come in as the planner sees them (the same projection,
preferences and credential health the send plans from); `plan` decides each
one exactly as planning the send would, and this only counts its decisions:
people per channel, who would get nothing outside the app and why (U1), who
it would not go to at all, and how many people read each language.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.notify.domain.delivery import Channel
from services.notify.domain.planner import PlanRecipient, PlanRequest, Reason, plan
from services.notify.domain.translation import language_key
from services.notify.domain.unreachable import Contact, by_name


@dataclass(frozen=True, slots=True)
class PreviewMember:
    contact: Contact
    recipient: PlanRecipient
    language: str


@dataclass(frozen=True, slots=True)
class UnreachableMember:
    contact: Contact
    reason: Reason


@dataclass(slots=True)
class AudienceReach:
    reached: int = 0
    not_contacted: int = 0  # excluded by the rows (a student not enabled), or unknown to notify
    by_channel: Counter[Channel] = field(default_factory=Counter)
    app_only: int = 0
    unreachable: list[UnreachableMember] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)  # people reached per language (lower case)


def audience_reach(members: Iterable[PreviewMember], request: PlanRequest, *, unknown: int = 0) -> AudienceReach:
    """`unknown`: people of the audience the planner has no facts on (not projected yet, or archived)."""
    members = list(members)
    reach = AudienceReach(not_contacted=unknown)
    for member, decided in zip(members, plan((member.recipient for member in members), request)):
        if decided.excluded_reason is not None:
            reach.not_contacted += 1
            continue
        channels = {delivery.channel for delivery in decided.deliveries}
        reach.by_channel.update(channels)
        if decided.app and not channels:
            reach.app_only += 1
        if channels or decided.app:
            reach.reached += 1
            reach.languages[language_key(member.language)] += 1
        if decided.unreachable_reason is not None:
            reach.unreachable.append(UnreachableMember(member.contact, decided.unreachable_reason))
    reach.unreachable.sort(key=lambda found: by_name(found.contact))
    return reach

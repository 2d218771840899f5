"""Reports: how a communication went (delivery report), and who a school cannot reach (U1)."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.notify.adapters.plan_recipients_sql import Member
from services.notify.adapters.reports_repository import ReportLine
from services.notify.domain.access import may_list_unreachable, report_access
from services.notify.domain.communications import CommunicationFacts
from services.notify.domain.delivery import Channel, DeliveryStatus
from services.notify.domain.preferences import parse_district_default
from services.notify.domain.unreachable import UnreachableContact, plain_announcement, unreachable_contacts
from services.notify.handlers_translations import CommunicationTranslations, report_languages
from shared.contracts.errors import NotFound, PermissionDenied


class CommunicationLookup(Protocol):
    def communication(self, communication_id: str) -> CommunicationFacts | None: ...


class DeliveryCounts(Protocol):
    def delivery_report(self, communication_id: str) -> dict[Channel, dict[DeliveryStatus, int]]: ...


class ReportStore(Protocol):
    def reaches_schools(self, communication_id: str, school_ids: Collection[str]) -> bool: ...

    def unreachable_count(self, communication_id: str) -> int: ...

    def report_lines(self, communication_id: str, *, status: str | None, page: int,
                     per_page: int) -> tuple[list[ReportLine], int]: ...

    def school_members(self, school_id: str, *, district_id: str | None) -> list[Member]: ...


class ReadState(Protocol):
    def read_counts(self, communication_id: str) -> tuple[int, int]: ...

    def read_times(self, communication_id: str, person_ids: Sequence[str]) -> dict[str, datetime | None]: ...


class DistrictDefaults(Protocol):
    def district_settings(self, district_id: str): ...


def get_delivery_report(request: dict, *, communications: CommunicationLookup, counts: DeliveryCounts,
                        reports: ReportStore, translations: CommunicationTranslations,
                        reads: ReadState) -> dict:
    communication_id = request["communication_id"]
    communication = communications.communication(communication_id)
    if communication is None:
        raise NotFound("No such communication.", fields={"communication_id": ["no communication with this id"]})
    access = report_access(request["viewer"], sender_id=communication.sender_id,
                           district_id=communication.district_id)
    if not access.everything and not (access.via_schools and reports.reaches_schools(communication_id,
                                                                                      access.via_schools)):
        raise PermissionDenied("Only its sender, administrators and staff with Engagement Visibility may see "
                               "how this communication was delivered.")
    lines, total = reports.report_lines(communication_id, status=request["status"], page=request["page"],
                                        per_page=request["per_page"])
    read_at = reads.read_times(communication_id, [line.person_id for line in lines
                                                  if line.channel == Channel.APP.value])
    read, unread = reads.read_counts(communication_id)
    return {
        "communication_id": communication.id, "subject": communication.subject or "",
        "priority": communication.priority, "state": communication.state.value,
        "sender_id": communication.sender_id, "created_at": communication.created_at,
        "counts": {channel.value: {status.value: count for status, count in statuses.items()}
                   for channel, statuses in counts.delivery_report(communication_id).items()},
        "unreachable": reports.unreachable_count(communication_id),
        "app_read": {"read": read, "unread": unread},
        "lines": [_line(line, read_at) for line in lines], "total": total,
        "page": request["page"], "per_page": request["per_page"],
        **report_languages(communication_id, translations=translations),
    }


def list_unreachable_contacts(request: dict, *, reports: ReportStore, district_defaults: DistrictDefaults) -> dict:
    viewer, school_id = request["viewer"], request["school_id"]
    if not may_list_unreachable(viewer, school_id):
        raise PermissionDenied("Only the school's administrators and staff with School-Wide Communications, "
                               "Users Manager or Rostering Administrator may see its unreachable contacts.")
    district_id = viewer.get("district_id")
    default = parse_district_default(
        district_defaults.district_settings(district_id).default_preference if district_id else None)
    members = reports.school_members(school_id, district_id=district_id)
    found = unreachable_contacts(((member.contact, member.recipient) for member in members),
                                 plain_announcement(default))
    page, per_page = request["page"], request["per_page"]
    return {"school_id": school_id, "total": len(found), "page": page, "per_page": per_page,
            "contacts": [_contact(item) for item in _page(found, page, per_page)]}


def _page(items: Sequence, page: int, per_page: int) -> Sequence:
    return items[(page - 1) * per_page:page * per_page]


def _line(line: ReportLine, read_at: Mapping[str, datetime | None]) -> dict:
    return {"person_id": line.person_id, "given_name": line.given_name, "family_name": line.family_name,
            "channel": line.channel, "address": line.address, "status": line.status, "reason": line.reason,
            "fallback_of": line.fallback_of, "updated_at": line.updated_at,
            "read_at": read_at.get(line.person_id) if line.channel == Channel.APP.value else None}


def _contact(found: UnreachableContact) -> dict:
    contact = found.contact
    return {"person_id": contact.person_id, "given_name": contact.given_name, "family_name": contact.family_name,
            "kinds": list(contact.kinds), "reason": found.reason.value}

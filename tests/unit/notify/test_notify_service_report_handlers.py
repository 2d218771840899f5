"""Delivery reports and unreachable contacts: who may read them, and what they hold."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.notify.adapters.plan_recipients_sql import Member
from services.notify.adapters.reports_repository import ReportLine
from services.notify.domain.communications import CommunicationFacts, CommunicationState
from services.notify.domain.delivery import Channel, Communication, DeliveryStatus
from services.notify.domain.unreachable import Contact
from services.notify.handlers_reports import get_delivery_report, list_unreachable_contacts
from shared.contracts.errors import NotFound, PermissionDenied
from shared.testing.translation_fakes import InMemoryTranslations
from tests.unit.notify.planner_builders import make_recipient

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
COMMUNICATION = CommunicationFacts("comm-1", "district-1", Communication.ANNOUNCEMENT, "Snow day", False, False,
                                   "tess", CommunicationState.QUEUED, NOW)


def principal(person_id: str, *roles: tuple[str, list[str]], permissions=()) -> dict:
    return {"person_id": person_id, "district_id": "district-1", "display_name": person_id, "status": "active",
            "roles": [{"role": role, "school_ids": schools} for role, schools in roles],
            "permissions": list(permissions)}


class FakeReports:
    def __init__(self, reached_schools=(), members=()):
        self.reached_schools = set(reached_schools)
        self.members = list(members)

    def reaches_schools(self, communication_id, school_ids):
        return bool(self.reached_schools & set(school_ids))

    def unreachable_count(self, communication_id):
        return 1

    def report_lines(self, communication_id, *, status, page, per_page):
        line = ReportLine("gina", "Gina", "Lopez", "email", "gina@example.org", "sent", None, None, NOW)
        return [line], 1

    def school_members(self, school_id, *, district_id):
        return self.members


class FakeCommunications:
    def communication(self, communication_id):
        return COMMUNICATION if communication_id == "comm-1" else None


class FakeCounts:
    def delivery_report(self, communication_id):
        return {Channel.EMAIL: {DeliveryStatus.SENT: 1}, Channel.SMS: {DeliveryStatus.SKIPPED: 1}}


class FakeReads:
    """Gina read the app item at 9:00; one more recipient has not."""

    def read_counts(self, communication_id):
        return 1, 1

    def read_times(self, communication_id, person_ids):
        return {person_id: NOW for person_id in person_ids if person_id == "gina"}


class NoDistrictDefault:
    def district_settings(self, district_id):
        return type("Settings", (), {"default_preference": None})()


def report(viewer: dict, reports=None, communication_id="comm-1") -> dict:
    request = {"viewer": viewer, "communication_id": communication_id, "page": 1, "per_page": 100, "status": None}
    return get_delivery_report(request, communications=FakeCommunications(), counts=FakeCounts(),
                               reports=reports or FakeReports(), translations=InMemoryTranslations(),
                               reads=FakeReads())


def test_the_sender_reads_the_counts_the_unreachable_and_the_lines():
    answer = report(principal("tess", ("teacher", ["school-1"])))

    assert answer["counts"] == {"email": {"sent": 1}, "sms": {"skipped": 1}}
    assert answer["unreachable"] == 1 and answer["total"] == 1
    assert answer["lines"][0]["person_id"] == "gina" and answer["state"] == "queued"
    # Only app lines carry a read time: Gina's email line has none, whatever her inbox says.
    assert answer["app_read"] == {"read": 1, "unread": 1} and answer["lines"][0]["read_at"] is None


def test_another_teacher_without_engagement_visibility_is_denied():
    with pytest.raises(PermissionDenied):
        report(principal("ted", ("teacher", ["school-1"])), FakeReports(reached_schools={"school-1"}))


def test_staff_with_engagement_visibility_read_it_only_when_it_reached_their_school():
    viewer = principal("ted", ("teacher", ["school-1"]), permissions=["engagement_visibility"])

    assert report(viewer, FakeReports(reached_schools={"school-1"}))["communication_id"] == "comm-1"
    with pytest.raises(PermissionDenied):
        report(viewer, FakeReports(reached_schools={"school-2"}))


def test_an_unknown_communication_is_not_found():
    with pytest.raises(NotFound):
        report(principal("tess", ("district_admin", [])), communication_id="nope")


def member(person_id: str, family: str, **overrides) -> Member:
    return Member(Contact(person_id, person_id.title(), family, ("guardian",)),
                  make_recipient(person_id=person_id, **overrides))


def unreachable(viewer: dict, members, page=1, per_page=100) -> dict:
    request = {"viewer": viewer, "school_id": "school-1", "page": page, "per_page": per_page}
    return list_unreachable_contacts(request, reports=FakeReports(members=members),
                                     district_defaults=NoDistrictDefault())


def test_a_school_admin_sees_the_unreachable_contacts_of_the_school_a_page_at_a_time():
    members = [member("gina", "Lopez"), member("hal", "Baker", email=None, mobile_phone=None),
               member("ivy", "Adams", email=None, mobile_phone=None)]

    first = unreachable(principal("pat", ("school_admin", ["school-1"])), members, per_page=1)

    assert first["total"] == 2
    assert first["contacts"] == [{"person_id": "ivy", "given_name": "Ivy", "family_name": "Adams",
                                  "kinds": ["guardian"], "reason": "no_credential"}]


def test_a_teacher_without_a_contact_managing_permission_may_not_list_unreachable_contacts():
    with pytest.raises(PermissionDenied):
        unreachable(principal("tess", ("teacher", ["school-1"])), [])

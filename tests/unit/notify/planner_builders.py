"""Builders for planner tests: recipients and requests with overrides, and short views of a plan."""
from __future__ import annotations

from services.notify.domain.delivery import Channel, Communication, CredentialState, Preference
from services.notify.domain.planner import PlannedDelivery, PlanRecipient, PlanRequest, RecipientPlan

GOOD = CredentialState.GOOD
BAD = CredentialState.BAD
OPTED_OUT = CredentialState.OPTED_OUT
EMAIL_APP = Preference.EMAIL_APP
SMS_APP = Preference.SMS_APP
APP_ONLY = Preference.APP_ONLY


def make_recipient(**overrides) -> PlanRecipient:
    """An adult (a guardian) who never chose a preference, with a good email and a good, unshared mobile."""
    recipient = {
        "person_id": "person-1",
        "given_name": "Dennis",
        "is_student": False,
        "student_account_enabled": False,
        "joined": False,
        "preference": None,
        "email": "dennis@example.org",
        "email_state": GOOD,
        "mobile_phone": "+15555550101",
        "mobile_state": GOOD,
        "mobile_shared_with": 0,
    }
    return PlanRecipient(**{**recipient, **overrides})


def make_student(**overrides) -> PlanRecipient:
    """A student whose account is enabled, with a good email and a good mobile from the SIS."""
    student = {
        "person_id": "student-1",
        "given_name": "Sam",
        "is_student": True,
        "student_account_enabled": True,
        "email": "sam@students.example.org",
        "mobile_phone": "+15555550202",
    }
    return make_recipient(**{**student, **overrides})


def make_request(**overrides) -> PlanRequest:
    request = {
        "communication": Communication.ANNOUNCEMENT,
        "priority": False,
        "with_call": False,
        "district_default": EMAIL_APP,
    }
    return PlanRequest(**{**request, **overrides})


def announcement(**overrides) -> PlanRequest:
    return make_request(communication=Communication.ANNOUNCEMENT, **overrides)


def priority_announcement(**overrides) -> PlanRequest:
    return make_request(communication=Communication.ANNOUNCEMENT, priority=True, **overrides)


def message(**overrides) -> PlanRequest:
    return make_request(communication=Communication.MESSAGE, **overrides)


def invitation(**overrides) -> PlanRequest:
    return make_request(communication=Communication.INVITATION, **overrides)


def channels(plan: RecipientPlan) -> tuple[Channel, ...]:
    """The provider channels planned, sorted so tests do not depend on the planner's order."""
    return tuple(sorted(delivery.channel for delivery in plan.deliveries))


def delivery_on(plan: RecipientPlan, channel: Channel) -> PlannedDelivery:
    (delivery,) = [delivery for delivery in plan.deliveries if delivery.channel is channel]
    return delivery


def skip_reasons(plan: RecipientPlan) -> dict[Channel, str]:
    return {skipped.channel: skipped.reason for skipped in plan.skipped}

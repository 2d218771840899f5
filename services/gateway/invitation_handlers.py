"""Invitations over HTTP: Send Invitation to Join (and Resend), Send Invitations to an audience as a job,
read the job, and Invite in another way (a printable PDF). notify does the inviting (see
services.notify.handlers_invitations) with the signed-in person as the inviter; the gateway checks the
permission the audience needs first and renders the printable page."""
from __future__ import annotations

from services.gateway.api import ApiCall, Backends
from services.gateway.domain.access import require
from services.gateway.lists import as_list
from services.gateway.printable_invitation import printable_invitation_pdf
from shared.contracts.permissions import INVITE_SCHOOL


def send_invitation(call: ApiCall, backends: Backends) -> dict:
    return backends.notify.send_invitation({"inviter": call.principal, "person_id": call.path["id"]})


def send_invitations(call: ApiCall, backends: Backends) -> dict:
    audience = call.body
    # A whole school, or its staff, takes more than inviting a class's families (shared.contracts.permissions).
    if audience.get("school_id") or "staff" in audience["kinds"]:
        require(call.principal, INVITE_SCHOOL)
    return as_list(backends.notify.start_invitations({"inviter": call.principal, "audience": audience}), "results")


def show_invitation_job(call: ApiCall, backends: Backends) -> dict:
    return as_list(backends.notify.get_invitation_job(
        {**call.query, "viewer": call.principal, "job_id": call.path["id"]}), "results")


def print_invitation(call: ApiCall, backends: Backends) -> bytes:
    invitation = backends.notify.issue_printable_invitation({"inviter": call.principal, "person_id": call.path["id"]})
    return printable_invitation_pdf(invitation)

"""Invitations and verification codes below the gateway: NotifyService and the real DirectoryService in
containers, identity standing in for its join tokens (what notify asks of it, page by page), a notify worker
process sending through the real SDKs to the provider sandbox. Room 5 as in notify_service_district."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from services.directory.service import DirectoryService
from services.notify.service import NotifyService
from shared.contracts import identity, notify
from shared.contracts.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from shared.messaging import rpc_endpoint
from tests.integration.notify.notify_service_district import (
    BEN_EMAIL,
    BEN_MOBILE,
    GINA_EMAIL,
    GINA_MOBILE,
    HAL_EMAIL,
    SHARED_PHONE,
    CredentialEventRecorder,
    GatewayStandIn,
    wait_until,
)
from tests.integration.notify.test_notify_service_announcements import (  # noqa: F401 — fixtures
    config,
    provider_secrets,
    room,
    rpc,
    worker,
)
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    module_receiver,
    receiver,
    sandbox,
    sandbox_process,
)

pytestmark = pytest.mark.postgres

JOIN_BASE_URL = "https://school.example.org"


class IdentityStandIn:
    """identity's join tokens as notify sees them: a fresh token per call, joined people refused."""

    name = identity.NAME
    calls: list[list[str]] = []
    joined: set[str] = set()
    _numbers = itertools.count(1)

    @rpc_endpoint(identity.issue_join_tokens)
    def issue_join_tokens(self, request: dict) -> dict:
        IdentityStandIn.calls.append(list(request["person_ids"]))
        expires = datetime.now(timezone.utc) + timedelta(days=identity.JOIN_TOKEN_DAYS)
        results = []
        for person_id in request["person_ids"]:
            if person_id in IdentityStandIn.joined:
                results.append({"person_id": person_id, "outcome": "joined"})
                continue
            number = next(IdentityStandIn._numbers)
            results.append({"person_id": person_id, "outcome": identity.JOIN_TOKEN_ISSUED,
                            "token": f"token-{number}", "join_code": f"CODE-{number:04d}", "expires_at": expires})
        return {"results": results}


@pytest.fixture
def services(container_factory, config, provider_secrets, monkeypatch):  # noqa: F811 — this module's stack
    monkeypatch.setenv("JOIN_BASE_URL", JOIN_BASE_URL)
    CredentialEventRecorder.received, IdentityStandIn.calls, IdentityStandIn.joined = [], [], set()
    IdentityStandIn._numbers = itertools.count(1)
    for service in (DirectoryService, NotifyService, CredentialEventRecorder, IdentityStandIn):
        container_factory(service, config).start()


def emails_to(sandbox, address: str) -> list[dict]:
    return [message for message in sandbox.messages(channel="email", to=address) if message["status"] != "refused"]


def report(rpc, room, communication_id: str) -> dict:  # noqa: F811
    return rpc(notify.contract).get_delivery_report(viewer=room.district_admin, communication_id=communication_id)


def test_an_invitation_to_one_guardian_is_an_email_with_the_district_name_and_her_own_join_link(
        rpc, room, sandbox, worker):
    notify_rpc = rpc(notify.contract)

    result = notify_rpc.send_invitation(inviter=room.tess, person_id=room.ids["gina"])

    assert (result["outcome"], result["channel"]) == ("invited", "email")
    wait_until(lambda: emails_to(sandbox, GINA_EMAIL), what="Gina's invitation email")
    [email] = emails_to(sandbox, GINA_EMAIL)
    assert email["subject"] == "Your invitation to join Lincoln USD"
    assert f"{JOIN_BASE_URL}/join?token=token-1" in email["body"] and "CODE-0001" in email["body"]
    wait_until(lambda: report(rpc, room, result["communication_id"])["state"] == "completed",
               what="the invitation to complete")
    lines = report(rpc, room, result["communication_id"])["lines"]
    assert [(line["channel"], line["status"]) for line in lines] == [("email", "sent")]


def test_resending_sends_a_new_token_and_a_joined_or_unreachable_person_is_refused_with_why(
        rpc, room, sandbox, worker):
    notify_rpc = rpc(notify.contract)
    notify_rpc.send_invitation(inviter=room.tess, person_id=room.ids["gina"])
    notify_rpc.send_invitation(inviter=room.tess, person_id=room.ids["gina"])

    wait_until(lambda: len(emails_to(sandbox, GINA_EMAIL)) == 2, what="both invitations")
    assert ["token-1" in m["body"] for m in emails_to(sandbox, GINA_EMAIL)].count(True) == 1
    assert ["token-2" in m["body"] for m in emails_to(sandbox, GINA_EMAIL)].count(True) == 1
    with pytest.raises(Conflict) as joined:
        notify_rpc.send_invitation(inviter=room.tess, person_id=room.ids["ivy"])
    assert joined.value.fields == {"person_id": ["joined"]}
    with pytest.raises(Conflict) as not_enabled:
        notify_rpc.send_invitation(inviter=room.tess, person_id=room.ids["ana"])
    assert not_enabled.value.fields == {"person_id": ["not_enabled"]}
    with pytest.raises(NotFound):
        notify_rpc.send_invitation(inviter=room.tess, person_id="f" * 32)
    with pytest.raises(NotFound) as other_district:
        notify_rpc.send_invitation(inviter={**room.district_admin, "district_id": "another-district"},
                                   person_id=room.ids["hal"])
    assert other_district.value.fields == {"person_id": ["no person with this id"]}
    assert IdentityStandIn.calls == [[room.ids["gina"]], [room.ids["gina"]]]  # no token for the refused


def test_a_classroom_invitation_job_invites_who_has_not_joined_by_rows_I1_I2_and_says_why_for_the_rest(
        rpc, room, sandbox, worker):
    notify_rpc = rpc(notify.contract)

    started = notify_rpc.start_invitations(inviter=room.tess, audience={
        "classroom_id": room.classroom_id, "kinds": ["guardian", "student"]})

    assert (started["state"], started["total"]) == ("running", 7)
    wait_until(lambda: notify_rpc.get_invitation_job(viewer=room.tess, job_id=started["job_id"])["state"]
               == "completed", what="the invitation job")
    job = notify_rpc.get_invitation_job(viewer=room.tess, job_id=started["job_id"])
    results = {room.person(row["person_id"]): (row["outcome"], row["channel"] or row["reason"])
               for row in job["results"]}
    assert results == {
        "gina": ("invited", "email"), "hal": ("invited", "email"),  # I1: email first, whatever the preference
        "dana": ("invited", "sms"), "dennis": ("invited", "sms"),  # I1: no email, a good mobile
        "ben": ("invited", "email"),  # I2
        "ivy": ("skipped", "joined"), "ana": ("skipped", "not_enabled"),  # I3
    }
    assert (job["processed"], job["counts"]["invited"], job["counts"]["skipped"]) == (7, 5, 2)
    with pytest.raises(NotFound):  # only who asked, and the district's administrators, read a job
        notify_rpc.get_invitation_job(viewer=room.principal("gina", identity.GUARDIAN), job_id=started["job_id"])
    assert notify_rpc.get_invitation_job(viewer=room.district_admin, job_id=started["job_id"],
                                         outcome="skipped")["results"] == [
        row for row in job["results"] if row["outcome"] == "skipped"]
    assert len(IdentityStandIn.calls) == 1 and len(IdentityStandIn.calls[0]) == 5  # one page, one call
    wait_until(lambda: len(sandbox.messages(channel="sms", to=SHARED_PHONE)) == 2, what="two SMS on one phone")
    texts = sorted(message["body"] for message in sandbox.messages(channel="sms", to=SHARED_PHONE))
    assert texts[0].startswith("For Dana: Lincoln USD invites you to join: https://school.example.org/join?token=")
    assert texts[1].startswith("For Dennis: ")
    wait_until(lambda: all(emails_to(sandbox, address) for address in (GINA_EMAIL, HAL_EMAIL, BEN_EMAIL)),
               what="three invitation emails")


def test_a_teacher_cannot_invite_a_whole_school_and_a_classroom_has_no_staff_to_invite(rpc, room):
    notify_rpc = rpc(notify.contract)

    with pytest.raises(PermissionDenied):
        notify_rpc.start_invitations(inviter=room.tess, audience={"school_id": room.school_id, "kinds": ["guardian"]})
    with pytest.raises(InvalidRequest) as staff:
        notify_rpc.start_invitations(inviter=room.tess, audience={"classroom_id": room.classroom_id,
                                                                  "kinds": ["staff"]})
    assert staff.value.fields == {"audience": {"kinds": ["staff can be invited by school, not by classroom"]}}
    with pytest.raises(InvalidRequest) as empty:
        notify_rpc.start_invitations(inviter=room.tess, audience={"classroom_id": room.classroom_id, "kinds": []})
    assert "kinds" in empty.value.fields["audience"]
    with pytest.raises(NotFound):
        notify_rpc.start_invitations(inviter=room.tess, audience={"classroom_id": "f" * 32, "kinds": ["guardian"]})


def test_a_printable_invitation_issues_a_token_for_someone_without_any_credential(rpc, room):
    answer = rpc(notify.contract).issue_printable_invitation(inviter=room.district_admin, person_id=room.ids["dana"])

    assert (answer["given_name"], answer["family_name"], answer["district_name"]) == ("Dana", "Okafor", "Lincoln USD")
    assert answer["join_code"].startswith("CODE-") and answer["join_url"].startswith(f"{JOIN_BASE_URL}/join?token=")


def test_a_verification_code_goes_to_the_address_given_and_no_log_line_holds_it(rpc, room, sandbox, worker):
    expires = datetime.now(timezone.utc) + timedelta(minutes=10)

    queued = rpc(notify.contract).send_verification_code(
        person_id=room.ids["gina"], district_id=room.district_id, kind="email", address="gina.new@example.org",
        code="482913", expires_at=expires)

    assert queued["channel"] == "email"
    wait_until(lambda: emails_to(sandbox, "gina.new@example.org"), what="the code's email")
    [email] = emails_to(sandbox, "gina.new@example.org")
    assert "482913" in email["body"] and email["subject"] == "Your verification code"
    assert "482913" not in worker.log()


def test_a_bounced_invitation_email_falls_back_to_sms_with_the_same_link_but_never_for_a_student(
        rpc, room, sandbox, worker, receiver):
    notify_rpc = rpc(notify.contract)
    gateway = GatewayStandIn(receiver, notify_rpc)
    sandbox.add_rule(GINA_EMAIL, "hard_bounce")
    sandbox.add_rule(BEN_EMAIL, "hard_bounce")

    gina = notify_rpc.send_invitation(inviter=room.tess, person_id=room.ids["gina"])
    ben = notify_rpc.send_invitation(inviter=room.tess, person_id=room.ids["ben"])

    wait_until(lambda: gateway.forward() or sandbox.messages(channel="sms", to=GINA_MOBILE),
               what="the fallback SMS to Gina (F1)")
    [text] = sandbox.messages(channel="sms", to=GINA_MOBILE)
    assert text["body"].startswith("Lincoln USD invites you to join: https://school.example.org/join?token=token-1")
    wait_until(lambda: gateway.forward() or ("email", "failed") in {
        (line["channel"], line["status"]) for line in report(rpc, room, ben["communication_id"])["lines"]},
        what="Ben's invitation email to fail")
    lines = report(rpc, room, gina["communication_id"])["lines"]
    assert {(line["channel"], line["status"]) for line in lines} >= {("email", "fell_back")}
    assert sandbox.messages(channel="sms", to=BEN_MOBILE) == []  # I2: a student is never invited by SMS

"""Workers sending personal communications: each message composed from the person's own values, a code sent
to the address it verifies (bad or not, never opted out), and never a fallback for a code."""
from __future__ import annotations

from datetime import datetime, timezone

from services.notify.domain.delivery import (
    Channel,
    Communication,
    CredentialKind,
    CredentialState,
    DeliveryStatus,
    Outcome,
)
from services.notify.domain.messages import invitation_values, verification_values
from services.notify.queue.jobs import DeliveryJob
from services.notify.ports import CommunicationContent
from tests.unit.notify.planner_builders import make_recipient
from tests.unit.notify.test_job_processing import FakeChannel, FakeDeliveryStore, make_delivery, run

EXPIRES = datetime(2026, 12, 15, tzinfo=timezone.utc)
INVITATION = CommunicationContent("comm-1", "district-1", Communication.INVITATION, "Invitation to join Riverside",
                                  "an invitation", priority=False, with_call=False)
VERIFICATION = CommunicationContent("comm-1", "", Communication.VERIFICATION, "Verification code", "a code",
                                    priority=False, with_call=False)
LINK = invitation_values(district_name="Riverside", given_name="Dennis", join_url="https://x.example/join?token=t1",
                         join_code="ABCD-EFGH", expires_at=EXPIRES)
CODE = verification_values(code="482913", expires_at=EXPIRES)


def job(channel: Channel, *ids: str) -> DeliveryJob:
    return DeliveryJob("comm-1", channel, ids)


def test_each_invitation_carries_its_own_link():
    store = FakeDeliveryStore([make_delivery(id="d-1", personal=LINK),
                               make_delivery(id="d-2", person_id="p-2", address="b@example.org",
                                             personal={**LINK, "join_url": "https://x.example/join?token=t2"})],
                              communication=INVITATION)
    email = FakeChannel(Channel.EMAIL, store)

    run(store, job(Channel.EMAIL, "d-1", "d-2"), email)

    bodies = {message.delivery_id: message.body for message in email.sent}
    assert "token=t1" in bodies["d-1"] and "token=t2" in bodies["d-2"]
    assert {message.subject for message in email.sent} == {"Your invitation to join Riverside"}


def test_an_invitation_whose_values_are_gone_fails_unsent_without_a_fallback():
    store = FakeDeliveryStore([make_delivery(personal=None)], communication=INVITATION,
                              recipients=[make_recipient(person_id="person-1")])
    email, sms = FakeChannel(Channel.EMAIL, store), FakeChannel(Channel.SMS, store)

    summary = run(store, job(Channel.EMAIL, "d-1"), email, sms)

    assert (email.sent, summary.failed, summary.fell_back) == ([], 1, 0)
    assert store.status("d-1") is DeliveryStatus.FAILED


def test_a_verification_code_goes_to_a_bad_address_since_proving_it_is_the_reset():
    store = FakeDeliveryStore([make_delivery(personal=CODE)], communication=VERIFICATION)
    store.credentials[(CredentialKind.EMAIL, "dennis@example.org")] = (CredentialState.BAD, "bounced", 0)
    email = FakeChannel(Channel.EMAIL, store)

    run(store, job(Channel.EMAIL, "d-1"), email)

    [message] = email.sent
    assert "482913" in message.body and message.to == "dennis@example.org"


def test_a_verification_code_never_goes_to_an_opted_out_mobile():
    store = FakeDeliveryStore([make_delivery(channel=Channel.SMS, address="+15555550101", personal=CODE)],
                              communication=VERIFICATION)
    store.credentials[(CredentialKind.MOBILE_PHONE, "+15555550101")] = (CredentialState.OPTED_OUT, "STOP", 0)
    sms = FakeChannel(Channel.SMS, store)

    run(store, job(Channel.SMS, "d-1"), sms)

    assert sms.sent == [] and store.status("d-1") is DeliveryStatus.FAILED


def test_a_bounced_verification_code_does_not_fall_back_to_another_channel():
    store = FakeDeliveryStore([make_delivery(personal=CODE)], communication=VERIFICATION,
                              recipients=[make_recipient(person_id="person-1")])
    email = FakeChannel(Channel.EMAIL, store, outcomes={"dennis@example.org": Outcome.HARD_BOUNCE})

    summary = run(store, job(Channel.EMAIL, "d-1"), email, FakeChannel(Channel.SMS, store))

    assert (summary.failed, summary.fell_back) == (1, 0)

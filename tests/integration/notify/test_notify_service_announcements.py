"""Announcements end to end below the gateway: NotifyService and the real DirectoryService in containers on
one vhost, a notify worker process sending through the real SDKs to the provider sandbox, and the sandbox's
webhooks handed back to notify as the gateway will hand them."""
from __future__ import annotations

import pytest

from services.notify.service import NotifyService
from services.directory.service import DirectoryService
from services.sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_SENDGRID_API_KEY
from shared.contracts import notify
from shared.messaging import cluster_rpc
from tests.integration.notify.notify_service_district import (
    BEN_MOBILE,
    GINA_EMAIL,
    GINA_MOBILE,
    HAL_EMAIL,
    HAL_MOBILE,
    IVY_EMAIL,
    OUR_NUMBER,
    SHARED_PHONE,
    BEN_EMAIL,
    ANA_EMAIL,
    CredentialEventRecorder,
    GatewayStandIn,
    build_classroom,
    wait_until,
)
from tests.integration.notify.worker_processes import worker_pool
from tests.integration.sandbox.sandbox_harness import (  # noqa: F401 — fixtures
    module_receiver,
    receiver,
    sandbox,
    sandbox_process,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def config(rabbit_config, migrated_pg_url):
    return {**rabbit_config, "DATABASES": {"directory": migrated_pg_url("directory"),
                                           "notify": migrated_pg_url("notify")}, "max_workers": 10}


@pytest.fixture
def provider_secrets(monkeypatch, sandbox_process):
    """notify reads these in setup(): the sandbox's Twilio token, its SendGrid (Reset Status lifts suppressions
    there) and its Event Webhook key."""
    for name, value in {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
                        "TWILIO_FROM_NUMBER": OUR_NUMBER, "SENDGRID_API_KEY": DEFAULT_SENDGRID_API_KEY,
                        "SENDGRID_FROM_EMAIL": "school@example.org", "SENDGRID_API_BASE": sandbox_process.base_url,
                        "SENDGRID_WEBHOOK_PUBLIC_KEY": sandbox_process.client.sendgrid_public_key()}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def services(container_factory, config, provider_secrets):
    CredentialEventRecorder.received = []
    for service in (DirectoryService, NotifyService, CredentialEventRecorder):
        container_factory(service, config).start()


@pytest.fixture
def rpc(config, services):
    with cluster_rpc(config["AMQP_URI"], timeout=60) as rpc:
        yield rpc


@pytest.fixture
def worker(config, sandbox, sandbox_process, receiver, tmp_path):
    with worker_pool(config["AMQP_URI"], config["DATABASES"]["notify"], sandbox_process.base_url, tmp_path,
                     NOTIFY_WEBHOOK_BASE_URL=receiver.base_url) as start:
        running = start("worker")
        yield running
        assert running.terminate() == 0, running.log()


@pytest.fixture
def room(rpc, config, services):
    return build_classroom(rpc, config)


@pytest.fixture
def gateway(receiver, rpc):
    return GatewayStandIn(receiver, rpc(notify.contract))


def announce(rpc, room, *, priority: bool = False, body: str = "School is closed today.") -> str:
    answer = rpc(notify.contract).send_announcement(sender=room.tess, audience={"classroom_id": room.classroom_id},
                                                    subject="Snow day", body=body, priority=priority)
    assert answer["state"] == "planning" and answer["recipient_count"] == 7
    return answer["communication_id"]


def report(rpc, room, communication_id: str) -> dict:
    return rpc(notify.contract).get_delivery_report(viewer=room.tess, communication_id=communication_id,
                                                    per_page=100)


def wait_until_completed(rpc, room, communication_id: str, gateway: GatewayStandIn | None = None) -> dict:
    def completed() -> bool:
        if gateway is not None:
            gateway.forward()
        return report(rpc, room, communication_id)["state"] == "completed"

    wait_until(completed, what=f"communication {communication_id} to complete")
    return report(rpc, room, communication_id)


def sent_to(sandbox, channel: str, to: str) -> list[str]:
    return [message["body"] for message in sandbox.messages(channel=channel, to=to) if message["status"] != "refused"]


def lines_of(room, report_: dict) -> set[tuple[str, str, str, str | None]]:
    return {(room.person(line["person_id"]), line["channel"], line["status"], line["reason"])
            for line in report_["lines"]}


def test_an_announcement_to_a_classroom_reaches_each_guardian_by_their_preference_and_the_report_shows_it(
        rpc, room, sandbox, worker):
    communication_id = announce(rpc, room)
    done = wait_until_completed(rpc, room, communication_id)

    assert sorted(message["to"] for message in sandbox.messages(channel="email")) == sorted([GINA_EMAIL, BEN_EMAIL])
    assert sent_to(sandbox, "sms", HAL_MOBILE) == ["School is closed today."]
    assert sandbox.messages(channel="sms", to=GINA_MOBILE) == sandbox.messages(to=ANA_EMAIL) == []
    assert sandbox.messages(to=IVY_EMAIL) == sandbox.messages(channel="sms", to=BEN_MOBILE) == []
    assert lines_of(room, done) == {
        ("gina", "email", "sent", None), ("hal", "sms", "sent", None),
        ("dana", "sms", "sent", None), ("dennis", "sms", "sent", None),
        ("dana", "email", "skipped", "no_email"), ("dennis", "email", "skipped", "no_email"),
        ("ben", "email", "sent", None), ("ben", "sms", "skipped", "student_sms_not_allowed"),
        ("ivy", "app", "delivered", None), ("ivy", "email", "skipped", "app_only_preference"),
        ("ivy", "sms", "skipped", "app_only_preference"),
    }
    assert done["counts"]["app"] == {"delivered": 1} and done["unreachable"] == 1  # Ivy, by her own choice


def test_where_the_district_defaults_to_sms_a_student_who_never_chose_gets_email_only_and_a_guardian_an_sms(
        rpc, room, sandbox, worker):
    rpc(notify.contract).set_district_default(district_id=room.district_id, default_preference="sms_app",
                                              changed_by=room.district_admin["person_id"])

    done = wait_until_completed(rpc, room, announce(rpc, room))

    # Ben, an enabled student with an email and a mobile, never chose: Email+app, whatever the district says.
    assert sent_to(sandbox, "email", BEN_EMAIL) == ["School is closed today."]
    assert sandbox.messages(channel="sms", to=BEN_MOBILE) == []
    # Gina, a guardian who never chose, has the district's SMS+app.
    assert sent_to(sandbox, "sms", GINA_MOBILE) == ["School is closed today."]
    assert sandbox.messages(channel="email", to=GINA_EMAIL) == []
    assert {("ben", "email", "sent", None), ("ben", "sms", "skipped", "student_sms_not_allowed"),
            ("gina", "sms", "sent", None)} <= lines_of(room, done)
    assert not {line for line in lines_of(room, done) if line[0] == "gina" and line[1] == "email"}


def test_a_phone_shared_by_two_guardians_gets_an_sms_for_each_named_for_them(rpc, room, sandbox, worker):
    wait_until_completed(rpc, room, announce(rpc, room))

    assert sorted(sent_to(sandbox, "sms", SHARED_PHONE)) == ["For Dana: School is closed today.",
                                                             "For Dennis: School is closed today."]


def test_a_priority_announcement_reaches_an_enabled_student_by_sms_despite_email_and_app(rpc, room, sandbox, worker):
    wait_until_completed(rpc, room, announce(rpc, room))
    assert sent_to(sandbox, "sms", BEN_MOBILE) == []

    wait_until_completed(rpc, room, announce(rpc, room, priority=True, body="Lockdown drill at 10."))

    assert sent_to(sandbox, "sms", BEN_MOBILE) == ["Lockdown drill at 10."]
    assert sent_to(sandbox, "email", IVY_EMAIL) == ["Lockdown drill at 10."]  # priority overrides App only


def test_a_bounce_marks_the_email_bad_falls_back_to_sms_and_sms_is_used_until_reset_status(
        rpc, room, sandbox, worker, gateway):
    sandbox.add_rule(GINA_EMAIL, "hard_bounce", times=1)
    notify_rpc, gina = rpc(notify.contract), room.ids["gina"]

    first = announce(rpc, room, body="First.")
    wait_until(lambda: gateway.forward() or sent_to(sandbox, "sms", GINA_MOBILE) == ["First."],
               what="the bounce to turn into an SMS to Gina")
    [email] = notify_rpc.get_credential_health(person_ids=[gina])["credentials"][:1]
    assert (email["kind"], email["state"]) == ("email", "bad") and "address bounced" in email["reason"]
    first_report = wait_until_completed(rpc, room, first, gateway)
    gina_lines = {line["channel"]: line for line in first_report["lines"] if line["person_id"] == gina}
    assert gina_lines["email"]["status"] == "fell_back"
    assert gina_lines["sms"]["fallback_of"] is not None
    assert gina_lines["sms"]["status"] in ("sent", "delivered")  # delivered once Twilio's callback is in
    assert {"kind": "email", "address": GINA_EMAIL, "state": "bad"}.items() <= \
        CredentialEventRecorder.received[0].items()

    wait_until_completed(rpc, room, announce(rpc, room, body="Second."), gateway)
    assert sent_to(sandbox, "sms", GINA_MOBILE) == ["First.", "Second."]
    assert len(sandbox.messages(channel="email", to=GINA_EMAIL)) == 1

    reset = notify_rpc.reset_credential_status(person_id=gina, kind="email", reset_by=room.ids["tess"],
                                               reason="Gina fixed her mailbox")
    assert (reset["previous_state"], reset["state"]) == ("bad", "good")
    assert reset["provider_suppressions"] == {"lifted": ["bounces"], "kept": []}  # the retry is not dropped
    wait_until(lambda: CredentialEventRecorder.received[-1]["state"] == "good", what="the reset's event")

    third = announce(rpc, room, body="Third.")
    wait_until(lambda: len(sandbox.messages(channel="email", to=GINA_EMAIL)) == 2,
               what="the next announcement to go to Gina by email again")
    third_lines = {line["channel"] for line in report(rpc, room, third)["lines"] if line["person_id"] == gina}
    assert "email" in third_lines and sent_to(sandbox, "sms", GINA_MOBILE) == ["First.", "Second."]


def test_stop_opts_the_number_out_and_a_priority_sms_to_it_is_skipped(rpc, room, sandbox, worker, gateway):
    sandbox.send_inbound_sms(HAL_MOBILE, OUR_NUMBER, "STOP")
    wait_until(lambda: gateway.forward() or CredentialEventRecorder.received,
               what="notify to hear that Hal texted STOP")
    assert CredentialEventRecorder.received == [{"kind": "mobile_phone", "address": HAL_MOBILE, "state": "opted_out",
                                                 "reason": "recipient texted STOP"}]
    # Stored on Twilio's request (accepted), applied by the inbound batch right after it.
    assert gateway.answers == [{"accepted": True, "applied": 0}]

    done = wait_until_completed(rpc, room, announce(rpc, room, priority=True, body="Early dismissal."), gateway)

    assert sent_to(sandbox, "sms", HAL_MOBILE) == []
    assert sent_to(sandbox, "email", HAL_EMAIL) == ["Early dismissal."]
    assert ("hal", "sms", "skipped", "mobile_opted_out") in lines_of(room, done)

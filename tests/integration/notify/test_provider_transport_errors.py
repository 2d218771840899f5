"""When the provider is down, slow or failing, every message of the batch is TRANSIENT and nothing raises."""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from services.notify.adapters.providers import (
    ProviderSettings,
    SendGridEmail,
    SendGridSettings,
    TwilioSettings,
    TwilioSms,
)
from services.notify.domain.delivery import Channel, OutboundMessage, Outcome
from services.sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from tests.integration.sandbox.sandbox_harness import FROM_EMAIL, FROM_NUMBER, WebhookReceiver

MESSAGES_PATH = f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"


def settings_for(base_url: str, timeout: float = 5.0) -> ProviderSettings:
    return ProviderSettings(
        twilio=TwilioSettings(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, from_number=FROM_NUMBER, api_base=base_url),
        sendgrid=SendGridSettings("SG.key", from_email=FROM_EMAIL, api_base=base_url),
        timeout_seconds=timeout,
    )


def sms_batch(size: int) -> list[OutboundMessage]:
    return [OutboundMessage(f"s-{n}", Channel.SMS, f"+1555555{n:04d}", "Bus 12 is running late.") for n in range(size)]


def email_batch(size: int) -> list[OutboundMessage]:
    return [OutboundMessage(f"e-{n}", Channel.EMAIL, f"g{n}@example.org", "Body", "Subject") for n in range(size)]


def send_sms(settings: ProviderSettings, messages: list[OutboundMessage]):
    channel = TwilioSms(settings)
    try:
        return channel.send(messages)
    finally:
        channel.close()


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_server_url() -> Iterator[str]:
    """Accepts connections (the kernel's backlog does) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def failing_provider() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


def assert_all_transient(receipts, messages, first_code: str) -> None:
    assert sorted(r.delivery_id for r in receipts) == sorted(m.delivery_id for m in messages)
    assert {r.outcome for r in receipts} == {Outcome.TRANSIENT}
    assert {r.provider_code for r in receipts} == {first_code}


def test_sms_to_a_refused_connection_is_transient_for_the_whole_batch(closed_port_url):
    messages = sms_batch(5)

    receipts = send_sms(settings_for(closed_port_url), messages)

    assert_all_transient(receipts, messages, "transport")
    assert all(r.reason.startswith("not attempted") for r in receipts[1:])


def test_email_to_a_refused_connection_is_transient_for_every_request(closed_port_url):
    messages = email_batch(1500)

    receipts = SendGridEmail(settings_for(closed_port_url)).send(messages)

    assert_all_transient(receipts, messages, "transport")


def test_a_provider_that_never_answers_costs_one_timeout_not_one_per_message(silent_server_url):
    messages = sms_batch(20)

    started = time.monotonic()
    receipts = send_sms(settings_for(silent_server_url, timeout=0.5), messages)
    elapsed = time.monotonic() - started

    assert_all_transient(receipts, messages, "transport")
    assert elapsed < 5.0


def test_email_to_a_provider_that_never_answers_is_transient(silent_server_url):
    messages = email_batch(3)

    receipts = SendGridEmail(settings_for(silent_server_url, timeout=0.5)).send(messages)

    assert_all_transient(receipts, messages, "transport")


@pytest.mark.parametrize("status", [500, 503, 429])
def test_sms_answered_with_5xx_or_throttling_stops_the_batch_as_transient(failing_provider, status):
    failing_provider.fail_next(MESSAGES_PATH, times=100, status=status)
    messages = sms_batch(4)

    receipts = send_sms(settings_for(failing_provider.base_url), messages)

    assert_all_transient(receipts, messages, str(status))
    assert len(failing_provider.received(MESSAGES_PATH)) == 1


def test_email_answered_with_503_is_transient_and_later_requests_are_not_attempted(failing_provider):
    failing_provider.fail_next("/v3/mail/send", times=100, status=503)
    messages = email_batch(2500)

    receipts = SendGridEmail(settings_for(failing_provider.base_url)).send(messages)

    assert_all_transient(receipts, messages, "503")
    assert len(failing_provider.received("/v3/mail/send")) == 1


def test_a_rejected_sendgrid_key_is_transient_never_a_bounce(failing_provider):
    failing_provider.fail_next("/v3/mail/send", times=1, status=401)
    messages = email_batch(3)

    receipts = SendGridEmail(settings_for(failing_provider.base_url)).send(messages)

    assert_all_transient(receipts, messages, "401")

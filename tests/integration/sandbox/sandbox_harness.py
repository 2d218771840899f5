"""What provider tests share: the sandbox in a child process and a webhook receiver in this one.

Import the fixtures into a test module (`from tests.integration.sandbox.sandbox_harness import
sandbox, receiver`) to use them; both clean up after themselves.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from requests.structures import CaseInsensitiveDict

from services.notify.adapters.providers import ProviderSettings, SendGridSettings, TwilioSettings
from services.notify.adapters.webhooks import (
    SENDGRID_EVENTS_PATH,
    TWILIO_INBOUND_PATH,
    TWILIO_STATUS_PATH,
    parse_sendgrid_events,
    parse_twilio_inbound,
    parse_twilio_status,
)
from services.notify.domain.delivery import Outcome
from services.notify.domain.outcomes import DeliveryReport, InboundSms
from services.sandbox.client import SandboxClient
from services.sandbox.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_SENDGRID_API_KEY
from services.sandbox.process import SandboxProcess, running_sandbox
from shared.provider_signatures import (
    SENDGRID_SIGNATURE_HEADER,
    SENDGRID_TIMESTAMP_HEADER,
    TWILIO_SIGNATURE_HEADER,
    verify_sendgrid,
    verify_twilio,
)

WAIT_SECONDS = 10.0
FROM_NUMBER = "+15005550006"
FROM_EMAIL = "announcements@lincoln-district.example.org"


@dataclass(frozen=True)
class ReceivedWebhook:
    path: str
    url: str  # as the sender called it, which is what Twilio signs
    headers: CaseInsensitiveDict
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


class WebhookReceiver:
    """A loopback HTTP server that keeps every POST; it can answer the first few with an error."""

    def __init__(self) -> None:
        receiver = self
        self._lock = threading.Lock()
        self._received: list[ReceivedWebhook] = []
        self._failures_left: dict[str, tuple[int, int]] = {}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.partition("?")[0]
                status = receiver._take_failure(path)
                receiver._keep(ReceivedWebhook(path, f"http://{self.headers['Host']}{self.path}",
                                               CaseInsensitiveDict(self.headers.items()), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def fail_next(self, path: str, times: int, status: int = 500) -> None:
        with self._lock:
            self._failures_left[path] = (times, status)

    def _take_failure(self, path: str) -> int:
        with self._lock:
            times, status = self._failures_left.get(path, (0, 200))
            if times <= 0:
                return 200
            self._failures_left[path] = (times - 1, status)
            return status

    def _keep(self, webhook: ReceivedWebhook) -> None:
        with self._lock:
            self._received.append(webhook)

    def received(self, path: str | None = None) -> list[ReceivedWebhook]:
        with self._lock:
            return [w for w in self._received if path is None or w.path == path]

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._failures_left.clear()

    def wait_for(self, condition: Callable[[list[ReceivedWebhook]], bool], path: str | None = None,
                 timeout: float = WAIT_SECONDS) -> list[ReceivedWebhook]:
        """The webhooks on `path` once `condition` holds for them; fails the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            webhooks = self.received(path)
            if condition(webhooks):
                return webhooks
            if time.monotonic() > deadline:
                pytest.fail(f"webhooks on {path} never met the condition; got {len(webhooks)}: "
                            f"{[w.body[:200] for w in webhooks]}")
            time.sleep(0.05)


SANDBOX_ENV = {
    "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
    "SENDGRID_API_KEY": DEFAULT_SENDGRID_API_KEY,
    "SANDBOX_EVENT_FLUSH_SECONDS": "0.05",
}


@pytest.fixture(scope="module")
def sandbox_process() -> Iterator[SandboxProcess]:
    with running_sandbox(SANDBOX_ENV) as process:
        yield process


@pytest.fixture(scope="module")
def module_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def receiver(module_receiver: WebhookReceiver) -> WebhookReceiver:
    module_receiver.clear()
    return module_receiver


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess, receiver: WebhookReceiver) -> SandboxClient:
    """A forgetful sandbox whose SendGrid events and inbound SMS go to `receiver`."""
    client = sandbox_process.client
    client.reset()
    client.configure(sendgrid_events_url=receiver.base_url + SENDGRID_EVENTS_PATH,
                     twilio_inbound_url=receiver.base_url + TWILIO_INBOUND_PATH)
    return client


@pytest.fixture
def provider_settings(sandbox_process: SandboxProcess, receiver: WebhookReceiver) -> ProviderSettings:
    """notify's providers pointed at the sandbox, with status callbacks to `receiver`."""
    base = sandbox_process.base_url
    return ProviderSettings(
        twilio=TwilioSettings(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, from_number=FROM_NUMBER, api_base=base),
        sendgrid=SendGridSettings(DEFAULT_SENDGRID_API_KEY, from_email=FROM_EMAIL, api_base=base),
        webhook_base_url=receiver.base_url,
        timeout_seconds=5.0,
    )


def twilio_status_reports(webhooks: list[ReceivedWebhook]) -> list[DeliveryReport]:
    """Each callback verified as notify will verify it, then parsed; fails on a bad signature."""
    reports = []
    for webhook in webhooks:
        assert verify_twilio(webhook.url, webhook.form, webhook.headers.get(TWILIO_SIGNATURE_HEADER),
                             DEFAULT_AUTH_TOKEN), f"bad Twilio signature on {webhook.url}"
        report = parse_twilio_status(webhook.url, webhook.form)
        if report is not None:
            reports.append(report)
    return reports


def inbound_messages(webhooks: list[ReceivedWebhook]) -> list[InboundSms]:
    for webhook in webhooks:
        assert verify_twilio(webhook.url, webhook.form, webhook.headers.get(TWILIO_SIGNATURE_HEADER),
                             DEFAULT_AUTH_TOKEN), "bad Twilio signature on an inbound SMS"
    return [parse_twilio_inbound(webhook.form) for webhook in webhooks]


def sendgrid_reports(webhooks: list[ReceivedWebhook], public_key: str) -> list[DeliveryReport]:
    reports = []
    for webhook in webhooks:
        assert verify_sendgrid(webhook.body, webhook.headers.get(SENDGRID_SIGNATURE_HEADER),
                               webhook.headers.get(SENDGRID_TIMESTAMP_HEADER), public_key), "bad SendGrid signature"
        reports.extend(parse_sendgrid_events(webhook.body))
    return reports


def _final_reports_for(delivery_ids: set[str], reports: list[DeliveryReport]) -> list[DeliveryReport]:
    return [r for r in reports if r.delivery_id in delivery_ids and r.outcome is not Outcome.ACCEPTED]


def final_twilio_reports(receiver: WebhookReceiver, delivery_ids: set[str]) -> list[DeliveryReport]:
    """Verified, parsed status callbacks that end these deliveries, once every one has at least one."""
    def finals(webhooks: list[ReceivedWebhook]) -> list[DeliveryReport]:
        return _final_reports_for(delivery_ids, twilio_status_reports(webhooks))

    webhooks = receiver.wait_for(lambda got: {r.delivery_id for r in finals(got)} == delivery_ids, TWILIO_STATUS_PATH)
    return finals(webhooks)


def final_sendgrid_reports(receiver: WebhookReceiver, public_key: str, delivery_ids: set[str],
                           events: int | None = None) -> list[DeliveryReport]:
    """Verified, parsed events that end these deliveries; `events` waits for that many in all."""
    def finals(webhooks: list[ReceivedWebhook]) -> list[DeliveryReport]:
        return _final_reports_for(delivery_ids, sendgrid_reports(webhooks, public_key))

    def complete(webhooks: list[ReceivedWebhook]) -> bool:
        reports = finals(webhooks)
        return {r.delivery_id for r in reports} == delivery_ids and (events is None or len(reports) >= events)

    return finals(receiver.wait_for(complete, SENDGRID_EVENTS_PATH))

"""The sandbox's memory: configuration, rules, recorded messages, signing key, webhook targets.

API handlers read and change it and answer with an ApiAnswer; the HTTP layer
writes the answer and hands its webhooks to the dispatcher. Nothing here does I/O.
"""
from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field

from services.sandbox.config import SandboxConfig
from services.sandbox.outbox import OutgoingRequest
from services.sandbox.recording import MessageLog
from services.sandbox.rules import RuleBook, normalise_address
from services.sandbox.signing import signing_key

# The number a recipient sees when nothing better is known (Twilio's magic test number).
DEFAULT_SENDER_NUMBER = "+15005550006"


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    callbacks: list[OutgoingRequest] = field(default_factory=list)  # Twilio webhooks to post now
    events: list[dict] = field(default_factory=list)  # SendGrid events for the next batch


def json_answer(status: int, payload: object, **extra: object) -> ApiAnswer:
    return ApiAnswer(status, json.dumps(payload).encode(), {"Content-Type": "application/json"}, **extra)


def json_object(raw: bytes) -> dict | None:
    """A control request's JSON body (empty means {}); None when it is not a JSON object."""
    try:
        payload = json.loads(raw or b"{}")
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def seconds_up_to(given: object, most: float) -> float | None:
    """A number of seconds from 0 to `most` as a control request gave it; None otherwise (JSON true is no number)."""
    if isinstance(given, bool) or not isinstance(given, (int, float)) or not 0 <= given <= most:
        return None
    return float(given)


def new_sid(prefix: str) -> str:
    """Twilio's shape: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.rules = RuleBook()
        self.log = MessageLog()
        self.signing_key = signing_key(config.sendgrid_signing_key_pem)
        self._lock = threading.Lock()
        self._sendgrid_events_url = config.sendgrid_events_url
        self._twilio_inbound_url = config.twilio_inbound_url
        self._last_sender: dict[str, str] = {}
        self.inbound_sms_count = 0
        self.connections_accepted = 0  # TCP connections since start, reset or not: keep-alive shows as few
        self.provider_latency_seconds = 0.0  # how long each Twilio create and SendGrid send takes to answer

    @property
    def sendgrid_events_url(self) -> str | None:
        with self._lock:
            return self._sendgrid_events_url

    @property
    def twilio_inbound_url(self) -> str | None:
        with self._lock:
            return self._twilio_inbound_url

    def configure(self, *, sendgrid_events_url: str | None = None, twilio_inbound_url: str | None = None) -> None:
        """Targets can change at run time: a test starts its receiver after the sandbox."""
        with self._lock:
            if sendgrid_events_url is not None:
                self._sendgrid_events_url = sendgrid_events_url or None
            if twilio_inbound_url is not None:
                self._twilio_inbound_url = twilio_inbound_url or None

    def targets(self) -> dict[str, str | None]:
        with self._lock:
            return {"sendgrid_events_url": self._sendgrid_events_url,
                    "twilio_inbound_url": self._twilio_inbound_url}

    def remember_sender(self, to: str, from_: str) -> None:
        with self._lock:
            self._last_sender[normalise_address(to)] = from_

    def sender_for(self, to: str) -> str:
        """The number an inbound reply goes to: whoever last texted this recipient."""
        with self._lock:
            return self._last_sender.get(normalise_address(to), DEFAULT_SENDER_NUMBER)

    def count_connection(self) -> None:
        with self._lock:
            self.connections_accepted += 1

    def count_inbound(self) -> None:
        with self._lock:
            self.inbound_sms_count += 1

    def reset(self) -> None:
        self.rules.clear()
        self.log.clear()
        with self._lock:
            self._last_sender.clear()
            self.inbound_sms_count = 0
            self.provider_latency_seconds = 0.0

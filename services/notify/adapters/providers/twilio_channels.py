"""SMS and voice through the real twilio SDK: one API call per message, receipts for all.

A refusal (TwilioRestException with a Twilio error code) is classified by the
outcomes table for that message alone. When the provider cannot be reached,
times out, answers 5xx or throttles us, that message and the rest of the batch
are TRANSIENT without further attempts: the worker retries them with backoff,
and a dead provider does not cost a timeout per message.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.rest import Client

from services.notify.adapters.providers.settings import ProviderSettings, TwilioSettings
from services.notify.adapters.providers.twilio_http import RebasedTwilioHttpClient
from services.notify.adapters.webhooks import TWILIO_STATUS_PATH
from services.notify.domain.delivery import Answered, Channel, OutboundMessage, Outcome, ProviderReceipt
from services.notify.domain.outcomes import twilio_error_outcome

SMS_BATCH = 100
VOICE_BATCH = 100
UNAVAILABLE_STATUSES = frozenset({429})


def _refusal(message: OutboundMessage, error: TwilioRestException | TwilioServiceException,
             ) -> tuple[ProviderReceipt, bool]:
    """The receipt, and whether the provider itself is unavailable (5xx, throttling)."""
    status = int(error.status or 0)
    code = str(error.code) if error.code is not None else str(status)
    if status >= 500 or status in UNAVAILABLE_STATUSES:
        return ProviderReceipt(message.delivery_id, Outcome.TRANSIENT, provider_code=code,
                               reason=f"provider answered HTTP {status}"), True
    row = twilio_error_outcome(error.code)
    return ProviderReceipt(message.delivery_id, row.outcome, provider_code=code, reason=row.reason), False


class _TwilioChannel:
    channel: Channel
    max_batch: int

    def __init__(self, settings: ProviderSettings) -> None:
        if settings.twilio is None:
            raise ValueError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
        self._twilio: TwilioSettings = settings.twilio
        self._settings = settings
        self._http = RebasedTwilioHttpClient(self._twilio.api_base, timeout=settings.timeout_seconds)
        # Built once per channel, so once per worker process: the SDK's client, its keep-alive pool and
        # the account's resource lists (their first use imports a good part of the SDK).
        self._client = Client(self._twilio.account_sid, self._twilio.auth_token, http_client=self._http)
        self._messages = self._client.messages
        self._calls = self._client.calls

    def close(self) -> None:
        self._http.close()

    def _check(self, messages: Sequence[OutboundMessage]) -> None:
        wrong = [m.delivery_id for m in messages if m.channel is not self.channel]
        if wrong:
            raise ValueError(f"{type(self).__name__} sends {self.channel} only; not deliveries {wrong[:5]}")

    def _send_each(self, messages: Sequence[OutboundMessage], create: Callable[[OutboundMessage], str],
                   answered: Answered | None) -> list[ProviderReceipt]:
        self._check(messages)
        receipts: list[ProviderReceipt] = []
        for position, message in enumerate(messages):
            receipt, provider_unavailable = self._attempt(message, create)
            receipts.append(receipt)
            if answered is not None:
                answered([receipt])
            if provider_unavailable:
                receipts.extend(ProviderReceipt(m.delivery_id, Outcome.TRANSIENT, provider_code=receipt.provider_code,
                                                reason=f"not attempted: {receipt.reason}")
                                for m in messages[position + 1:])
                break
        return receipts

    @staticmethod
    def _attempt(message: OutboundMessage, create: Callable[[OutboundMessage], str]) -> tuple[ProviderReceipt, bool]:
        try:
            sid = create(message)
        except (TwilioRestException, TwilioServiceException) as error:
            return _refusal(message, error)
        except requests.RequestException as error:
            return ProviderReceipt(message.delivery_id, Outcome.TRANSIENT, provider_code="transport",
                                   reason=f"provider unreachable: {type(error).__name__}"), True
        except (TwilioException, json.JSONDecodeError) as error:
            # A 2xx we cannot read: it may have been sent; the worker's send ledger decides.
            return ProviderReceipt(message.delivery_id, Outcome.TRANSIENT, provider_code="unreadable",
                                   reason=f"unreadable provider answer: {error}"), False
        return ProviderReceipt(message.delivery_id, Outcome.ACCEPTED, provider_message_id=sid), False

    def _sender(self) -> dict[str, str]:
        if self._twilio.from_number:
            return {"from_": self._twilio.from_number}
        return {"messaging_service_sid": self._twilio.messaging_service_sid or ""}

    def _callback(self, message: OutboundMessage) -> dict[str, str]:
        url = self._settings.callback_url(TWILIO_STATUS_PATH, message.delivery_id)
        return {"status_callback": url} if url else {}


class TwilioSms(_TwilioChannel):
    channel = Channel.SMS
    max_batch = SMS_BATCH

    def send(self, messages: Sequence[OutboundMessage], answered: Answered | None = None) -> list[ProviderReceipt]:
        return self._send_each(messages, self._create, answered)

    def _create(self, message: OutboundMessage) -> str:
        created = self._messages.create(to=message.to, body=message.body, **self._sender(),
                                               **self._callback(message))
        return created.sid


def say_twiml(text: str) -> str:
    """Text to speech: the whole call is one <Say>."""
    return f"<Response><Say>{escape(text)}</Say></Response>"


class TwilioVoice(_TwilioChannel):
    channel = Channel.VOICE
    max_batch = VOICE_BATCH

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        if not self._twilio.from_number:
            raise ValueError("voice calls need TWILIO_FROM_NUMBER (a Messaging Service cannot place calls)")

    def send(self, messages: Sequence[OutboundMessage], answered: Answered | None = None) -> list[ProviderReceipt]:
        return self._send_each(messages, self._create, answered)

    def _create(self, message: OutboundMessage) -> str:
        created = self._calls.create(to=message.to, from_=self._twilio.from_number,
                                            twiml=say_twiml(message.body), **self._callback(message))
        return created.sid

"""Email through the real sendgrid SDK: up to 1,000 recipients per mail send.

Messages with the same subject, body and Reply-To (one announcement) share a request,
one personalization per recipient so nobody sees anyone else's address, each
carrying its delivery id in custom_args: SendGrid copies custom_args into
every event, which is how the Event Webhook finds each delivery again. Every
message still gets its own receipt; the request's X-Message-Id is their
provider_message_id (each event's sg_message_id starts with it).

A 400 that names a personalization's address refuses the whole request; that
recipient is a hard bounce and the rest are sent again without it. A 5xx,
429, timeout or refused connection makes the request and every later one in
this batch TRANSIENT, unattempted.
"""
from __future__ import annotations

import http.client
import json
import re
from collections.abc import Sequence

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from services.notify.adapters.providers.settings import ProviderSettings, SendGridSettings
from services.notify.adapters.webhooks import DELIVERY_ID_FIELD
from services.notify.domain.delivery import Answered, Channel, OutboundMessage, Outcome, ProviderReceipt
from services.notify.domain.outcomes import sendgrid_http_outcome, sendgrid_invalid_address

MAX_RECIPIENTS_PER_REQUEST = 1000
PERSONALIZATION_ADDRESS = re.compile(r"^personalizations\.(\d+)\.to\.\d+\.email$")


class _Unavailable(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _error_details(error: HTTPError) -> list[dict]:
    try:
        errors = json.loads(error.body).get("errors")
    except (ValueError, TypeError, AttributeError):
        return []
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


class SendGridEmail:
    channel = Channel.EMAIL
    max_batch = MAX_RECIPIENTS_PER_REQUEST

    def __init__(self, settings: ProviderSettings) -> None:
        if settings.sendgrid is None:
            raise ValueError("SendGrid is not configured (SENDGRID_API_KEY, SENDGRID_FROM_EMAIL)")
        self._sendgrid: SendGridSettings = settings.sendgrid
        self._timeout = settings.timeout_seconds
        self._client = SendGridAPIClient(self._sendgrid.api_key, host=self._sendgrid.api_base)

    def send(self, messages: Sequence[OutboundMessage], answered: Answered | None = None) -> list[ProviderReceipt]:
        self._check(messages)
        groups: dict[tuple[str, str, str | None], list[OutboundMessage]] = {}
        for message in messages:
            groups.setdefault((message.subject or "", message.body, message.reply_to), []).append(message)
        chunks = [group[start:start + MAX_RECIPIENTS_PER_REQUEST]
                  for group in groups.values() for start in range(0, len(group), MAX_RECIPIENTS_PER_REQUEST)]
        receipts: list[ProviderReceipt] = []
        for position, chunk in enumerate(chunks):
            try:
                chunk_receipts = self._send_chunk(chunk, retry_without_invalid=True)
            except _Unavailable as unavailable:
                receipts.extend(ProviderReceipt(m.delivery_id, Outcome.TRANSIENT, provider_code=unavailable.code,
                                                reason=unavailable.reason) for m in chunk)
                receipts.extend(ProviderReceipt(m.delivery_id, Outcome.TRANSIENT, provider_code=unavailable.code,
                                                reason=f"not attempted: {unavailable.reason}")
                                for later in chunks[position + 1:] for m in later)
                break
            receipts.extend(chunk_receipts)
            if answered is not None:
                answered(chunk_receipts)
        return receipts

    def _check(self, messages: Sequence[OutboundMessage]) -> None:
        wrong = [m.delivery_id for m in messages if m.channel is not Channel.EMAIL]
        if wrong:
            raise ValueError(f"SendGridEmail sends email only; not deliveries {wrong[:5]}")
        without_subject = [m.delivery_id for m in messages if not m.subject]
        if without_subject:
            raise ValueError(f"an email needs a subject; deliveries {without_subject[:5]} have none")

    def _payload(self, chunk: Sequence[OutboundMessage]) -> dict:
        sender = {"email": self._sendgrid.from_email}
        if self._sendgrid.from_name:
            sender["name"] = self._sendgrid.from_name
        mail = {
            "personalizations": [{"to": [{"email": m.to}], "custom_args": {DELIVERY_ID_FIELD: m.delivery_id}}
                                 for m in chunk],
            "from": sender,
            "subject": chunk[0].subject,
            "content": [{"type": "text/plain", "value": chunk[0].body}],
        }
        if chunk[0].reply_to:  # a request's messages share it: they are grouped by it
            mail["reply_to"] = {"email": chunk[0].reply_to}
        return mail

    def _send_chunk(self, chunk: list[OutboundMessage], *, retry_without_invalid: bool) -> list[ProviderReceipt]:
        try:
            response = self._client.client.mail.send.post(request_body=self._payload(chunk), timeout=self._timeout)
        except HTTPError as error:
            return self._refused(chunk, error, retry_without_invalid)
        except (OSError, http.client.HTTPException) as error:
            raise _Unavailable("transport", f"provider unreachable: {type(error).__name__}") from error
        message_id = response.headers.get("X-Message-Id")
        return [ProviderReceipt(m.delivery_id, Outcome.ACCEPTED, provider_message_id=message_id) for m in chunk]

    def _refused(self, chunk: list[OutboundMessage], error: HTTPError,
                 retry_without_invalid: bool) -> list[ProviderReceipt]:
        status = int(error.status_code)
        details = _error_details(error)
        if status >= 500 or status == 429:
            raise _Unavailable(str(status), f"provider answered HTTP {status}")
        invalid = {int(match[1]) for detail in details
                   if (match := PERSONALIZATION_ADDRESS.match(str(detail.get("field") or "")))}
        invalid = {index for index in invalid if index < len(chunk)}
        if status == 400 and invalid and retry_without_invalid:
            row = sendgrid_invalid_address()
            receipts = [ProviderReceipt(chunk[i].delivery_id, row.outcome, provider_code="400", reason=row.reason)
                        for i in sorted(invalid)]
            rest = [m for i, m in enumerate(chunk) if i not in invalid]
            return receipts + (self._send_chunk(rest, retry_without_invalid=False) if rest else [])
        row = sendgrid_http_outcome(status)
        said = "; ".join(str(detail.get("message")) for detail in details[:3])
        return [ProviderReceipt(m.delivery_id, row.outcome, provider_code=str(status),
                                reason=f"{row.reason}: {said}" if said else row.reason) for m in chunk]

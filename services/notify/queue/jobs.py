"""A delivery job: one page of deliveries of one communication on one channel, as a queue message.

    {"communication_id": "…", "channel": "email", "delivery_ids": ["…", …]}

Pages, not one message per delivery: a publisher confirm and a consumer ack
cost the same for a page as for one delivery, and SendGrid takes up to 1,000
recipients per request. A page is also the most a worker killed mid-send can
send twice (its ledger rows are written, its receipts not yet). Measured with
one worker, the sandbox and PostgreSQL on a 2-core box (noisy, shared):
- email 1,000: one SendGrid request per page; 1,500–2,400 deliveries/s for
  pages of 250 to 1,000, against ~1,500/s for pages of 100.
- sms and voice 50: Twilio takes one message per request, so HTTP sets the
  pace (~190–220/s per worker) whatever the page: 25, 50 and 100 measured the
  same. 50 halves what a crash can repeat, and at Twilio's real ~300 ms per
  request a page still ends within a 30 s stop grace period.
- app 1,000: one database transaction per page, no provider.
- push 50: FCM takes one message per device token, so it paces like SMS.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.notify.domain.delivery import Channel

PAGE_SIZES = {Channel.EMAIL: 1000, Channel.SMS: 50, Channel.VOICE: 50, Channel.APP: 1000, Channel.PUSH: 50}
MAX_ID_LENGTH = 64


class InvalidJob(ValueError):
    """A message that is not a delivery job; it goes to the dead-letter queue with this reason."""


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    communication_id: str
    channel: Channel
    delivery_ids: tuple[str, ...]

    def to_json(self) -> bytes:
        return json.dumps({"communication_id": self.communication_id, "channel": self.channel.value,
                           "delivery_ids": list(self.delivery_ids)}, separators=(",", ":")).encode()


class _JobSchema(Schema):
    communication_id = fields.String(required=True, validate=validate.Length(min=1, max=MAX_ID_LENGTH))
    channel = fields.Enum(Channel, by_value=True, required=True)
    delivery_ids = fields.List(fields.String(validate=validate.Length(min=1, max=MAX_ID_LENGTH)),
                               required=True, validate=validate.Length(min=1))

    @validates_schema
    def _page_fits_the_channel(self, data: dict, **_kwargs) -> None:
        limit = PAGE_SIZES[data["channel"]]
        if len(data["delivery_ids"]) > limit:
            raise ValidationError(f"a {data['channel'].value} page holds at most {limit} deliveries",
                                  "delivery_ids")


_SCHEMA = _JobSchema()


def parse_job(body: bytes) -> DeliveryJob:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidJob(f"not JSON: {error}") from None
    try:
        loaded = _SCHEMA.load(document)
    except ValidationError as error:
        raise InvalidJob(f"not a delivery job: {error.messages}") from None
    return DeliveryJob(loaded["communication_id"], loaded["channel"], tuple(dict.fromkeys(loaded["delivery_ids"])))


def pages_of(communication_id: str, deliveries: Iterable[tuple[str, Channel]]) -> list[DeliveryJob]:
    """Jobs for (delivery id, channel) pairs: grouped by channel, each page as large as its channel allows."""
    by_channel: dict[Channel, list[str]] = {}
    for delivery_id, channel in deliveries:
        by_channel.setdefault(Channel(channel), []).append(delivery_id)
    return [job for channel, ids in by_channel.items() for job in _pages(communication_id, channel, ids)]


def _pages(communication_id: str, channel: Channel, ids: Sequence[str]) -> list[DeliveryJob]:
    size = PAGE_SIZES[channel]
    return [DeliveryJob(communication_id, channel, tuple(ids[start:start + size]))
            for start in range(0, len(ids), size)]

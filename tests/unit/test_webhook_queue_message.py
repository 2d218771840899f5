"""The gateway writes each verified post without marshmallow (shared/webhook_queue.py): the same message as the
contract's schema writes, and one notify reads back unchanged; notify reads it without marshmallow too, to the same
result (or the same refusal) as the schema's."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from shared.contracts.provider_webhooks import VerifiedWebhook
from shared.webhook_queue import load_verified_webhook, verified_webhook_json

POST = {"kind": "sendgrid_events", "url": "https://school.example.org/webhooks/sendgrid/events?x=%2F1",
        "body": '[{"email":"zoë@example.org","event":"bounce"}]'}


@pytest.mark.parametrize("received_at", [
    datetime(2026, 12, 5, 16, 40, 1, 123456, tzinfo=timezone.utc),
    datetime(2026, 12, 5, 16, 40, 1, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 12, 5, 16, 40, 1),  # no zone: UTC, as the schema's Timestamp takes it
], ids=["utc", "another-zone", "naive"])
def test_the_message_is_what_the_contract_schema_dumps_and_loads_back_alike(received_at):
    message = verified_webhook_json(**POST, received_at=received_at)

    assert json.loads(message) == VerifiedWebhook().dump({**POST, "received_at": received_at})
    assert VerifiedWebhook().load(json.loads(message)) == VerifiedWebhook().load(
        VerifiedWebhook().dump({**POST, "received_at": received_at}))


def _schema_load(message: bytes):
    try:
        return "loaded", VerifiedWebhook().load(json.loads(message))
    except ValidationError as refused:
        return "refused", refused.normalized_messages()
    except ValueError:
        return "unparsable", None


def _fast_load(message: bytes):
    try:
        return "loaded", load_verified_webhook(message)
    except ValidationError as refused:
        return "refused", refused.normalized_messages()
    except ValueError:
        return "unparsable", None


@pytest.mark.parametrize("message", [
    verified_webhook_json(**POST, received_at=datetime(2026, 12, 5, 16, 40, 1, 123456, tzinfo=timezone.utc)),
    verified_webhook_json(**POST, received_at=datetime(2026, 12, 5, 16, 40, 1, tzinfo=timezone(timedelta(hours=-5)))),
    verified_webhook_json(kind="twilio_status", url="https://s.example.org/w?delivery_id=d-1",
                          body="MessageStatus=sent&To=%2B15555550100", received_at=datetime(2026, 12, 5, 16, 40)),
    b'{"kind":"twilio_status","url":"u","body":"b","received_at":"2026-12-05T16:40:01"}',
    b'{"kind":"twilio_status","url":"u","body":"b","received_at":"2026-12-05"}',
    b'{"kind":"twilio_status","url":"u","body":"b","received_at":"yesterday"}',
    b'{"kind":"twilio_status","url":"u","body":"b","received_at":1733416801}',
    b'{"kind":"fax","url":"u","body":"b","received_at":"2026-12-05T16:40:01+00:00"}',
    b'{"kind":["twilio_status"],"url":"u","body":"b","received_at":"2026-12-05T16:40:01+00:00"}',
    b'{"kind":"twilio_status","url":null,"body":"b","received_at":"2026-12-05T16:40:01+00:00"}',
    b'{"kind":"twilio_status","url":"u","body":7,"received_at":"2026-12-05T16:40:01+00:00"}',
    b'{"kind":"twilio_status","url":"u","received_at":"2026-12-05T16:40:01+00:00"}',
    b'{"kind":"twilio_status","url":"u","body":"b","received_at":"2026-12-05T16:40:01+00:00","x":1}',
    b'["twilio_status"]',
    b'not json',
], ids=lambda message: message[:60].decode())
def test_the_queue_message_loads_as_the_contract_schema_loads_it(message):
    fast, schema = _fast_load(message), _schema_load(message)

    assert fast == schema
    if fast[0] == "loaded":
        assert fast[1]["received_at"].utcoffset() == schema[1]["received_at"].utcoffset()

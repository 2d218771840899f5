"""The gateway writes each verified post without marshmallow (shared/webhook_queue.py): the same message as the
contract's schema writes, and one notify reads back unchanged."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from shared.contracts.provider_webhooks import VerifiedWebhook
from shared.webhook_queue import verified_webhook_json

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

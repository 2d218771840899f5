"""Webhooks through the use case: a forged one changes nothing; STOP and START from a verified one."""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest

from services.notify.adapters.credentials_repository import GOOD, Health
from services.notify.adapters.service_dependencies import WebhookSecrets
from services.notify.domain.delivery import CredentialKind, CredentialState
from services.notify.adapters.webhooks_repository import StoredWebhook
from services.notify.handlers_webhooks import WebhookPorts, apply_inbound_batch, receive_provider_webhook
from shared.contracts import notify

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
AUTH_TOKEN = "twilio-auth-token-for-tests"
INBOUND_URL = "https://gateway.example.org/webhooks/twilio/inbound"
HAL = "+15555550102"
SECRETS = WebhookSecrets(twilio_auth_token=AUTH_TOKEN, sendgrid_public_key=None)


def twilio_signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    payload = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


TEXTS = itertools.count(1)


def inbound(body: str, *, token: str = AUTH_TOKEN, from_: str = HAL, sid: str | None = None) -> dict:
    """A signed inbound text; each its own MessageSid unless `sid` names one (a replay)."""
    params = {"MessageSid": sid or f"SM{next(TEXTS):032d}", "From": from_, "To": "+15550100000", "Body": body}
    return {"kind": "twilio_inbound", "url": INBOUND_URL, "body": urlencode(params),
            "headers": {"x-twilio-signature": twilio_signature(INBOUND_URL, params, token)}}


class FakeReceipts:
    def __init__(self):
        self.stored: list[dict] = []
        self.applied: list[str] = []

    def store(self, *, provider, kind, payload, now, message_id=None):
        if message_id is not None and any(stored["message_id"] == message_id for stored in self.stored):
            return None
        self.stored.append({"provider": provider, "kind": kind, "message_id": message_id, **payload})
        return f"receipt-{len(self.stored)}"

    def mark_applied(self, receipt_id, *, now):
        self.applied.append(receipt_id)

    def mark_all_applied(self, receipt_ids, *, now):
        self.applied.extend(receipt_ids)

    def unapplied(self, *, received_before, limit=100, kinds=None):
        waiting = [StoredWebhook(f"receipt-{n}", stored["kind"], {key: stored[key] for key in ("url", "headers", "body")})
                   for n, stored in enumerate(self.stored, 1)
                   if f"receipt-{n}" not in self.applied and (kinds is None or stored["kind"] in kinds)]
        return waiting[:limit]


class FakeCredentials:
    def __init__(self, health: dict | None = None):
        self.health = dict(health or {})

    def change_state(self, kind, address, decide, *, now, announce_change=lambda after: None):
        before = self.health.get((kind, address), GOOD)
        state, reason = decide(before.state)
        if state is before.state:
            return before, before
        self.health[(kind, address)] = Health(state, reason, now)
        announce_change(self.health[(kind, address)])
        return before, self.health[(kind, address)]


class Published(list):
    def __call__(self, event, payload):
        self.append((event, payload))


@pytest.fixture
def world():
    receipts, credentials, published = FakeReceipts(), FakeCredentials(), Published()
    ports = WebhookPorts(webhooks=receipts, deliveries=None, credentials=credentials, jobs=None, publish=published,
                         clock=lambda: NOW)
    return receipts, credentials, published, ports


def test_a_webhook_signed_with_another_token_is_refused_and_nothing_is_stored_or_changed(world):
    receipts, credentials, published, ports = world

    answer = receive_provider_webhook(inbound("STOP", token="forged"), secrets=SECRETS, ports=ports)

    assert answer == {"accepted": False, "applied": 0, "refused": "signature"}
    assert receipts.stored == [] and credentials.health == {} and published == []


def test_a_webhook_without_a_signature_is_refused(world):
    receipts, _, _, ports = world
    request = {**inbound("STOP"), "headers": {}}

    assert receive_provider_webhook(request, secrets=SECRETS, ports=ports)["accepted"] is False
    assert receipts.stored == []


def test_every_webhook_is_refused_when_the_provider_is_not_configured(world):
    receipts, _, _, ports = world

    answer = receive_provider_webhook(inbound("STOP"), secrets=WebhookSecrets(None, None), ports=ports)

    assert answer["accepted"] is False and receipts.stored == []


def test_stop_is_stored_then_opts_the_number_out_and_announces_it(world):
    receipts, credentials, published, ports = world

    answer = receive_provider_webhook(inbound("Stop"), secrets=SECRETS, ports=ports)

    assert answer == {"accepted": True, "applied": 1}
    assert [stored["kind"] for stored in receipts.stored] == ["twilio_inbound"] and receipts.applied == ["receipt-1"]
    assert credentials.health[(CredentialKind.MOBILE_PHONE, HAL)].state is CredentialState.OPTED_OUT
    assert published == [(notify.CREDENTIAL_STATUS_CHANGED, {"kind": "mobile_phone", "address": HAL,
                                                             "state": "opted_out", "reason": "recipient texted STOP"})]


def test_start_clears_the_opt_out_and_a_second_start_changes_nothing(world):
    _, credentials, published, ports = world
    credentials.health[(CredentialKind.MOBILE_PHONE, HAL)] = Health(CredentialState.OPTED_OUT, "STOP", NOW)

    assert receive_provider_webhook(inbound("START"), secrets=SECRETS, ports=ports)["applied"] == 1
    assert receive_provider_webhook(inbound("START"), secrets=SECRETS, ports=ports)["applied"] == 0

    assert credentials.health[(CredentialKind.MOBILE_PHONE, HAL)].state is CredentialState.GOOD
    assert [payload["state"] for _, payload in published] == ["good"]


def test_a_reply_that_is_not_a_keyword_is_kept_and_changes_no_state(world):
    receipts, credentials, published, ports = world

    answer = receive_provider_webhook(inbound("Thanks, see you Monday!"), secrets=SECRETS, ports=ports)

    assert answer == {"accepted": True, "applied": 0}
    assert len(receipts.stored) == 1 and credentials.health == {} and published == []


def test_a_verified_but_malformed_webhook_is_kept_and_marked_applied_so_it_is_not_retried(world):
    receipts, _, _, ports = world
    params = {"MessageSid": "SM1", "Body": "STOP"}  # no From or To
    request = {"kind": "twilio_inbound", "url": INBOUND_URL, "body": urlencode(params),
               "headers": {"X-Twilio-Signature": twilio_signature(INBOUND_URL, params)}}

    assert receive_provider_webhook(request, secrets=SECRETS, ports=ports) == {"accepted": True, "applied": 0}
    assert receipts.applied == ["receipt-1"]


class FiledTexts(list):
    """file_texts as the service gives it: each call is one batch; texts from FAILING_PHONE make it raise."""

    def __call__(self, texts):
        if any(text.phone == FAILING_PHONE for text in texts):
            raise RuntimeError("the database went away")
        self.append(list(texts))
        return len(texts)


FAILING_PHONE = "+15555550666"


@pytest.fixture
def batching(world):
    receipts, credentials, published, ports = world
    woken, filed = [], FiledTexts()
    return receipts, credentials, filed, woken, replace(ports, file_texts=filed, wake_inbound=lambda: woken.append(1))


def test_with_batches_an_inbound_text_is_stored_and_the_batch_woken_before_the_provider_is_answered(batching):
    receipts, credentials, filed, woken, ports = batching

    answer = receive_provider_webhook(inbound("STOP"), secrets=SECRETS, ports=ports)

    assert answer == {"accepted": True, "applied": 0}
    assert len(receipts.stored) == 1 and receipts.applied == [] and woken == [1]
    assert credentials.health == {} and filed == []  # nothing applied on the provider's request


def test_a_batch_files_its_texts_together_applies_its_keywords_and_marks_every_receipt_applied(batching):
    receipts, credentials, filed, _, ports = batching
    for body in ("Thursday is fine.", "STOP", "See you then"):
        receive_provider_webhook(inbound(body), secrets=SECRETS, ports=ports)
    params = {"MessageSid": "SM1", "Body": "hello"}  # no From or To: kept, never applied
    receive_provider_webhook({"kind": "twilio_inbound", "url": INBOUND_URL, "body": urlencode(params),
                              "headers": {"X-Twilio-Signature": twilio_signature(INBOUND_URL, params)}},
                             secrets=SECRETS, ports=ports)

    more = apply_inbound_batch(ports=ports)

    assert more is False
    assert [[text.text for text in batch] for batch in filed] == [["Thursday is fine.", "See you then"]]
    assert credentials.health[(CredentialKind.MOBILE_PHONE, HAL)].state is CredentialState.OPTED_OUT
    assert receipts.applied == ["receipt-1", "receipt-2", "receipt-3", "receipt-4"]
    assert apply_inbound_batch(ports=ports) is False and len(filed) == 1  # nothing left to apply


def test_a_full_batch_says_more_may_wait_and_the_next_takes_the_rest(batching):
    receipts, _, filed, _, ports = batching
    for n in range(5):
        receive_provider_webhook(inbound(f"reply {n}"), secrets=SECRETS, ports=ports)

    assert apply_inbound_batch(ports=ports, limit=3) is True
    assert apply_inbound_batch(ports=ports, limit=3) is False
    assert [len(batch) for batch in filed] == [3, 2] and len(receipts.applied) == 5


def test_a_batch_that_fails_marks_nothing_applied_so_every_text_is_applied_again(batching):
    receipts, _, filed, _, ports = batching
    receive_provider_webhook(inbound("fine"), secrets=SECRETS, ports=ports)
    receive_provider_webhook(inbound("fails", from_=FAILING_PHONE), secrets=SECRETS, ports=ports)

    with pytest.raises(RuntimeError):
        apply_inbound_batch(ports=ports)

    assert receipts.applied == [] and filed == []
    assert len(receipts.unapplied(received_before=NOW, kinds=["twilio_inbound"])) == 2


def test_a_replayed_stop_after_start_is_taken_once_and_changes_nothing(world):
    receipts, credentials, published, ports = world
    stop = inbound("STOP", sid="SM" + "e" * 32)
    receive_provider_webhook(stop, secrets=SECRETS, ports=ports)
    receive_provider_webhook(inbound("START"), secrets=SECRETS, ports=ports)

    answer = receive_provider_webhook(stop, secrets=SECRETS, ports=ports)

    assert answer == {"accepted": True, "applied": 0}
    assert credentials.health[(CredentialKind.MOBILE_PHONE, HAL)].state is CredentialState.GOOD
    assert len(receipts.stored) == 2 and len(published) == 2

"""Verified provider webhooks, as they come off the gateway's queue (notify.webhooks): applied a batch at a time.

The gateway verified every post (shared/provider_signatures.py) and answered the provider once the broker held
it; here a batch of hundreds is applied in ONE transaction with one statement per kind: every status report of
the batch judged together by the same rules as one post (handlers_webhooks.plan_reports: a report already in
its delivery's history, or twice in the batch, counts once; a delivery's reports in the order they happened;
report_order's rule per provider for an ending after `delivered`), the deliveries, their history and the
credentials written together (write_plans), the credential changes staged in the same transaction through
the outbox, and the batch's inbound texts stored once per MessageSid (a replayed STOP or START is taken
once). The queue's messages are acknowledged only after that commit, so a batch whose transaction fails is
applied again whole; repeats change nothing. Stored texts are then filed in batches (apply_inbound_batch,
woken here), exactly as before.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from services.notify.adapters.webhooks import MalformedWebhook
from services.notify.domain.outcomes import DeliveryReport
from services.notify.handlers_webhooks import (
    WebhookPorts,
    applied_count,
    complete_and_fall_back,
    message_sid,
    plan_reports,
    publish_credential_changes,
    reports_in,
    write_plans,
)
from shared.contracts.provider_webhooks import PROVIDER_OF_KIND, SENDGRID_EVENTS, TWILIO_INBOUND
from shared.metrics import WEBHOOK_LAG_SECONDS

log = logging.getLogger(__name__)


def apply_webhook_batch(webhooks: Sequence[Mapping], *, ports: WebhookPorts) -> int:
    """Apply verified posts (shared.contracts.provider_webhooks.VerifiedWebhook, loaded) in one transaction;
    how many status reports changed a delivery."""
    now = ports.clock()
    reports: list[DeliveryReport] = []
    texts = []
    for webhook in webhooks:
        kind, payload = webhook["kind"], {"url": webhook["url"], "body": webhook["body"]}
        if kind == TWILIO_INBOUND:
            # Stored at the time the gateway took it: texts from one phone (STOP, then START) apply in that order.
            texts.append((PROVIDER_OF_KIND[kind], kind, payload, message_sid(payload["body"]), webhook["received_at"]))
            continue
        try:
            found = reports_in(kind, payload, webhook["received_at"])
        except MalformedWebhook as malformed:
            # Verified, so it is the provider's, but nothing in it can be applied: retrying it would not help.
            log.error("a verified %s webhook cannot be applied: %s", kind, malformed)
            continue
        reports.extend(found)
        if kind == SENDGRID_EVENTS:  # Twilio's status callbacks carry no time of their own
            _observe_lag(found, now)
    with ports.webhooks.transaction():
        plans = plan_reports(reports, ports)
        ports.webhooks.store_all_in_transaction(texts)
        written = write_plans(plans, ports, now)
        publish_credential_changes(plans, written, ports.publish)
    complete_and_fall_back(plans, written, ports, now)
    if texts and ports.wake_inbound is not None:
        ports.wake_inbound()
    return applied_count(plans)


def _observe_lag(reports: Sequence[DeliveryReport], now: datetime) -> None:
    lag = WEBHOOK_LAG_SECONDS.labels(PROVIDER_OF_KIND[SENDGRID_EVENTS])
    for report in reports:
        lag.observe(max((now - report.occurred_at).total_seconds(), 0.0))


"""Provider webhooks, as the gateway hands them over: verify, store, then apply idempotently.

A webhook whose signature does not verify changes nothing (not even the
receipts) and is answered accepted=false; the gateway turns that into a 403.
A verified one is stored first, then applied:
- status reports (Twilio status callbacks, SendGrid events) move deliveries
  forward, never back; permanent failures mark the credential, for everyone
  who shares it, and fall back (F1) along the workers' own path
  (DeliveryRepository.record_job and the worker's fallback planning);
- an inbound STOP opts the number out, START opts it back in.
A report already recorded on its delivery (providers repeat themselves) is
skipped, so a repeat never marks a credential again after a Reset Status.
CREDENTIAL_STATUS_CHANGED is published for every credential whose state
changed, after the change is committed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from services.notify.adapters.credentials_repository import CredentialsRepository, Health
from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.service_dependencies import WebhookSecrets
from services.notify.adapters.webhooks import (
    SENDGRID_SIGNATURE_HEADER,
    SENDGRID_TIMESTAMP_HEADER,
    TWILIO_SIGNATURE_HEADER,
    MalformedWebhook,
    parse_sendgrid_events,
    parse_twilio_inbound,
    parse_twilio_status,
    verify_sendgrid,
    verify_twilio,
)
from services.notify.adapters.webhooks_repository import WebhooksRepository
from services.notify.domain.credential_status import OPT_OUT_REASON, state_after_keyword
from services.notify.domain.delivery import Channel, CredentialKind, CredentialState, advanced_status
from services.notify.domain.outcomes import DeliveryReport
from services.notify.queue.jobs import DeliveryJob
from services.notify.webhook_verdicts import judge_report
from services.notify.worker.ports import EventSource, FollowUpPublisher, JobRecord
# The workers' own F1 path, reused so a webhook's fallback is planned and queued exactly as a worker's.
from services.notify.worker.process_job import plan_fallbacks, queue_fallbacks
from shared.contracts import notify

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Publish = Callable[..., None]

TWILIO_STATUS, TWILIO_INBOUND, SENDGRID_EVENTS = notify.WEBHOOK_KINDS
PROVIDER_OF_KIND = {TWILIO_STATUS: "twilio", TWILIO_INBOUND: "twilio", SENDGRID_EVENTS: "sendgrid"}
# Receipts not applied this long after they arrived are applied again by the recovery timer.
UNAPPLIED_AFTER = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class WebhookPorts:
    """What applying a webhook touches; the service builds it from its dependencies."""

    webhooks: WebhooksRepository
    deliveries: DeliveryRepository
    credentials: CredentialsRepository
    jobs: FollowUpPublisher
    publish: Publish
    clock: Clock


def receive_provider_webhook(request: dict, *, secrets: WebhookSecrets, ports: WebhookPorts) -> dict:
    kind = request["kind"]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    if not verified(kind, request["url"], headers, request["body"], secrets):
        log.warning("refused a %s webhook for %s: its signature does not verify", kind, request["url"])
        return {"accepted": False, "applied": 0}
    payload = {"url": request["url"], "headers": headers, "body": request["body"]}
    receipt_id = ports.webhooks.store(provider=PROVIDER_OF_KIND[kind], kind=kind, payload=payload, now=ports.clock())
    applied = _apply_receipt(receipt_id, kind, payload, ports)
    return {"accepted": True, "applied": applied}


def apply_unapplied_webhooks(*, ports: WebhookPorts) -> int:
    """Apply again the receipts whose first application failed; how many were applied now."""
    stored = ports.webhooks.unapplied(received_before=ports.clock() - UNAPPLIED_AFTER)
    for receipt in stored:
        _apply_receipt(receipt.id, receipt.kind, receipt.payload, ports)
    return len(stored)


def verified(kind: str, url: str, headers: Mapping[str, str], body: str, secrets: WebhookSecrets) -> bool:
    if kind == SENDGRID_EVENTS:
        return verify_sendgrid(body, headers.get(SENDGRID_SIGNATURE_HEADER.lower()),
                               headers.get(SENDGRID_TIMESTAMP_HEADER.lower()), secrets.sendgrid_public_key or "")
    return verify_twilio(url, _form(body), headers.get(TWILIO_SIGNATURE_HEADER.lower()),
                         secrets.twilio_auth_token or "")


def _apply_receipt(receipt_id: str, kind: str, payload: Mapping, ports: WebhookPorts) -> int:
    # An error other than a malformed payload propagates: the receipt stays unapplied for the timer.
    try:
        if kind == TWILIO_INBOUND:
            applied = apply_inbound_sms(_form(payload["body"]), ports=ports)
        else:
            applied = apply_status_reports(_reports(kind, payload, ports.clock()), ports=ports)
    except MalformedWebhook as malformed:
        # Verified, so it is the provider's, but nothing in it can be applied: keep it, never retry it.
        log.error("stored %s webhook %s cannot be applied: %s", kind, receipt_id, malformed)
        applied = 0
    ports.webhooks.mark_applied(receipt_id, now=ports.clock())
    return applied


def _reports(kind: str, payload: Mapping, received_at: datetime) -> list[DeliveryReport]:
    if kind == SENDGRID_EVENTS:
        return parse_sendgrid_events(payload["body"])
    report = parse_twilio_status(payload["url"], _form(payload["body"]), received_at)
    return [] if report is None else [report]


def apply_status_reports(reports: Iterable[DeliveryReport], *, ports: WebhookPorts) -> int:
    """Apply the reports not yet recorded on their deliveries; how many were applied."""
    located = _locate(list(reports), ports.webhooks)
    keys = ports.webhooks.delivery_keys({delivery_id for delivery_id, _ in located})
    recorded = ports.webhooks.recorded_outcomes(keys)
    pages: dict[tuple[str, Channel], list[tuple[str, DeliveryReport]]] = {}
    for delivery_id, report in located:
        mark = (delivery_id, report.outcome.value, report.provider_code)
        if delivery_id in keys and mark not in recorded:
            recorded.add(mark)  # the same event twice in one batch counts once
            pages.setdefault(keys[delivery_id], []).append((delivery_id, report))
    applied = 0
    for (communication_id, channel), items in pages.items():
        applied += _apply_page(communication_id, channel, items, ports)
    return applied


def _locate(reports: list[DeliveryReport], webhooks: WebhooksRepository) -> list[tuple[str, DeliveryReport]]:
    """Each report with its delivery: the id it carries, else the one delivery with its provider message id."""
    by_message = webhooks.deliveries_by_message_id(
        {report.provider_message_id for report in reports if report.delivery_id is None})
    located = [(report.delivery_id or by_message.get(report.provider_message_id), report) for report in reports]
    return [(delivery_id, report) for delivery_id, report in located if delivery_id is not None]


def _apply_page(communication_id: str, channel: Channel, items: list[tuple[str, DeliveryReport]],
                ports: WebhookPorts) -> int:
    page = ports.deliveries.load_page(DeliveryJob(communication_id, channel, tuple(dict.fromkeys(i for i, _ in items))))
    if page.communication is None:
        return 0
    current = {delivery.id: delivery for delivery in page.deliveries}
    verdicts = []
    for delivery_id, report in sorted(items, key=lambda item: item[1].occurred_at):
        delivery = current.get(delivery_id)
        verdict = judge_report(delivery, report) if delivery is not None else None
        if verdict is None:
            continue
        verdicts.append(verdict)
        # A later report in the same batch judges the delivery as this one left it.
        current[delivery_id] = replace(delivery, status=advanced_status(delivery.status, verdict.result.status))
    if not verdicts:
        return 0
    # The credentials' states as the page was loaded, before this page's marks.
    before = {(change.kind, change.address): verdict.delivery.credential_state
              for verdict in verdicts if (change := verdict.credential) is not None}
    fallbacks = plan_fallbacks(page.communication, [v.delivery for v in verdicts if v.fall_back], ports.deliveries)
    created = ports.deliveries.record_job(JobRecord(
        communication_id, channel, tuple(v.result for v in verdicts),
        tuple(v.credential for v in verdicts if v.credential is not None), tuple(fallbacks),
        source=EventSource.WEBHOOK), now=ports.clock())
    if created:
        queue_fallbacks(communication_id, created, ports.deliveries, ports.jobs, ports.clock)
    _publish_changes(before, ports)
    return len(verdicts)


def _publish_changes(before: Mapping[tuple[CredentialKind, str], CredentialState], ports: WebhookPorts) -> None:
    if not before:
        return
    after = ports.credentials.health_of(before.keys())
    for (kind, address), state in before.items():
        now = after.get((kind, address))
        if now is not None and now.state is not state:
            _publish_change(kind, address, now, ports.publish)


def apply_inbound_sms(params: Mapping[str, str], *, ports: WebhookPorts) -> int:
    """STOP opts the number out, START opts it back in; 1 when the number's state changed.

    Other texts are replies: they are kept with the receipt until conversations thread them.
    """
    sms = parse_twilio_inbound(params)
    if sms.keyword is None:
        return 0
    keyword = sms.keyword

    def decide(state: CredentialState) -> tuple[CredentialState, str | None]:
        after = state_after_keyword(state, keyword)
        return after, OPT_OUT_REASON if after is CredentialState.OPTED_OUT else None

    before, after = ports.credentials.change_state(CredentialKind.MOBILE_PHONE, sms.from_, decide, now=ports.clock())
    if after.state is before.state:
        return 0
    _publish_change(CredentialKind.MOBILE_PHONE, sms.from_, after, ports.publish)
    return 1


def _publish_change(kind: CredentialKind, address: str, health: Health, publish: Publish) -> None:
    publish(notify.CREDENTIAL_STATUS_CHANGED, {"kind": kind.value, "address": address, "state": health.state.value,
                                                "reason": health.reason})


def _form(body: str) -> dict[str, str]:
    return dict(parse_qsl(body, keep_blank_values=True))

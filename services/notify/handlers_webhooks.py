"""Provider webhooks one post at a time (the receive_provider_webhook RPC): verify, store, then apply
idempotently; and the rules every path applies them by (plan_reports, write_plans, the inbound batches).

The gateway verifies posts itself and hands them over on a durable queue, applied in batches by
handlers_webhook_batches with the same rules. Through the RPC, a webhook whose signature does not verify,
or a SendGrid batch signed outside the replay window, changes nothing (not even the receipts) and is
answered accepted=false with the reason. An inbound
text is stored once per MessageSid (Twilio signs no time: its replay is a no-op).
A verified status report (Twilio status callback, SendGrid event batch) is
stored and applied in one transaction: the receipt is written already applied,
with the delivery changes it brings; should that transaction fail, the receipt
is stored on its own, unapplied, for the recovery timer. An inbound SMS is
stored (committed) before the provider is answered, then applied: in the
service, moments later and together with the others stored meanwhile
(apply_inbound_batch, woken by wake_inbound); without wake_inbound, at once.
Applying means:
- status reports (Twilio status callbacks, SendGrid events) move deliveries
  forward, never back; what a report arriving after an ending does is one rule
  per provider (domain/report_order.py: SendGrid's later bounce overturns
  delivered, Twilio's first ending stands); permanent failures mark the
  credential, for everyone who shares it, and fall back (F1) along the workers'
  own path (DeliveryRepository.record_job and the worker's fallback planning);
- an inbound STOP opts the number out, START opts it back in; any other text
  is filed into its conversation (handlers_conversation_replies).
A report already recorded on its delivery (providers repeat themselves) is
skipped, so a repeat never marks a credential again after a Reset Status.
CREDENTIAL_STATUS_CHANGED is staged for every credential whose state
changed, in the transaction of the change (the outbox publishes it).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from services.notify.adapters.credentials_repository import CredentialsRepository, Health
from services.notify.adapters.delivery_repository import DeliveryRepository
from services.notify.adapters.webhooks import (
    MalformedWebhook,
    parse_sendgrid_events,
    parse_twilio_inbound,
    parse_twilio_status,
)
from services.notify.adapters.webhooks_repository import WebhooksRepository
from services.notify.domain.credential_status import OPT_OUT_REASON, state_after_keyword
from services.notify.domain.delivery import (
    SENDABLE_STATUSES,
    Channel,
    CredentialKind,
    CredentialState,
    advanced_status,
)
from services.notify.domain.inbound_texts import InboundText
from services.notify.domain.outcomes import DeliveryReport
from services.notify.webhook_verdicts import judge_report, overturns
from services.notify.ports import (
    DeliveryResult,
    EventSource,
    FollowUpPublisher,
    HealthChange,
    JobRecord,
    PageDelivery,
)
# The workers' own F1 path, reused so a webhook's fallback is planned and queued exactly as a worker's.
from services.notify.worker.process_job import plan_fallbacks, queue_fallbacks
from shared.contracts import notify
from shared.contracts.provider_webhooks import PROVIDER_OF_KIND, SENDGRID_EVENTS, TWILIO_INBOUND
from shared.metrics import WEBHOOK_LAG_SECONDS
from shared.provider_signatures import WebhookSecrets, refusal

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Publish = Callable[..., None]


# Files texts that are not STOP/START into their conversations; how many were filed.
FileTexts = Callable[[Sequence[InboundText]], int]


# Receipts not applied this long after they arrived are applied again by the recovery timer.
UNAPPLIED_AFTER = timedelta(minutes=1)
# Stored inbound texts applied in one go (file_texts reads and writes them with one statement per kind).
# Small enough that a batch, delivery of its replies included, takes seconds, not tens of seconds (about 2 ms of
# CPU a text, 2026-12-05); large enough that a batch's own statements are spread over many texts when they pour in
# (at 50, notify filed 114 a second of the 250 posted).
INBOUND_BATCH = 200


@dataclass(frozen=True, slots=True)
class WebhookPorts:
    """What applying a webhook touches; the service builds it from its dependencies."""

    webhooks: WebhooksRepository
    deliveries: DeliveryRepository
    credentials: CredentialsRepository
    jobs: FollowUpPublisher
    publish: Publish
    clock: Clock
    # handlers_conversation_replies.file_text_replies
    file_texts: FileTexts | None = None
    # Starts the filing of stored inbound texts in batches (apply_inbound_batch) soon, off the provider's
    # request; without it each inbound text is applied before the provider is answered.
    wake_inbound: Callable[[], None] | None = None


def receive_provider_webhook(request: dict, *, secrets: WebhookSecrets, ports: WebhookPorts) -> dict:
    kind = request["kind"]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    refused = refusal(kind, request["url"], headers, request["body"], secrets, ports.clock())
    if refused is not None:
        log.warning("refused a %s webhook for %s: %s", kind, request["url"], refused)
        return {"accepted": False, "applied": 0, "refused": refused}
    payload = {"url": request["url"], "headers": headers, "body": request["body"]}
    if kind == TWILIO_INBOUND:
        # Stored (committed) before the provider is answered: from here on the text cannot be lost. Once per
        # MessageSid: Twilio signs no time, so a captured STOP or START verifies for ever; its replay is a no-op.
        receipt_id = ports.webhooks.store(provider=PROVIDER_OF_KIND[kind], kind=kind, payload=payload,
                                          now=ports.clock(), message_id=message_sid(request["body"]))
        if receipt_id is None:
            log.warning("a %s webhook repeated a text already taken (its MessageSid): nothing done again", kind)
            return {"accepted": True, "applied": 0}
        if ports.wake_inbound is not None:
            ports.wake_inbound()
            return {"accepted": True, "applied": 0}
        return {"accepted": True, "applied": _apply_inbound_receipt(receipt_id, payload, ports)}
    return {"accepted": True, "applied": _apply_status_receipt(None, kind, payload, ports)}


def apply_unapplied_webhooks(*, ports: WebhookPorts) -> int:
    """Apply again the receipts whose first application failed; how many were applied now.

    With inbound batches, stored inbound texts are theirs: they are only woken here, so a backlog of
    texts is never applied twice at once.
    """
    kinds = None
    if ports.wake_inbound is not None:
        ports.wake_inbound()
        kinds = [kind for kind in PROVIDER_OF_KIND if kind != TWILIO_INBOUND]
    stored = ports.webhooks.unapplied(received_before=ports.clock() - UNAPPLIED_AFTER, kinds=kinds)
    for receipt in stored:
        if receipt.kind == TWILIO_INBOUND:
            _apply_inbound_receipt(receipt.id, receipt.payload, ports)
        else:
            _apply_status_receipt(receipt.id, receipt.kind, receipt.payload, ports)
    return len(stored)


def apply_inbound_batch(*, ports: WebhookPorts, limit: int = INBOUND_BATCH) -> bool:
    """Apply up to `limit` stored inbound texts, oldest first; whether more may be waiting.

    STOP and START change their phone's state one by one (they are rare); the other texts are filed
    together (file_texts). All are marked applied together afterwards; should the batch fail, none is, and
    the next batch applies them again: a filed text is never filed twice (its MessageSid is kept) and a
    keyword changes a state only once.
    """
    stored = ports.webhooks.unapplied(received_before=ports.clock() + timedelta(seconds=1), limit=limit,
                                      kinds=[TWILIO_INBOUND])
    texts = []
    for receipt in stored:
        params = _form(receipt.payload["body"])
        try:
            sms = parse_twilio_inbound(params)
        except MalformedWebhook as malformed:
            # Verified, so it is the provider's, but nothing in it can be applied: keep it, never retry it.
            log.error("stored %s webhook %s cannot be applied: %s", TWILIO_INBOUND, receipt.id, malformed)
            continue
        if sms.keyword is None:
            texts.append(InboundText(sms.from_, sms.body, params.get("MessageSid")))
        else:
            _apply_keyword(sms.from_, sms.keyword, ports)
    if texts and ports.file_texts is not None:
        ports.file_texts(texts)
    ports.webhooks.mark_all_applied([receipt.id for receipt in stored], now=ports.clock())
    return len(stored) == limit


def _apply_inbound_receipt(receipt_id: str, payload: Mapping, ports: WebhookPorts) -> int:
    applied = _apply_inbound_payload(receipt_id, payload, ports)
    ports.webhooks.mark_applied(receipt_id, now=ports.clock())
    return applied


def _apply_inbound_payload(receipt_id: str, payload: Mapping, ports: WebhookPorts) -> int:
    # An error other than a malformed payload propagates: the receipt stays unapplied for the timer.
    try:
        applied = apply_inbound_sms(_form(payload["body"]), ports=ports)
    except MalformedWebhook as malformed:
        # Verified, so it is the provider's, but nothing in it can be applied: keep it, never retry it.
        log.error("stored %s webhook %s cannot be applied: %s", TWILIO_INBOUND, receipt_id, malformed)
        applied = 0
    return applied


def _apply_status_receipt(receipt_id: str | None, kind: str, payload: Mapping, ports: WebhookPorts) -> int:
    """Store (receipt_id None) or take up a stored receipt, and apply its reports, in ONE transaction.

    The receipt is written already applied together with what it changes. Should that transaction
    fail, a new receipt is stored on its own, unapplied, for the timer, and the error propagates.
    """
    now = ports.clock()
    try:
        reports = reports_in(kind, payload, now)
    except MalformedWebhook as malformed:
        # Verified, so it is the provider's, but nothing in it can be applied: keep it, never retry it.
        log.error("%s webhook cannot be applied: %s", kind, malformed)
        reports = []
    try:
        # One transaction (one connection checkout) reads what the reports are judged against and writes.
        with ports.webhooks.transaction():
            plans = plan_reports(reports, ports)
            if receipt_id is None:
                ports.webhooks.add_receipt_in_transaction(provider=PROVIDER_OF_KIND[kind], kind=kind,
                                                          payload=payload, now=now)
            else:
                ports.webhooks.mark_applied_in_transaction(receipt_id, now=now)
            written = write_plans(plans, ports, now)
            publish_credential_changes(plans, written, ports.publish)
    except Exception:
        if receipt_id is None:
            ports.webhooks.store(provider=PROVIDER_OF_KIND[kind], kind=kind, payload=payload, now=now)
        raise
    if kind == SENDGRID_EVENTS:  # Twilio's status callbacks carry no time of their own
        for report in reports:
            WEBHOOK_LAG_SECONDS.labels(PROVIDER_OF_KIND[kind]).observe(
                max((now - report.occurred_at).total_seconds(), 0.0))
    return _after_commit(plans, written, ports, now)


def reports_in(kind: str, payload: Mapping, received_at: datetime) -> list[DeliveryReport]:
    if kind == SENDGRID_EVENTS:
        return parse_sendgrid_events(payload["body"])
    report = parse_twilio_status(payload["url"], _form(payload["body"]), received_at)
    return [] if report is None else [report]


def apply_status_reports(reports: Iterable[DeliveryReport], *, ports: WebhookPorts) -> int:
    """Apply the reports not yet recorded on their deliveries, in one transaction; how many were applied."""
    now = ports.clock()
    with ports.webhooks.transaction():
        plans = plan_reports(list(reports), ports)
        written = write_plans(plans, ports, now)
        publish_credential_changes(plans, written, ports.publish)
    return _after_commit(plans, written, ports, now)


@dataclass(frozen=True, slots=True)
class _PagePlan:
    """What one (communication, channel) page of reports changes, judged before anything is written."""

    record: JobRecord
    # The credentials whose state a verdict may change, as they were when judged.
    before: Mapping[tuple[CredentialKind, str], CredentialState]
    # Whether a delivery left the sendable statuses, so the communication may now be complete.
    may_complete: bool
    # Failures that overturn `delivered` (report_order: SendGrid's later bounce), which ranks no lower.
    overturned: tuple[DeliveryResult, ...] = ()


@dataclass(frozen=True, slots=True)
class _Written:
    created: tuple[tuple[str, list[tuple[str, Channel]]], ...]
    health: Mapping[tuple[CredentialKind, str], Health]


def plan_reports(reports: list[DeliveryReport], ports: WebhookPorts) -> list[_PagePlan]:
    located = _locate(reports, ports.webhooks)
    targets, recorded = ports.webhooks.report_targets({delivery_id for delivery_id, _ in located})
    pages: dict[tuple[str, Channel], list[tuple[PageDelivery, DeliveryReport]]] = {}
    for delivery_id, report in located:
        mark = (delivery_id, report.outcome.value, report.provider_code)
        if delivery_id in targets and mark not in recorded:
            recorded.add(mark)  # the same event twice in one batch counts once
            communication_id, delivery = targets[delivery_id]
            pages.setdefault((communication_id, delivery.channel), []).append((delivery, report))
    plans = []
    for (communication_id, channel), items in pages.items():
        plan = _plan_page(communication_id, channel, items, ports)
        if plan is not None:
            plans.append(plan)
    return plans


def _locate(reports: list[DeliveryReport], webhooks: WebhooksRepository) -> list[tuple[str, DeliveryReport]]:
    """Each report with its delivery: the id it carries, else the one delivery with its provider message id."""
    by_message = webhooks.deliveries_by_message_id(
        {report.provider_message_id for report in reports if report.delivery_id is None})
    located = [(report.delivery_id or by_message.get(report.provider_message_id), report) for report in reports]
    return [(delivery_id, report) for delivery_id, report in located if delivery_id is not None]


def _plan_page(communication_id: str, channel: Channel, items: list[tuple[PageDelivery, DeliveryReport]],
               ports: WebhookPorts) -> _PagePlan | None:
    current = {delivery.id: delivery for delivery, _ in items}
    verdicts = []
    overturned = []
    for delivery_id, report in sorted(((d.id, r) for d, r in items), key=lambda item: item[1].occurred_at):
        delivery = current[delivery_id]
        verdict = judge_report(delivery, report)
        if verdict is None:
            continue
        verdicts.append(verdict)
        if overturns(delivery, verdict):
            overturned.append(verdict.result)
            status = verdict.result.status
        else:
            status = advanced_status(delivery.status, verdict.result.status)
        # A later report in the same batch judges the delivery as this one left it.
        current[delivery_id] = replace(delivery, status=status)
    if not verdicts:
        return None
    # The credentials' states as judged, before this page's marks; a delivery's mark never changes a state.
    before = {(change.kind, change.address): verdict.delivery.credential_state
              for verdict in verdicts
              if (change := verdict.credential) is not None and change.change is not HealthChange.DELIVERED}
    failed = [v.delivery for v in verdicts if v.fall_back]
    fallbacks = []
    if failed:
        communication = ports.deliveries.communication_content(communication_id)
        if communication is None:
            return None
        fallbacks = plan_fallbacks(communication, failed, ports.deliveries)
    record = JobRecord(communication_id, channel, tuple(v.result for v in verdicts),
                       tuple(v.credential for v in verdicts if v.credential is not None), tuple(fallbacks),
                       source=EventSource.WEBHOOK)
    may_complete = any(verdict.delivery.status in SENDABLE_STATUSES for verdict in verdicts)
    return _PagePlan(record, before, may_complete, tuple(overturned))


def write_plans(plans: list[_PagePlan], ports: WebhookPorts, now: datetime) -> _Written:
    """Inside the caller's transaction."""
    created = tuple(zip((plan.record.communication_id for plan in plans),
                        ports.deliveries.write_records([plan.record for plan in plans], now=now)))
    ports.webhooks.overturn_delivered_in_transaction([result for plan in plans for result in plan.overturned],
                                                     now=now)
    changed = {key for plan in plans for key in plan.before}
    health = ports.credentials.health_in_transaction(changed) if changed else {}
    return _Written(created, health)


def _after_commit(plans: list[_PagePlan], written: _Written, ports: WebhookPorts, now: datetime) -> int:
    complete_and_fall_back(plans, written, ports, now)
    return applied_count(plans)


def complete_and_fall_back(plans: list[_PagePlan], written: _Written, ports: WebhookPorts, now: datetime) -> None:
    """After the reports' transaction: communications now complete, and the fallbacks it created queued."""
    for plan in plans:
        if plan.may_complete:
            ports.deliveries.complete_if_done(plan.record.communication_id, now=now)
    for communication_id, created in written.created:
        if created:
            queue_fallbacks(communication_id, created, ports.deliveries, ports.jobs, ports.clock)


def publish_credential_changes(plans: list[_PagePlan], written: _Written, publish: Publish) -> None:
    """CREDENTIAL_STATUS_CHANGED for each credential whose state the reports changed (inside the transaction:
    the outbox stages them with the change)."""
    for plan in plans:
        for (kind, address), state in plan.before.items():
            now_health = written.health.get((kind, address))
            if now_health is not None and now_health.state is not state:
                publish_change(kind, address, now_health, publish)


def applied_count(plans: list[_PagePlan]) -> int:
    return sum(len(plan.record.results) for plan in plans)


def apply_inbound_sms(params: Mapping[str, str], *, ports: WebhookPorts) -> int:
    """STOP opts the number out, START opts it back in; 1 when the number's state changed.

    Other texts are replies, filed into the conversation whose latest message went to that phone (1 when
    filed); a keyword never is.
    """
    sms = parse_twilio_inbound(params)
    if sms.keyword is None:
        if ports.file_texts is None:
            return 0
        return ports.file_texts([InboundText(sms.from_, sms.body, params.get("MessageSid"))])
    return _apply_keyword(sms.from_, sms.keyword, ports)


def _apply_keyword(phone: str, keyword, ports: WebhookPorts) -> int:
    def decide(state: CredentialState) -> tuple[CredentialState, str | None]:
        after = state_after_keyword(state, keyword)
        return after, OPT_OUT_REASON if after is CredentialState.OPTED_OUT else None

    before, after = ports.credentials.change_state(
        CredentialKind.MOBILE_PHONE, phone, decide, now=ports.clock(),
        announce_change=lambda health: publish_change(CredentialKind.MOBILE_PHONE, phone, health, ports.publish))
    return 0 if after.state is before.state else 1


def publish_change(kind: CredentialKind, address: str, health: Health, publish: Publish) -> None:
    publish(notify.CREDENTIAL_STATUS_CHANGED, {"kind": kind.value, "address": address, "state": health.state.value,
                                                "reason": health.reason})


def message_sid(body: str) -> str | None:
    """Twilio's id of an inbound text (34 characters); None when it gives none."""
    return (_form(body).get("MessageSid") or "").strip()[:64] or None


def _form(body: str) -> dict[str, str]:
    return dict(parse_qsl(body, keep_blank_values=True))

"""What a provider's status report means for one delivery: the worker's verdicts, seen from a webhook.

Pure. Which reports still count once a delivery has an ending, per provider,
is domain/report_order.py's rule. A report is news about a message already
handed to the provider, so:
- it is never an attempt of ours (attempts stay as the worker counted them);
- accepted, delivered and permanent failures mean what the worker's
  `judge_receipt` says they mean (statuses, credential marks, F1);
- a temporary failure the provider reports as final (Twilio's undelivered
  with 30003, a call nobody answered) ends the delivery: the provider's own
  tries are over, so it counts as a soft failure on the credential and F1
  falls back, as when the worker's retries run out;
- SendGrid's bounce after `delivered` overturns it: failed, marked, F1;
- a reaction (complaint, unsubscribe) marks the credential and delivers the
  delivery if nothing had yet; it never sends anything again;
- what the rule ignores (Twilio's failure after delivered, any report after a
  failure, deferred) is judged None: nothing changes.
"""
from __future__ import annotations

from dataclasses import replace

from services.notify.domain.delivery import (
    CREDENTIAL_OF_CHANNEL,
    RETRYABLE_FAILURES,
    DeliveryStatus,
    ProviderReceipt,
)
from services.notify.domain.outcomes import DeliveryReport
from services.notify.domain.report_order import PROVIDER_OF_CHANNEL, Effect, effect_of, report_kind
from services.notify.domain.retry import DELIVERY_RETRY
from services.notify.ports import CredentialChange, DeliveryResult, HealthChange, LedgerAction, PageDelivery
from services.notify.worker.verdicts import Verdict, judge_receipt


def effect_of_report(delivery: PageDelivery, report: DeliveryReport) -> Effect:
    provider = PROVIDER_OF_CHANNEL.get(delivery.channel)
    if provider is None:  # app and push deliveries have no provider reports
        return Effect.IGNORE
    return effect_of(provider, delivery.status, report_kind(provider, report.outcome, report.provider_code))


def judge_report(delivery: PageDelivery, report: DeliveryReport) -> Verdict | None:
    """None when the report changes nothing."""
    effect = effect_of_report(delivery, report)
    if effect is Effect.IGNORE:
        return None
    if report.outcome in RETRYABLE_FAILURES:
        return _gave_up(delivery, report)
    # Accepted, delivered, permanent outcomes and reactions never consult the retry policy.
    receipt = ProviderReceipt(delivery.id, report.outcome, provider_code=report.provider_code, reason=report.reason)
    verdict = judge_receipt(delivery, receipt, DELIVERY_RETRY)
    verdict = replace(verdict, result=replace(verdict.result, attempted=False))
    if effect is Effect.REACTION:
        # The person received it: delivered (where it had no ending yet), the credential marked, nothing resent.
        verdict = replace(verdict, result=replace(verdict.result, status=DeliveryStatus.DELIVERED), fall_back=False)
    return verdict


def overturns(delivery: PageDelivery, verdict: Verdict) -> bool:
    """Whether the verdict fails a delivery that was delivered (a later bounce): a status of the same rank,
    which the store's forward-only writes would not take on their own."""
    return delivery.status is DeliveryStatus.DELIVERED and verdict.result.status is DeliveryStatus.FAILED


def _gave_up(delivery: PageDelivery, report: DeliveryReport) -> Verdict:
    reason = f"not delivered: {report.reason or report.outcome.value.replace('_', ' ')}"
    kind = CREDENTIAL_OF_CHANNEL.get(delivery.channel)
    credential = None if kind is None or delivery.address is None else CredentialChange(
        kind, delivery.address, HealthChange.SOFT_FAILURE, report.outcome, reason)
    result = DeliveryResult(delivery.id, delivery.person_id, DeliveryStatus.FAILED, report.outcome, attempted=False,
                            ledger=LedgerAction.NONE, provider_code=report.provider_code, reason=reason)
    return Verdict(delivery, result, credential=credential, fall_back=True)

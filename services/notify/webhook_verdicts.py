"""What a provider's status report means for one delivery: the worker's verdicts, seen from a webhook.

Pure. A report is news about a message already handed to the provider, so:
- it is never an attempt of ours (attempts stay as the worker counted them);
- accepted, delivered and permanent failures mean what the worker's
  `judge_receipt` says they mean (statuses, credential marks, F1);
- a temporary failure the provider reports as final (Twilio's undelivered
  with 30003, a call nobody answered) ends the delivery: the provider's own
  tries are over, so it counts as a soft failure on the credential and F1
  falls back, as when the worker's retries run out;
- SendGrid's `deferred` is not final (SendGrid keeps trying for 72 h): nothing changes;
- a delivery already delivered or decided is not sent again (no F1), but a
  complaint or unsubscribe after delivery still marks the credential.
"""
from __future__ import annotations

from dataclasses import replace

from services.notify.domain.delivery import (
    CREDENTIAL_OF_CHANNEL,
    RETRYABLE_FAILURES,
    STATUS_RANK,
    DeliveryStatus,
    ProviderReceipt,
)
from services.notify.domain.outcomes import DeliveryReport
from services.notify.domain.retry import DELIVERY_RETRY
from services.notify.worker.ports import CredentialChange, DeliveryResult, HealthChange, LedgerAction, PageDelivery
from services.notify.worker.verdicts import Verdict, judge_receipt

SENDGRID_DEFERRED = "deferred"


def is_final(report: DeliveryReport) -> bool:
    """Whether the provider has finished with the message (SendGrid's event name is the report's code)."""
    return report.provider_code != SENDGRID_DEFERRED


def judge_report(delivery: PageDelivery, report: DeliveryReport) -> Verdict | None:
    """None when the report changes nothing yet."""
    if report.outcome in RETRYABLE_FAILURES:
        if not is_final(report):
            return None
        verdict = _gave_up(delivery, report)
    else:
        # Accepted, delivered and permanent outcomes never consult the retry policy.
        receipt = ProviderReceipt(delivery.id, report.outcome, provider_code=report.provider_code,
                                  reason=report.reason)
        verdict = judge_receipt(delivery, receipt, DELIVERY_RETRY)
        verdict = replace(verdict, result=replace(verdict.result, attempted=False))
    if verdict.fall_back and STATUS_RANK[delivery.status] >= STATUS_RANK[DeliveryStatus.DELIVERED]:
        verdict = replace(verdict, fall_back=False)
    return verdict


def _gave_up(delivery: PageDelivery, report: DeliveryReport) -> Verdict:
    reason = f"not delivered: {report.reason or report.outcome.value.replace('_', ' ')}"
    kind = CREDENTIAL_OF_CHANNEL.get(delivery.channel)
    credential = None if kind is None or delivery.address is None else CredentialChange(
        kind, delivery.address, HealthChange.SOFT_FAILURE, report.outcome, reason)
    result = DeliveryResult(delivery.id, delivery.person_id, DeliveryStatus.FAILED, report.outcome, attempted=False,
                            ledger=LedgerAction.NONE, provider_code=report.provider_code, reason=reason)
    return Verdict(delivery, result, credential=credential, fall_back=True)

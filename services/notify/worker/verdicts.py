"""What one provider answer means for one delivery: its new status, the ledger, the credential, what next.

Pure. DESIGN.md §3: a permanent failure (hard bounce, complaint, opt-out) marks
the credential bad or opted out and falls back (F1); a temporary one is retried
with backoff, and when the retries run out the delivery fails, counts as one
soft failure on its credential (a repeated pattern turns it bad) and falls back.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.notify.domain.delivery import (
    CREDENTIAL_OF_CHANNEL,
    PERMANENT_FAILURES,
    RETRYABLE_FAILURES,
    DeliveryStatus,
    Outcome,
    ProviderReceipt,
)
from services.notify.domain.retry import RetryPolicy
from services.notify.ports import CredentialChange, DeliveryResult, HealthChange, LedgerAction, PageDelivery

_MARK_FOR = {Outcome.HARD_BOUNCE: HealthChange.BAD, Outcome.COMPLAINT: HealthChange.BAD,
             Outcome.OPT_OUT: HealthChange.OPTED_OUT}


@dataclass(frozen=True, slots=True)
class Verdict:
    delivery: PageDelivery
    result: DeliveryResult
    credential: CredentialChange | None = None
    fall_back: bool = False  # F1: plan the alternative channel
    retry: bool = False  # send again after a backoff; `result` keeps it queued with its ledger key released
    provider_outage: bool = False  # the provider could not take its batch: the longer outage budget applies

    @property
    def attempts(self) -> int:
        return self.delivery.attempts + int(self.result.attempted)


def judge_receipt(delivery: PageDelivery, receipt: ProviderReceipt, policy: RetryPolicy, *,
                  provider_outage: bool = False) -> Verdict:
    """`provider_outage`: the provider could not take the batch at all, which says nothing about the
    recipient, so running out of retries then does not count against the credential."""
    outcome = receipt.outcome
    answered = dict(outcome=outcome, attempted=True, provider_message_id=receipt.provider_message_id,
                    provider_code=receipt.provider_code)
    if outcome is Outcome.ACCEPTED:
        return Verdict(delivery, _result(delivery, DeliveryStatus.SENT, LedgerAction.MARK_SENT, receipt.reason,
                                         **answered))
    if outcome is Outcome.DELIVERED:
        return Verdict(delivery, _result(delivery, DeliveryStatus.DELIVERED, LedgerAction.MARK_SENT, receipt.reason,
                                         **answered),
                       credential=_credential(delivery, HealthChange.DELIVERED, outcome, receipt.reason))
    if outcome in PERMANENT_FAILURES:
        reason = receipt.reason or outcome.value.replace("_", " ")
        return Verdict(delivery, _result(delivery, DeliveryStatus.FAILED, LedgerAction.MARK_SENT, reason, **answered),
                       credential=_credential(delivery, _MARK_FOR[outcome], outcome, reason), fall_back=True)
    if outcome not in RETRYABLE_FAILURES:
        raise ValueError(f"no rule for the outcome {outcome!r}")
    reason = receipt.reason or outcome.value.replace("_", " ")
    if not policy.exhausted(delivery.attempts + 1, provider_outage=provider_outage):
        return Verdict(delivery, _result(delivery, DeliveryStatus.QUEUED, LedgerAction.RELEASE, reason, **answered),
                       retry=True, provider_outage=provider_outage)
    exhausted = f"gave up after {delivery.attempts + 1} attempts: {reason}"
    credential = None if provider_outage else _credential(delivery, HealthChange.SOFT_FAILURE, outcome, reason)
    return Verdict(delivery, _result(delivery, DeliveryStatus.FAILED, LedgerAction.MARK_SENT, exhausted, **answered),
                   credential=credential, fall_back=True)


def judge_expired(delivery: PageDelivery) -> Verdict:
    """A personal message whose values are gone (its link or code expired and was forgotten): never sent,
    and nothing to fall back to: the same message on another channel would be as stale."""
    return Verdict(delivery, _result(delivery, DeliveryStatus.FAILED, LedgerAction.NONE,
                                     "expired before it could be sent", outcome=None, attempted=False),
                   fall_back=False)


def judge_unsendable(delivery: PageDelivery) -> Verdict:
    """A delivery whose credential went bad (or never had an address) after planning: not attempted, F1."""
    if delivery.address is None:
        reason = f"no {delivery.channel.value} address"
    else:
        reason = f"{CREDENTIAL_OF_CHANNEL[delivery.channel].value} is {delivery.credential_state.value}"
        if delivery.credential_reason:
            reason += f": {delivery.credential_reason}"
    return Verdict(delivery, _result(delivery, DeliveryStatus.FAILED, LedgerAction.NONE, reason, outcome=None,
                                     attempted=False), fall_back=True)


def _result(delivery: PageDelivery, status: DeliveryStatus, ledger: LedgerAction, reason: str | None,
            **answered) -> DeliveryResult:
    return DeliveryResult(delivery.id, delivery.person_id, status, ledger=ledger, reason=reason, **answered)


def _credential(delivery: PageDelivery, change: HealthChange, outcome: Outcome,
                reason: str | None) -> CredentialChange | None:
    kind = CREDENTIAL_OF_CHANNEL.get(delivery.channel)
    if kind is None or delivery.address is None:
        return None
    return CredentialChange(kind, delivery.address, change, outcome, reason)

"""A push job's sends: each claimed delivery pushed to every device its person registered.

A push delivery is one person's; FCM takes one message per device token. The
person's answers make one receipt (domain.push.person_result), judged like any
provider's (verdicts.judge_receipt): sent, retried with backoff, or failed.
Push never falls back and has no credential health: the inbox item it
accompanies was delivered already. Tokens FCM reports stale are returned for
the caller to forget, whatever became of the delivery.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from services.notify.domain.delivery import Channel, DeliveryStatus, Outcome, ProviderReceipt
from services.notify.domain.push import PushAnswer, PushNotification, PushOutcome, notification_for, person_result
from services.notify.domain.retry import RetryPolicy
from services.notify.ports import CommunicationContent, DeliveryResult, LedgerAction, PageDelivery
from services.notify.worker.verdicts import Verdict, judge_receipt

_RECEIPT_OUTCOMES = {PushOutcome.ACCEPTED: Outcome.ACCEPTED, PushOutcome.TRANSIENT: Outcome.TRANSIENT,
                     PushOutcome.STALE_TOKEN: Outcome.HARD_BOUNCE, PushOutcome.REFUSED: Outcome.HARD_BOUNCE}


class PushChannel(Protocol):
    """Sends one notification to one device token (FCM HTTP v1); never raises for an answer or a
    transport failure: those are PushAnswers (a refused connection is TRANSIENT)."""

    channel: Channel

    def push(self, token: str, notification: PushNotification) -> PushAnswer: ...


def push_verdicts(claimed: Sequence[PageDelivery], communication: CommunicationContent,
                  tokens: Mapping[str, Sequence[str]], push: PushChannel,
                  policy: RetryPolicy) -> tuple[list[Verdict], list[str]]:
    """A verdict per claimed delivery (none falls back), and the stale tokens to forget."""
    verdicts, stale = [], []
    for delivery in claimed:
        person_tokens = tokens.get(delivery.person_id, ())
        if not person_tokens:
            verdicts.append(_no_device(delivery))
            continue
        notification = notification_for(communication.id, communication.kind,
                                        *communication.text_for(delivery.language), priority=communication.priority)
        result = person_result({token: push.push(token, notification) for token in person_tokens})
        stale.extend(result.stale_tokens)
        receipt = ProviderReceipt(delivery.id, _RECEIPT_OUTCOMES[result.outcome], provider_code=result.code,
                                  reason=result.reason)
        verdict = judge_receipt(delivery, receipt, policy)
        verdicts.append(Verdict(verdict.delivery, verdict.result, retry=verdict.retry))
    return verdicts, stale


def _no_device(delivery: PageDelivery) -> Verdict:
    """Every device was removed after planning: nothing to push to, nothing to retry."""
    return Verdict(delivery, DeliveryResult(delivery.id, delivery.person_id, DeliveryStatus.FAILED, outcome=None,
                                            attempted=False, ledger=LedgerAction.MARK_SENT,
                                            reason="no registered device"))

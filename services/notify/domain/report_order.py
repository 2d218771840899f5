"""Which status reports still count once a delivery has an ending: one rule per provider, whatever the order.

Pure. Providers repeat and reorder their webhooks, so a report may arrive
after another that describes a later moment. What a report does depends on
what it is (its kind) and on the ending the delivery already has:

- Progress (accepted, queued, sent, SendGrid's `processed`) never changes an
  ending; SendGrid's `deferred` changes nothing at all (SendGrid keeps trying
  for 72 h, and says how it ended).
- **SendGrid: a bounce or drop outranks `delivered`.** `delivered` only says
  the receiving server took the message; a bounce with a later timestamp is
  that server giving it back (an asynchronous bounce), so the message did not
  reach the person: the delivery fails, the address is marked by the bounce's
  class and the same communication falls back (F1). A `delivered` arriving
  after a bounce or drop, in either order of arrival, changes nothing.
- **Twilio: the first ending stands.** A message's or call's callbacks carry
  no time of their own (or only the second), and Twilio documents
  `delivered`, `undelivered` and `failed` as final, so a callback that
  contradicts an ending already recorded is out-of-order news about an
  earlier moment: `undelivered` after `delivered` does not bench the number,
  and `delivered` after a failure does not undo its fallback.
- **A reaction** (SendGrid's `spamreport`, `unsubscribe`,
  `group_unsubscribe`) is the person answering a message they received: it
  marks the address (bad, opted out) but never fails the delivery nor sends
  it again; arriving before `delivered`, it delivers it.
- A delivery skipped by the planner was never handed to a provider: no report is about it.

Repeats of the same report are the caller's to skip (a report already in the
delivery's history); this rule decides between *different* reports.
"""
from __future__ import annotations

from enum import StrEnum

from services.notify.domain.delivery import (
    PERMANENT_FAILURES,
    RETRYABLE_FAILURES,
    Channel,
    DeliveryStatus,
    Outcome,
    advanced_status,
)


class Provider(StrEnum):
    TWILIO = "twilio"
    SENDGRID = "sendgrid"


PROVIDER_OF_CHANNEL = {Channel.EMAIL: Provider.SENDGRID, Channel.SMS: Provider.TWILIO,
                       Channel.VOICE: Provider.TWILIO}

# SendGrid events that answer a message the person received (the report's code is the event name).
SENDGRID_REACTIONS = frozenset({"spamreport", "unsubscribe", "group_unsubscribe"})
# A SendGrid report that is not an ending: SendGrid is still trying.
SENDGRID_DEFERRED = "deferred"


class ReportKind(StrEnum):
    PROGRESS = "progress"  # the provider has it (accepted, queued, sent, processed): never an ending
    STILL_TRYING = "still_trying"  # SendGrid's deferred: it retries for 72 h, nothing to record yet
    DELIVERED = "delivered"
    FAILURE = "failure"  # the provider gave up: a permanent failure, or a temporary one it stopped retrying
    REACTION = "reaction"  # the person answered the message: a complaint or an unsubscribe


class Effect(StrEnum):
    APPLY = "apply"  # judged as the worker judges a provider's answer (status, credential, F1)
    OVERTURN = "overturn"  # SendGrid's bounce after delivered: the delivery fails after all, marks, F1
    REACTION = "reaction"  # the credential is marked; the delivery is (at least) delivered; nothing is sent again
    IGNORE = "ignore"  # nothing changes: out-of-order news, or no ending yet


ENDED_DELIVERED = frozenset({DeliveryStatus.DELIVERED})
ENDED_FAILED = frozenset({DeliveryStatus.FAILED, DeliveryStatus.FELL_BACK})


def report_kind(provider: Provider, outcome: Outcome, provider_code: str | None) -> ReportKind:
    if provider is Provider.SENDGRID and provider_code in SENDGRID_REACTIONS:
        return ReportKind.REACTION
    if provider is Provider.SENDGRID and provider_code == SENDGRID_DEFERRED:
        return ReportKind.STILL_TRYING
    if outcome is Outcome.ACCEPTED:
        return ReportKind.PROGRESS
    if outcome is Outcome.DELIVERED:
        return ReportKind.DELIVERED
    if outcome in PERMANENT_FAILURES or outcome in RETRYABLE_FAILURES:
        return ReportKind.FAILURE
    raise ValueError(f"no report kind for the outcome {outcome!r}")


def effect_of(provider: Provider, status: DeliveryStatus, kind: ReportKind) -> Effect:
    """What a report of `kind` does to a delivery now in `status`."""
    if status is DeliveryStatus.SKIPPED or kind is ReportKind.STILL_TRYING:
        return Effect.IGNORE
    if kind is ReportKind.REACTION:
        return Effect.REACTION
    if status in ENDED_DELIVERED:
        if kind is ReportKind.FAILURE and provider is Provider.SENDGRID:
            return Effect.OVERTURN
        return Effect.IGNORE
    if status in ENDED_FAILED:
        return Effect.IGNORE
    return Effect.APPLY


def status_after(provider: Provider, status: DeliveryStatus, kind: ReportKind) -> DeliveryStatus:
    """The delivery's status once a report of `kind` is applied (before any fallback makes FAILED FELL_BACK)."""
    effect = effect_of(provider, status, kind)
    if effect is Effect.IGNORE:
        return status
    if effect is Effect.OVERTURN:
        return DeliveryStatus.FAILED
    proposed = {ReportKind.PROGRESS: DeliveryStatus.SENT, ReportKind.DELIVERED: DeliveryStatus.DELIVERED,
                ReportKind.FAILURE: DeliveryStatus.FAILED, ReportKind.REACTION: DeliveryStatus.DELIVERED}[kind]
    return advanced_status(status, proposed)

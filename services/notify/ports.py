"""What notify's use cases need from the outside world: the values they exchange with it and the typed
protocols the adapters implement (the SQL repositories, the queue publisher, the email provider's
suppressions); unit tests give in-memory fakes.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from services.notify.domain.delivery import (
    Channel,
    Communication,
    CredentialKind,
    CredentialState,
    DeliveryStatus,
    Outcome,
    ProviderReceipt,
)
from services.notify.domain.planner import PlanRecipient, PlanRequest
from services.notify.domain.translation import CommunicationTranslation, render
from services.notify.queue.jobs import DeliveryJob
from services.notify.queue.publisher import DelayedJob, RawMessage
from shared.contracts.identity import DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class CommunicationContent:
    id: str
    district_id: str
    kind: Communication
    subject: str | None
    body: str
    priority: bool
    with_call: bool
    # Each person's language (domain.translation): what the subject and body were written in, and their
    # translations by language; none when every recipient reads the original.
    original_language: str = DEFAULT_LANGUAGE
    translations: Mapping[str, CommunicationTranslation] | None = None

    def text_for(self, language: str | None) -> tuple[str | None, str]:
        """Subject and body as a reader of `language` gets them: their translation, or the original (with a
        note when their translation failed). Every channel, push included, renders through this."""
        if not self.translations:
            return self.subject, self.body
        rendered = render(subject=self.subject, body=self.body, original_language=self.original_language,
                          language=language, translations=self.translations)
        return rendered.subject, rendered.body


@dataclass(frozen=True, slots=True)
class PageDelivery:
    """A delivery of the job's page, with the health of its credential as it is now."""

    id: str
    person_id: str
    channel: Channel
    address: str | None
    label: str | None
    status: DeliveryStatus
    attempts: int
    credential_state: CredentialState = CredentialState.GOOD
    credential_reason: str | None = None
    personal: Mapping[str, str] | None = None  # what the message says to this person only (domain.messages)
    language: str | None = None  # the person's, when the communication has translations


@dataclass(frozen=True, slots=True)
class JobPage:
    communication: CommunicationContent | None  # None: no such communication
    deliveries: tuple[PageDelivery, ...]  # the job's deliveries that exist, in its communication and channel
    # Fallbacks of this page's deliveries created by an earlier run of this job that died before
    # confirming their jobs on the queue: (delivery id, channel).
    unqueued_fallbacks: tuple[tuple[str, Channel], ...] = ()


class LedgerAction(StrEnum):
    MARK_SENT = "mark_sent"  # the provider answered: never send this key again
    RELEASE = "release"  # the provider did not take it: a retry may claim the key again
    NONE = "none"  # nothing was claimed (the credential was bad before sending)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivery_id: str
    person_id: str
    status: DeliveryStatus  # FAILED becomes FELL_BACK when the store creates its fallback
    outcome: Outcome | None
    attempted: bool
    ledger: LedgerAction
    provider_message_id: str | None = None
    provider_code: str | None = None
    reason: str | None = None


class HealthChange(StrEnum):
    BAD = "bad"
    OPTED_OUT = "opted_out"
    SOFT_FAILURE = "soft_failure"  # one more delivery used up its retries on soft failures
    DELIVERED = "delivered"  # the pattern of soft failures is broken


@dataclass(frozen=True, slots=True)
class CredentialChange:
    kind: CredentialKind
    address: str
    change: HealthChange
    outcome: Outcome | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class Fallback:
    """F1: the same communication on the alternative channel, replacing `failed_delivery_id`."""

    failed_delivery_id: str
    person_id: str
    channel: Channel
    address: str
    label: str | None


class EventSource(StrEnum):
    """Who saw what a delivery event records (delivery_events.source)."""

    WORKER = "worker"
    WEBHOOK = "webhook"
    PLANNER = "planner"


@dataclass(frozen=True, slots=True)
class JobRecord:
    """Everything one page of provider answers changes, written in one transaction."""

    communication_id: str
    channel: Channel
    results: tuple[DeliveryResult, ...]
    credentials: tuple[CredentialChange, ...] = ()
    fallbacks: tuple[Fallback, ...] = ()
    source: EventSource = EventSource.WORKER


@dataclass(frozen=True, slots=True)
class FallbackContext:
    request: PlanRequest
    recipients: Mapping[str, PlanRecipient]  # people notify no longer knows are left out
    channels_used: Mapping[str, frozenset[Channel]]  # per person: channels this communication has a delivery on


class DeliveryStore(Protocol):
    def load_page(self, job: DeliveryJob) -> JobPage:
        """The job's communication and deliveries with their credentials' health, in one or two queries."""

    def claim_sends(self, communication_id: str, channel: Channel, deliveries: Sequence[PageDelivery], *,
                    job_id: str, now: datetime) -> set[str]:
        """Write 'sending' ledger rows, committed before any provider call; the ids this job may send:
        keys not in the ledger yet, and keys this same job left 'sending' when it died."""

    def record_answers(self, communication_id: str, channel: Channel, answers: Mapping[str, ProviderReceipt], *,
                       job_id: str, now: datetime) -> None:
        """One provider call's receipts by person id, committed before the next call: this job's 'sending'
        ledger rows become 'answered', each keeping its receipt."""

    def answered_sends(self, communication_id: str, channel: Channel, deliveries: Sequence[PageDelivery], *,
                       job_id: str) -> dict[str, ProviderReceipt]:
        """By delivery id: the receipts an earlier run of this same job kept and died before recording."""

    def deliver_to_inbox(self, communication_id: str, deliveries: Sequence[PageDelivery], *,
                         now: datetime) -> int:
        """The app channel: inbox items and delivered statuses in one transaction; how many were new."""

    def device_tokens(self, person_ids: Sequence[str]) -> Mapping[str, Sequence[str]]:
        """Push: each person's registered device tokens; people without any left out."""

    def forget_device_tokens(self, tokens: Sequence[str]) -> None:
        """Push: delete the devices whose tokens FCM reported stale."""

    def load_fallback_context(self, communication: CommunicationContent,
                              person_ids: Sequence[str]) -> FallbackContext:
        """What the planner needs to choose these people's alternative channel."""

    def record_job(self, record: JobRecord, *, now: datetime) -> list[tuple[str, Channel]]:
        """Apply a job's results in one transaction; statuses never move backwards. The fallbacks created."""

    def mark_queued(self, delivery_ids: Sequence[str], *, now: datetime) -> None:
        """Planned deliveries whose jobs the broker confirmed."""


class FollowUpPublisher(Protocol):
    def publish_jobs(self, jobs: Iterable[DeliveryJob]) -> None:
        """Returns once the broker confirmed every job; raises otherwise."""

    def publish_later(self, delayed: Iterable[DelayedJob]) -> None:
        """The same, for jobs that come back to the work queue after a delay."""

    def publish_dead_letter(self, message: RawMessage) -> None:
        """A message given up on, its reason in its headers, onto the dead-letter queue; confirmed."""


class EmailSuppressions(Protocol):
    """The email provider's suppression lists (SendGrid's suppression API); raises SuppressionsUnavailable."""

    def lists_holding(self, address: str) -> frozenset[str]:
        """The names of the lists (domain/email_suppression.SUPPRESSION_LISTS) that hold `address`."""

    def remove(self, address: str, list_name: str) -> None:
        """Takes `address` off one list."""

"""The delivery vocabulary every part of notify speaks: planner, queue, workers, providers, reports.

Plain values only, no I/O. A *delivery* is one communication to one recipient on
one channel; its key (communication, recipient, channel) is unique, which is
what makes a redelivered job safe to process again.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    APP = "app"
    # A notification to the person's registered devices, alongside each app delivery (FCM).
    PUSH = "push"


PROVIDER_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.VOICE)
# Channels whose deliveries go through the queue and the workers: the providers', and push, which has no
# credential health and never falls back (it only ever accompanies the inbox item).
QUEUED_CHANNELS = (*PROVIDER_CHANNELS, Channel.PUSH)


class Preference(StrEnum):
    EMAIL_APP = "email_app"
    SMS_APP = "sms_app"
    APP_ONLY = "app_only"


# DESIGN.md: "Email+app unless the district sets SMS+app".
DEFAULT_DISTRICT_PREFERENCE = Preference.EMAIL_APP
DISTRICT_PREFERENCES = (Preference.EMAIL_APP, Preference.SMS_APP)


class Communication(StrEnum):
    ANNOUNCEMENT = "announcement"
    MESSAGE = "message"
    INVITATION = "invitation"
    # A one-off code to an address someone is proving they control: no row of the table plans it, and
    # it never falls back to another channel (the address is the point).
    VERIFICATION = "verification"


# Communications whose text differs per person (a Join link, a code): the worker composes each message from
# the person's own values (communication_personal) instead of sending one body to everyone.
PERSONAL_COMMUNICATIONS = frozenset({Communication.INVITATION, Communication.VERIFICATION})
# Communications whose deliveries may carry per-person values: the personal ones, and a conversation message
# (one text for all, but each email's own Reply-To address).
WITH_PERSONAL_VALUES = PERSONAL_COMMUNICATIONS | {Communication.MESSAGE}


class CredentialState(StrEnum):
    GOOD = "good"
    BAD = "bad"
    OPTED_OUT = "opted_out"


class Outcome(StrEnum):
    """What a provider said about one delivery, in our own classes (one table maps their codes)."""

    ACCEPTED = "accepted"  # the provider took it; a later webhook says how it ended
    DELIVERED = "delivered"
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    COMPLAINT = "complaint"
    OPT_OUT = "opt_out"
    TRANSIENT = "transient"


# Failures after which nothing more is attempted on that credential.
PERMANENT_FAILURES = frozenset({Outcome.HARD_BOUNCE, Outcome.COMPLAINT, Outcome.OPT_OUT})
# Failures worth retrying with backoff; a repeated pattern of them turns into bad.
RETRYABLE_FAILURES = frozenset({Outcome.SOFT_BOUNCE, Outcome.TRANSIENT})


class DeliveryStatus(StrEnum):
    PLANNED = "planned"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    FELL_BACK = "fell_back"  # failed, and the same communication went out on the alternative
    SKIPPED = "skipped"


# A status never moves backwards (a late "sent" webhook must not undo "delivered").
STATUS_RANK = {
    DeliveryStatus.PLANNED: 0,
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.FAILED: 3,
    DeliveryStatus.FELL_BACK: 4,
    DeliveryStatus.SKIPPED: 4,
}


def advanced_status(current: DeliveryStatus, proposed: DeliveryStatus) -> DeliveryStatus:
    """The status after `proposed` arrives: it wins only when it ranks higher, so late news never undoes."""
    return proposed if STATUS_RANK[proposed] > STATUS_RANK[current] else current


# Statuses a worker may still send: anything further along was sent, or decided, already.
SENDABLE_STATUSES = frozenset({DeliveryStatus.PLANNED, DeliveryStatus.QUEUED})


class CredentialKind(StrEnum):
    """What a channel's address is; health is kept per credential, whatever channel used it."""

    EMAIL = "email"
    MOBILE_PHONE = "mobile_phone"


CREDENTIAL_OF_CHANNEL = {
    Channel.EMAIL: CredentialKind.EMAIL,
    Channel.SMS: CredentialKind.MOBILE_PHONE,
    Channel.VOICE: CredentialKind.MOBILE_PHONE,
}


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to create for one person on one channel; no address on the app channel."""

    person_id: str
    channel: Channel
    address: str | None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One provider delivery, ready to send: the body already carries any `For <name>:` label."""

    delivery_id: str
    channel: Channel
    to: str
    body: str
    subject: str | None = None
    reply_to: str | None = None  # an email's Reply-To: a conversation message's own reply address


@dataclass(frozen=True, slots=True)
class ProviderReceipt:
    """The provider's immediate answer for one message of a batch."""

    delivery_id: str
    outcome: Outcome
    provider_message_id: str | None = None
    provider_code: str | None = None
    reason: str | None = None


# Told each provider call's receipts as soon as that call returns, before the next call starts.
Answered = Callable[[Sequence[ProviderReceipt]], None]


class ProviderChannel(Protocol):
    """Sends batches on one channel; email providers take many recipients per request."""

    channel: Channel
    max_batch: int

    def send(self, messages: Sequence[OutboundMessage], answered: Answered | None = None) -> list[ProviderReceipt]:
        """One receipt per message, in any order; raises only when the whole batch could not be attempted.

        `answered`, when given, gets the receipts of each request the provider answered, right after it
        answered and before the next request of the batch: the worker writes them down there, so a crash
        mid-batch repeats only the request in flight. Whatever `answered` raises propagates unchanged."""
        ...

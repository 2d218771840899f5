"""Push to a person's registered devices: what a notification says and what FCM's answers mean. No I/O.

Firebase Cloud Messaging's HTTP v1 API takes one message per token. Its errors
name a status and, in `details`, an FcmError `errorCode`. A token FCM no longer
knows (UNREGISTERED, answered 404) or refuses as malformed (INVALID_ARGUMENT
about `message.token`) is stale: its device is forgotten. Quota, server and
auth trouble are temporary: the delivery is retried with backoff like any
provider's.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.notify.domain.delivery import Communication
from services.notify.domain.inbox import preview

TITLE_LENGTH = 100
PUSH_PREVIEW_LENGTH = 180
# The most devices one person keeps; registering another forgets their least recently seen one.
MAX_DEVICES_PER_PERSON = 10


class PushOutcome(StrEnum):
    ACCEPTED = "accepted"
    STALE_TOKEN = "stale_token"  # forget the device
    TRANSIENT = "transient"  # try again later
    REFUSED = "refused"  # this message is wrong, not the token: not retried


@dataclass(frozen=True, slots=True)
class PushNotification:
    title: str
    body: str
    data: dict[str, str]


@dataclass(frozen=True, slots=True)
class PushAnswer:
    outcome: PushOutcome
    code: str | None = None
    reason: str | None = None
    message_name: str | None = None  # FCM's "projects/…/messages/…"


def notification_for(communication_id: str, kind: Communication, subject: str | None, body: str,
                     *, priority: bool = False) -> PushNotification:
    """The short form a phone shows; the app opens the inbox item the data names."""
    title = preview(subject or "", TITLE_LENGTH) or _DEFAULT_TITLES.get(kind, "New message")
    if priority:
        title = preview(f"Priority: {title}", TITLE_LENGTH)
    return PushNotification(title, preview(body, PUSH_PREVIEW_LENGTH),
                            {"communication_id": communication_id, "kind": kind.value})


_DEFAULT_TITLES = {Communication.ANNOUNCEMENT: "New announcement", Communication.MESSAGE: "New message"}
_STALE_CODES = frozenset({"UNREGISTERED"})
_TRANSIENT_CODES = frozenset({"QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL", "THIRD_PARTY_AUTH_ERROR"})
_TRANSIENT_STATUSES = frozenset({401, 403, 408, 429, 500, 502, 503, 504})


def fcm_answer(status: int, error_code: str | None, *, token_field: bool = False,
               message: str | None = None) -> PushAnswer:
    """What FCM's HTTP answer means for the token. `token_field`: a 400 whose violation names the token."""
    if 200 <= status < 300:
        return PushAnswer(PushOutcome.ACCEPTED)
    code = error_code or f"HTTP_{status}"
    reason = message or code
    if error_code in _STALE_CODES or status == 404:
        return PushAnswer(PushOutcome.STALE_TOKEN, code, reason)
    if status == 400 and (error_code in (None, "INVALID_ARGUMENT")) and token_field:
        return PushAnswer(PushOutcome.STALE_TOKEN, code, reason)
    if error_code in _TRANSIENT_CODES or status in _TRANSIENT_STATUSES:
        return PushAnswer(PushOutcome.TRANSIENT, code, reason)
    return PushAnswer(PushOutcome.REFUSED, code, reason)


@dataclass(frozen=True, slots=True)
class PersonPushResult:
    """A person's push delivery, from the answers for each of their devices."""

    outcome: PushOutcome
    stale_tokens: tuple[str, ...]
    reason: str | None
    code: str | None = None


def person_result(answers: dict[str, PushAnswer]) -> PersonPushResult:
    """Sent when any device took it (retrying would push twice to that one); else retried when any
    failure was temporary; else failed. Stale tokens are forgotten whatever the rest did."""
    stale = tuple(sorted(token for token, answer in answers.items() if answer.outcome is PushOutcome.STALE_TOKEN))
    outcomes = {answer.outcome for answer in answers.values()}
    if not answers:
        return PersonPushResult(PushOutcome.REFUSED, (), "no registered device")
    if PushOutcome.ACCEPTED in outcomes:
        accepted = sum(1 for answer in answers.values() if answer.outcome is PushOutcome.ACCEPTED)
        return PersonPushResult(PushOutcome.ACCEPTED, stale, f"pushed to {accepted} of {len(answers)} devices")
    worst = next(answer for answer in answers.values()
                 if answer.outcome is (PushOutcome.TRANSIENT if PushOutcome.TRANSIENT in outcomes
                                       else answer.outcome))
    if PushOutcome.TRANSIENT in outcomes:
        return PersonPushResult(PushOutcome.TRANSIENT, stale, worst.reason, worst.code)
    if outcomes == {PushOutcome.STALE_TOKEN}:
        return PersonPushResult(PushOutcome.STALE_TOKEN, stale, "every registered device is stale", worst.code)
    return PersonPushResult(PushOutcome.REFUSED, stale, worst.reason, worst.code)

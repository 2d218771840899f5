"""Proving control of an email or mobile phone: a 6-digit code sent to it, kept only as a keyed hash,
valid for 10 minutes and for at most 5 tries; a new code replaces the previous one."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from .join_tokens import SecretDigest

CODE_DIGITS = 6
VALID_FOR = timedelta(minutes=10)
MAX_TRIES = 5
# A new code for the same credential is sent at most this often, so nobody floods an address with codes.
RESEND_AFTER = timedelta(seconds=30)
# Why a person who proved control of a bad credential resets its status (recorded by notify with the reset).
PROVED_CONTROL = "the person proved control of it with a code sent to it"

NO_CODE = "no code is waiting for this credential: ask for a new code"
CODE_EXPIRED = "the code has expired: ask for a new code"
NO_TRIES_LEFT = f"the code was tried {MAX_TRIES} times: ask for a new code"
TOO_SOON = f"a code was sent less than {RESEND_AFTER.seconds} seconds ago: wait for it, or try again shortly"


def wrong_code(tries_left: int) -> str:
    if tries_left == 0:
        return "the code is not the one sent, and that was the last try: ask for a new code"
    return f"the code is not the one sent: {tries_left} {'try' if tries_left == 1 else 'tries'} left"


@dataclass(frozen=True, slots=True)
class PendingVerification:
    """A code sent to `address`, which becomes the person's `kind` credential once they type the code."""

    person_id: str
    kind: str
    address: str
    code_hash: str
    sent_at: datetime
    expires_at: datetime
    tries: int = 0

    @property
    def tries_left(self) -> int:
        return max(MAX_TRIES - self.tries, 0)


def new_verification(person_id: str, kind: str, address: str, *, now: datetime,
                     digest: SecretDigest) -> tuple[str, PendingVerification]:
    """The code to send, and what identity keeps of it."""
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    return code, PendingVerification(person_id=person_id, kind=kind, address=address, code_hash=digest(code),
                                     sent_at=now, expires_at=now + VALID_FOR)


def resend_refusal(previous: PendingVerification | None, now: datetime) -> str | None:
    if previous is not None and now < previous.sent_at + RESEND_AFTER:
        return TOO_SOON
    return None


def attempt_refusal(pending: PendingVerification | None, now: datetime) -> str | None:
    """Why no code can be tried now, before looking at the code typed."""
    if pending is None:
        return NO_CODE
    if pending.tries_left == 0:
        return NO_TRIES_LEFT
    if now >= pending.expires_at:
        return CODE_EXPIRED
    return None


def code_matches(pending: PendingVerification, code: str, digest: SecretDigest) -> bool:
    return hmac.compare_digest(pending.code_hash, digest(code))

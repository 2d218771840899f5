"""Invitations to join: a Join link's secret and a code a person can type, for one account at a time.

Both are random, shown once (to the inviter, for delivery) and stored only as
keyed hashes (`SecretDigest`), so the store alone opens no account. They expire
after JOIN_TOKEN_DAYS, serve once, and a new invitation replaces the previous one.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contracts.identity import JOIN_TOKEN_DAYS, JOIN_TOKEN_ISSUED

from .accounts import DISABLED, Account
from .sign_in import ACCOUNT_ARCHIVED, ACCOUNT_DISABLED, STUDENT_NOT_ENABLED, sign_in_refusal

JOINED, NOT_FOUND, ARCHIVED, NOT_ENABLED = "joined", "not_found", "archived", "not_enabled"
# The Join link's secret: 256 random bits, URL-safe.
TOKEN_BYTES = 32
# Crockford's base32: no I, L, O or U, so nothing typed can be misread; 12 symbols are 60 random bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
CODE_GROUP = 4
# What people type for the symbols the alphabet leaves out.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -")

# A keyed hash of a one-off secret (the service's key is not in the store), see adapters/tokens.py.
SecretDigest = Callable[[str], str]

# Who may not sign in is not invited either, for the same reason.
_OUTCOME_OF_SIGN_IN_REFUSAL = {ACCOUNT_DISABLED: DISABLED, ACCOUNT_ARCHIVED: ARCHIVED,
                               STUDENT_NOT_ENABLED: NOT_ENABLED}
REFUSALS = {
    NOT_FOUND: "identity has no account for this person",
    JOINED: "the person has joined already: they sign in with their password",
    **{outcome: refusal for refusal, outcome in _OUTCOME_OF_SIGN_IN_REFUSAL.items()},
}
INVITATION_NOT_VALID = "this invitation is not valid: check the link or the code, or ask the school for a new one"
INVITATION_EXPIRED = "this invitation has expired: ask the school to send a new one"
INVITATION_USED = "this invitation was used already: sign in with your password"


@dataclass(frozen=True, slots=True)
class JoinToken:
    """What identity keeps of one invitation: the hashes of its two secrets, never the secrets."""

    person_id: str
    token_hash: str
    code_hash: str
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def refusal_at(self, now: datetime) -> str | None:
        """Why the invitation cannot be used at `now`, or None when it can."""
        if self.used_at is not None:
            return INVITATION_USED
        if now >= self.expires_at:
            return INVITATION_EXPIRED
        return None


@dataclass(frozen=True, slots=True)
class Invitation:
    """An issued invitation: the secrets to deliver, and what identity stores of them."""

    token: str
    join_code: str
    stored: JoinToken


def invitation_outcome(account: Account | None) -> str:
    """JOIN_TOKEN_ISSUED when the person may be invited, else why nobody should invite them."""
    if account is None:
        return NOT_FOUND
    refusal = sign_in_refusal(account)
    if refusal is not None:
        return _OUTCOME_OF_SIGN_IN_REFUSAL[refusal]
    if account.has_joined:
        return JOINED
    return JOIN_TOKEN_ISSUED


def new_invitation(person_id: str, *, issued_by: str, now: datetime, digest: SecretDigest) -> Invitation:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    stored = JoinToken(person_id=person_id, token_hash=digest(token), code_hash=digest(code), issued_by=issued_by,
                       issued_at=now, expires_at=now + timedelta(days=JOIN_TOKEN_DAYS))
    return Invitation(token=token, join_code=readable_code(code), stored=stored)


def readable_code(code: str) -> str:
    """The code in groups of four, as it is printed: `7K3M-QX2P-9RTD`."""
    return "-".join(code[i:i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def canonical_code(typed: str) -> str:
    """A code as typed (any case, spaces or hyphens, O for 0, I or L for 1) in the form that was hashed."""
    return typed.translate(_SEPARATORS).upper().translate(_READ_AS)

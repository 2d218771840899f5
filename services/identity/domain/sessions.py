"""Login sessions: one per sign-in, revocable before it ends, renewed by rotating refresh tokens.

A session is what "signed in on this device" means. Its access tokens are
short-lived JWTs naming it; its refresh tokens are random, stored only as
hashes, and each works once: using one returns its successor. A refresh
token used a second time means two parties hold the session (one of them
stole it), so the whole session (every token descended from that sign-in)
is revoked.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

# Why a session ended before its time.
SIGNED_OUT = "signed_out"
SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
PASSWORD_CHANGED = "password_changed"  # by its owner, who stays signed in on the device they changed it from
PASSWORD_SET = "password_set"  # by an operator
REFRESH_TOKEN_REUSED = "refresh_token_reused"
REVOCATION_REASONS = (SIGNED_OUT, SIGNED_OUT_EVERYWHERE, PASSWORD_CHANGED, PASSWORD_SET, REFRESH_TOKEN_REUSED)

REFRESH_TOKEN_UNKNOWN = "the refresh token is not valid: sign in again"
REFRESH_TOKEN_EXPIRED = "the refresh token has expired: sign in again"
REFRESH_TOKEN_USED = ("the refresh token was already used, so someone else may hold this session: it is ended "
                      "on every device it reached; sign in again")
SESSION_ENDED = "the session has ended: sign in again"


@dataclass(frozen=True, slots=True)
class LoginSession:
    jti: str  # the session's id (sessions from before refresh tokens: their one access token's id)
    person_id: str
    issued_at: datetime  # when its owner signed in
    expires_at: datetime  # when it lapses unless refreshed: its latest refresh token's expiry
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def is_valid_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A refresh token as stored: its hash only. `used_at` is set when it was traded for its successor."""

    token_hash: str
    session_id: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


def refresh_token_hash(token: str) -> str:
    """Refresh tokens are 256 random bits, so one fast hash is enough: nothing to guess, nothing to stretch."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def refresh_refusal(token: RefreshToken, session: LoginSession, now: datetime) -> str | None:
    """Why this stored refresh token may not renew its session (REFRESH_TOKEN_USED: revoke the session too),
    or None when it may."""
    if token.used_at is not None:
        return REFRESH_TOKEN_USED
    if session.revoked_at is not None:
        return SESSION_ENDED
    if now >= token.expires_at:
        return REFRESH_TOKEN_EXPIRED
    return None


@dataclass(frozen=True, slots=True)
class PermissionChange:
    """Who replaced a staff member's custom permissions, when, and from what."""

    id: str
    person_id: str
    previous_permissions: tuple[str, ...]
    permissions: tuple[str, ...]
    changed_by: str
    changed_at: datetime

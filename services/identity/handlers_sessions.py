"""Sessions after sign-in: opening one, renewing it with a refresh token, signing out, changing the password.

Every request that acts on a session names it with an access token, checked
here (signature, expiry, the session still open, the account still allowed
to sign in), so a caller can only end or change what it signed in to.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.contracts.errors import InvalidRequest, NotAuthenticated, PermissionDenied, TooManyRequests

from .adapters.repository import AccountRepository
from .adapters.tokens import InvalidToken, TokenSigner
from .domain.accounts import Account
from .domain.documents import principal_document
from .domain.password_policy import refusal_for_account
from .domain.passwords import PasswordChecksBusy, Passwords
from .domain.sessions import (
    PASSWORD_CHANGED,
    REFRESH_TOKEN_REUSED,
    REFRESH_TOKEN_UNKNOWN,
    REFRESH_TOKEN_USED,
    SIGNED_OUT,
    SIGNED_OUT_EVERYWHERE,
    LoginSession,
    RefreshToken,
    refresh_refusal,
    refresh_token_hash,
)
from .domain.sign_in import may_sign_in

Clock = Callable[[], datetime]

SESSION_NOT_VALID = "the session is not valid: sign in again"
# Every login and password change costs an Argon2 hash; past what identity can afford at once it refuses.
TOO_MANY_PASSWORD_CHECKS = "too many sign-ins are being checked right now: try again in a few seconds"
WRONG_CURRENT_PASSWORD = "is not your current password"


@dataclass(frozen=True, slots=True)
class OpenedSession:
    session: LoginSession
    refresh_token: RefreshToken  # stored
    tokens: dict  # the caller's answer: token, expires_at, refresh_token, refresh_expires_at


def open_session(person_id: str, now: datetime, tokens: TokenSigner) -> OpenedSession:
    """A new session for a person who just proved who they are; the caller stores it (repo.record_login)."""
    session_id = uuid.uuid4().hex
    access = tokens.issue(person_id, now, session_id=session_id)
    refresh = tokens.issue_refresh(session_id, now)
    session = LoginSession(jti=session_id, person_id=person_id, issued_at=access.issued_at,
                           expires_at=refresh.stored.expires_at)
    return OpenedSession(session, refresh.stored, _tokens_document(access, refresh))


def signed_in(token: str, *, repo: AccountRepository, tokens: TokenSigner, now: datetime
              ) -> tuple[LoginSession, Account]:
    """The open session an access token belongs to, and its account; NotAuthenticated for anything else."""
    try:
        claims = tokens.verify(token, now)
    except InvalidToken:
        raise NotAuthenticated(SESSION_NOT_VALID) from None
    found = repo.session_with_account(claims.session_id)
    if found is None:
        raise NotAuthenticated(SESSION_NOT_VALID)
    login_session, account = found
    # The sign-in rule holds for open sessions too: a role change can leave a student not enabled.
    if (login_session.person_id != claims.person_id or not login_session.is_valid_at(now)
            or not may_sign_in(account)):
        raise NotAuthenticated(SESSION_NOT_VALID)
    return login_session, account


def refresh_session(request: dict, *, repo: AccountRepository, tokens: TokenSigner, clock: Clock) -> dict:
    """New tokens for a refresh token, which is used up; a refresh token used twice ends its whole session."""
    now = clock()
    found = repo.refresh_token_with_session(refresh_token_hash(request["refresh_token"]))
    if found is None:
        raise NotAuthenticated(REFRESH_TOKEN_UNKNOWN)
    used, login_session, account = found
    refusal = refresh_refusal(used, login_session, now)
    if refusal == REFRESH_TOKEN_USED:
        repo.revoke_session(login_session.jti, now, REFRESH_TOKEN_REUSED)
    if refusal is not None:
        raise NotAuthenticated(refusal)
    if not may_sign_in(account):
        raise NotAuthenticated(SESSION_NOT_VALID)
    access = tokens.issue(account.person_id, now, session_id=login_session.jti)
    successor = tokens.issue_refresh(login_session.jti, now)
    if not repo.rotate_refresh_token(used.token_hash, successor.stored, now):
        # Another request traded the same token a moment ago: a second use all the same.
        repo.revoke_session(login_session.jti, now, REFRESH_TOKEN_REUSED)
        raise NotAuthenticated(REFRESH_TOKEN_USED)
    return {**_tokens_document(access, successor), "principal": principal_document(account)}


def sign_out(request: dict, *, repo: AccountRepository, tokens: TokenSigner, clock: Clock) -> dict:
    """Ends the session the access token belongs to: this device signs out, the others stay."""
    now = clock()
    login_session, _ = signed_in(request["token"], repo=repo, tokens=tokens, now=now)
    return {"sessions_ended": repo.revoke_session(login_session.jti, now, SIGNED_OUT)}


def sign_out_everywhere(request: dict, *, repo: AccountRepository, tokens: TokenSigner, clock: Clock) -> dict:
    """Ends every session of the access token's owner, this one included."""
    now = clock()
    _, account = signed_in(request["token"], repo=repo, tokens=tokens, now=now)
    return {"sessions_ended": repo.revoke_sessions_of(account.person_id, now, SIGNED_OUT_EVERYWHERE)}


def change_password(request: dict, *, repo: AccountRepository, passwords: Passwords, tokens: TokenSigner,
                    clock: Clock) -> dict:
    """The signed-in person replaces their password, proving the current one; every other session of theirs
    ends, the one they changed it from stays signed in."""
    login_session, account = signed_in(request["token"], repo=repo, tokens=tokens, now=clock())
    refusal = refusal_for_account(request["new_password"], account)
    if refusal is not None:
        raise InvalidRequest(refusal, fields={"new_password": [refusal]})
    try:
        if not (account.password_hash and passwords.matches(account.password_hash, request["current_password"])):
            raise PermissionDenied(f"the current password {WRONG_CURRENT_PASSWORD}",
                                   fields={"current_password": [WRONG_CURRENT_PASSWORD]})
        password_hash = passwords.hash(request["new_password"])
    except PasswordChecksBusy:
        raise TooManyRequests(TOO_MANY_PASSWORD_CHECKS) from None
    ended = repo.replace_password(account.person_id, password_hash, clock(), keep_session=login_session.jti,
                                  reason=PASSWORD_CHANGED)
    return {"sessions_ended": ended}


def _tokens_document(access, refresh) -> dict:
    return {"token": access.token, "expires_at": access.expires_at, "refresh_token": refresh.token,
            "refresh_expires_at": refresh.stored.expires_at}

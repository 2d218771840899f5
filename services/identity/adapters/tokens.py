"""Access tokens (HS256 JWTs signed with a secret that only the environment holds) and refresh tokens
(random, handed out once, stored only as hashes)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from nameko.extensions import DependencyProvider

from services.identity.domain.sessions import RefreshToken, refresh_token_hash
from shared.settings import environment, value

SECRET_VARIABLE = "IDENTITY_TOKEN_SECRET"
TTL_VARIABLE = "IDENTITY_TOKEN_TTL_SECONDS"
REFRESH_TTL_VARIABLE = "IDENTITY_REFRESH_TOKEN_TTL_SECONDS"
MIN_SECRET_LENGTH = 32
# Access tokens are checked by signature and session alone, so they stay short; refresh tokens renew them.
DEFAULT_TTL = timedelta(minutes=15)
# A device left unused this long signs in again; each refresh starts the period over.
DEFAULT_REFRESH_TTL = timedelta(days=14)
REFRESH_TOKEN_BYTES = 32
ALGORITHM = "HS256"


class TokenConfigurationError(RuntimeError):
    """identity cannot start without a usable signing secret."""


class InvalidToken(Exception):
    """The token is forged, malformed or expired."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    jti: str
    person_id: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    token: str  # handed to the caller once, never stored
    stored: RefreshToken


@dataclass(frozen=True, slots=True)
class TokenClaims:
    person_id: str
    jti: str
    expires_at: datetime
    session_id: str  # the `sid` claim; tokens issued before sessions had their own id are their session


class TokenSigner:
    def __init__(self, secret: str, ttl: timedelta, refresh_ttl: timedelta = DEFAULT_REFRESH_TTL) -> None:
        self._secret = secret
        self.ttl = ttl
        self.refresh_ttl = refresh_ttl

    def issue(self, person_id: str, now: datetime, *, session_id: str | None = None) -> IssuedToken:
        jti = uuid.uuid4().hex
        # JWT times are whole seconds; round here so the stored session matches the claim.
        issued_at = now.replace(microsecond=0)
        expires_at = issued_at + self.ttl
        claims = {"sub": person_id, "jti": jti, "iat": int(issued_at.timestamp()),
                  "exp": int(expires_at.timestamp())}
        if session_id is not None:
            claims["sid"] = session_id
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        return IssuedToken(token=token, jti=jti, person_id=person_id, issued_at=issued_at, expires_at=expires_at)

    def issue_refresh(self, session_id: str, now: datetime) -> IssuedRefreshToken:
        token = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
        issued_at = now.replace(microsecond=0)
        return IssuedRefreshToken(token=token, stored=RefreshToken(
            token_hash=refresh_token_hash(token), session_id=session_id, issued_at=issued_at,
            expires_at=issued_at + self.refresh_ttl))
    def digest(self, secret: str) -> str:
        """A keyed hash of a one-off secret (a join token or code, a verification code), as it is stored:
        without this service's key, the stored value opens nothing, however short the secret is."""
        return hmac.new(self._secret.encode(), b"one-off:" + secret.encode(), hashlib.sha256).hexdigest()

    def verify(self, token: str, now: datetime) -> TokenClaims:
        try:
            # Expiry is checked against the caller's clock below, not the library's.
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM],
                                options={"require": ["sub", "jti", "exp"], "verify_exp": False})
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        expires_at = datetime.fromtimestamp(claims["exp"], tz=timezone.utc)
        if now >= expires_at:
            raise InvalidToken("token has expired")
        jti = str(claims["jti"])
        return TokenClaims(person_id=str(claims["sub"]), jti=jti, expires_at=expires_at,
                           session_id=str(claims.get("sid") or jti))


def signer_from_environment(environ: Mapping[str, str]) -> TokenSigner:
    secret = value(SECRET_VARIABLE, environ) or ""
    if len(secret) < MIN_SECRET_LENGTH:
        problem = "is not set" if not secret else f"is only {len(secret)} characters long"
        raise TokenConfigurationError(
            f"{SECRET_VARIABLE} {problem}: identity signs access tokens with it and needs a random secret "
            f"of at least {MIN_SECRET_LENGTH} characters, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return TokenSigner(secret, _ttl(environ, TTL_VARIABLE, DEFAULT_TTL),
                       _ttl(environ, REFRESH_TTL_VARIABLE, DEFAULT_REFRESH_TTL))


def _ttl(environ: Mapping[str, str], variable: str, default: timedelta) -> timedelta:
    raw_ttl = value(variable, environ)
    if raw_ttl is None:
        return default
    try:
        seconds = int(raw_ttl)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise TokenConfigurationError(f"{variable} must be a positive number of seconds, not {raw_ttl!r}")
    return timedelta(seconds=seconds)


class TokenSigning(DependencyProvider):
    """Reads the signing secret once at start-up; a missing secret stops the service from starting."""

    def __init__(self) -> None:
        self.signer: TokenSigner | None = None

    def setup(self) -> None:
        self.signer = signer_from_environment(environment())

    def get_dependency(self, worker_ctx) -> TokenSigner:
        return self.signer

"""Reading who the caller claims to be from the Authorization header."""
from __future__ import annotations

from shared.contracts.errors import NotAuthenticated

BEARER = "bearer"


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; anything else is not a sign-in."""
    if not authorization or not authorization.strip():
        raise NotAuthenticated("Sign in first: send `Authorization: Bearer <token>`.")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    # RFC 7235: the scheme name is case-insensitive.
    if scheme.lower() != BEARER or not token or " " in token:
        raise NotAuthenticated("The Authorization header must be `Bearer <token>`.")
    return token

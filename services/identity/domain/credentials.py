"""Credentials as identity stores them: the login vocabulary of shared.credentials, and the home phone.

Normalisation raises InvalidCredential with a reason a school administrator
can act on; callers decide whether that refuses a row or only one field.
"""
from __future__ import annotations

from shared.credentials import (  # noqa: F401 — identity's modules read the login vocabulary from here
    DEFAULT_LOGIN_REGION,
    EMAIL,
    LOGIN_KINDS,
    MOBILE_PHONE,
    CredentialKind,
    InvalidCredential,
    normalise_email,
    normalise_phone,
    parse_login,
)

HOME_PHONE = "home_phone"


def blank_to_none(value: str | None) -> str | None:
    """Exports leave empty cells for missing values; an empty cell is no credential, not a bad one."""
    if value is None or not value.strip():
        return None
    return value

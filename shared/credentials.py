"""Logins as the platform reads them: emails normalised, phones in E.164.

identity stores credentials this way, and the gateway counts failed sign-ins
per credential however it was typed; both read a login with `parse_login`.
Normalisation raises InvalidCredential with a reason a school administrator
can act on; callers decide whether that refuses a row or only one field.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT, EMAIL_MAX_LENGTH, LOCAL_PART_MAX_LENGTH

EMAIL = "email"
MOBILE_PHONE = "mobile_phone"
# Logins and contacts use these two only: a home phone is kept, never used (DESIGN.md, rostering).
LOGIN_KINDS = (EMAIL, MOBILE_PHONE)
DEFAULT_LOGIN_REGION = "US"

CredentialKind = Literal["email", "mobile_phone"]
# Email domains remembered once validated: a district has a handful, bounded so odd input cannot grow it.
DOMAIN_CACHE_SIZE = 1 << 12


class InvalidCredential(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_email(value: str) -> str:
    try:
        return normalised_email(value.strip())
    except EmailNotValidError as error:
        raise InvalidCredential(f"not a valid email address: {error}") from None


def normalised_email(value: str) -> str:
    """The address validated and lower-cased, as email_validator gives it; raises EmailNotValidError.

    A plain ASCII local part (what email_validator returns unchanged) takes the fast path: only its domain goes
    through email_validator, once per domain. A sync normalises a few hundred thousand addresses.
    """
    local, at, domain = value.rpartition("@")
    if (at and len(local) <= LOCAL_PART_MAX_LENGTH and len(value) <= EMAIL_MAX_LENGTH and local.isascii()
            and DOT_ATOM_TEXT.match(local)):
        return f"{local}@{_email_domain(domain)}".lower()
    return _validated_email(value)


@lru_cache(maxsize=DOMAIN_CACHE_SIZE)
def _email_domain(domain: str) -> str:
    # A one-letter local part is always valid, so any failure here is the domain's.
    return _validated_email(f"a@{domain}").partition("@")[2]


def _validated_email(value: str) -> str:
    # Mail systems treat the local part case-insensitively in practice; one spelling
    # per address is what lets two accounts share (and find) the same credential.
    return validate_email(value, check_deliverability=False).normalized.lower()


def normalise_phone(value: str, region: str) -> str:
    region = region.upper()
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidCredential(f"not a phone number (read with region {region})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidCredential(f"not a valid phone number (read with region {region})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_login(login: str, region: str = DEFAULT_LOGIN_REGION) -> tuple[CredentialKind, str]:
    """What a person typed into the login box, as the credential it names."""
    if "@" in login:
        return EMAIL, normalise_email(login)
    return MOBILE_PHONE, normalise_phone(login, region)

"""What a person may change of their own credentials (the product's rules; DESIGN.md, Accounts)."""
from __future__ import annotations

from .accounts import Account
from .credentials import EMAIL, LOGIN_KINDS, MOBILE_PHONE

NOUNS = {EMAIL: "email address", MOBILE_PHONE: "mobile phone"}
STUDENT_PHONE_FROM_SIS = ("a student's mobile phone comes only from the school's information system: "
                          "ask the school to change it")


def change_refusal(account: Account, kind: str) -> str | None:
    """Why the person may not add or change their `kind` credential themselves, or None when they may."""
    if kind == MOBILE_PHONE and account.is_student_only:
        return STUDENT_PHONE_FROM_SIS
    return None


def removal_refusal(account: Account, kind: str) -> str | None:
    """Why the person may not remove their `kind` credential, or None when they may: one always remains."""
    refusal = change_refusal(account, kind)
    if refusal is not None:
        return refusal
    other = next(other for other in LOGIN_KINDS if other != kind)
    if getattr(account.profile, kind) is None:
        return f"you have no {NOUNS[kind]} to remove"
    if getattr(account.profile, other) is None:
        return (f"your {NOUNS[kind]} is your only credential: add a {NOUNS[other]} first, "
                "so you can still sign in and be reached")
    return None

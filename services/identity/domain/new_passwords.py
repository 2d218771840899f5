"""What a new password must be: the one rule every way of choosing one (operator, change, join) goes through."""
from __future__ import annotations

MIN_LENGTH = 8
TOO_SHORT = f"must be at least {MIN_LENGTH} characters long"


def new_password_refusal(password: str) -> str | None:
    """Why `password` may not become an account's password, or None when it may."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    return None

"""Which passwords a person may choose: the one rule for joining, the operator's set_password and (later)
changing one's own password.

At least MIN_LENGTH characters, and not among the passwords attackers try
first. The second part is zxcvbn's estimate (Dropbox's strength estimator, kept
as a maintained Python port; it runs offline on frequency lists it ships: the
most common passwords of real breaches, English words, names, keyboard walks,
dates, repeats and l33t spellings of them). A password it can guess within
10^6 tries (score 0 or 1) is refused, the NIST 800-63B advice: check against
breached and common passwords and the person's own details, impose no
composition rules.
"""
from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from .accounts import Account

MIN_LENGTH = 8
MAX_LENGTH = 1024
# zxcvbn refuses longer inputs (its matching is quadratic); the first 72 characters decide.
ESTIMATED_PREFIX = 72
# zxcvbn's scores: 0 and 1 are guessed within 10^6 tries.
MIN_SCORE = 2

TOO_SHORT = f"the password must be at least {MIN_LENGTH} characters long"
TOO_LONG = f"the password must be at most {MAX_LENGTH} characters long"
TOO_COMMON = ("the password is among the most common (or breached) passwords, or a simple variation of one: "
              "choose a longer phrase of unrelated words")


def password_refusal(password: str, *, personal: Iterable[str | None] = ()) -> str | None:
    """Why `password` may not be chosen, or None when it may; `personal` are the person's own details
    (names, email, phone), which make a password easy to guess for whoever knows them."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    user_inputs = [word for value in personal if value for word in _words(value)]
    if zxcvbn(password[:ESTIMATED_PREFIX], user_inputs=user_inputs)["score"] < MIN_SCORE:
        return TOO_COMMON
    return None


def refusal_for_account(password: str, account: Account) -> str | None:
    """`password_refusal` with the account's names and credentials as the person's own details."""
    profile = account.profile
    return password_refusal(password, personal=(profile.given_name, profile.family_name, profile.email,
                                                profile.mobile_phone))


def _words(value: str) -> list[str]:
    """A detail and its parts (`dana.rivera@example.org`: also `dana.rivera`, `dana`, `rivera`, `example`)."""
    value = value.lower()
    parts = value.replace("@", " ").replace(".", " ").replace("+", " ").split()
    return [value, value.split("@")[0], *parts]

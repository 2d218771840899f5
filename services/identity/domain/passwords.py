"""Password hashing with Argon2id (argon2-cffi's defaults exceed the OWASP minimum)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .accounts import Account
from .sign_in import may_sign_in


class PasswordChecksBusy(Exception):
    """Every Argon2 slot is taken and the bounded wait for one ran out: refuse rather than queue."""


class Passwords(Protocol):
    """`hash` and `matches` may raise PasswordChecksBusy when the service is saturated with them."""

    def hash(self, password: str) -> str: ...

    def matches(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...

    def decoy_hash(self) -> str: ...


class Argon2Passwords:
    """Argon2id in the calling thread; `hasher` is replaceable so tests can use cheap parameters."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._decoy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def matches(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than this hasher's."""
        return self._hasher.check_needs_rehash(password_hash)

    def decoy_hash(self) -> str:
        """A hash nobody knows the password of, made once, to spend a real check on unknown logins."""
        if self._decoy is None:
            self._decoy = self.hash("decoy password that no account has")
        return self._decoy


def find_password_owner(candidates: Sequence[Account], password: str, passwords: Passwords) -> Account | None:
    """The account among those sharing a login whose password this is.

    A shared credential (two parents, one phone) names several accounts; the
    password picks one. Accounts without a password, and accounts that may not
    sign in (disabled, a student not enabled), are never candidates.
    """
    able = [account for account in candidates if account.password_hash and may_sign_in(account)]
    if not able:
        # Do the work of a real check anyway, so response time does not tell which logins exist.
        passwords.matches(passwords.decoy_hash(), password)
        return None
    for account in able:
        if passwords.matches(account.password_hash, password):
            return account
    return None

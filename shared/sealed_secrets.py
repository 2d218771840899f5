"""Secrets a service keeps in its own database, sealed with keys from the environment (Fernet: AES-128-CBC and
HMAC-SHA256), so a copy of the database alone gives none of them away.

The variable holds one or more Fernet keys, comma-separated: the first seals, every one opens, so a key is
rotated by putting the new one first and dropping the old one once everything is sealed again. `make run` and
the test stacks derive a key from IDENTITY_TOKEN_SECRET (`derived_key`), as they do the platform secrets.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_DERIVATION_LABEL = "sealed-secrets-key:"


class SecretsUnavailable(RuntimeError):
    """No key is configured, or none of the keys opens what was sealed (a key rotated away)."""


class SealedSecrets:
    def __init__(self, variable: str, keys: str | None) -> None:
        self.variable = variable
        try:
            ciphers = [Fernet(key.strip().encode("ascii")) for key in (keys or "").split(",") if key.strip()]
        except (ValueError, UnicodeEncodeError):
            raise SecretsUnavailable(f"{variable} holds something that is not a Fernet key "
                                     "(32 url-safe base64-encoded bytes)") from None
        self._cipher = MultiFernet(ciphers) if ciphers else None

    def seal(self, secrets: Mapping[str, str]) -> str | None:
        """The secrets as one token; None when there are none."""
        if not secrets:
            return None
        return self._usable().encrypt(json.dumps(dict(secrets), sort_keys=True).encode("utf-8")).decode("ascii")

    def open(self, sealed: str | None) -> dict[str, str]:
        if not sealed:
            return {}
        try:
            return json.loads(self._usable().decrypt(sealed.encode("ascii")))
        except InvalidToken:
            raise SecretsUnavailable(f"none of the keys in {self.variable} opens the kept secrets "
                                     "(was the key that sealed them removed?)") from None

    def _usable(self) -> MultiFernet:
        if self._cipher is None:
            raise SecretsUnavailable(f"{self.variable} is not set: secrets cannot be kept or read")
        return self._cipher


def derived_key(identity_secret: str, purpose: str) -> str:
    """A Fernet key for `purpose`, derived from identity's secret (for `make run` and test stacks)."""
    digest = hmac.new(identity_secret.encode("utf-8"), (_DERIVATION_LABEL + purpose).encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


# The services that keep sealed secrets, by the variable that holds their keys.
ROSTERING_SETTINGS_KEY = "ROSTERING_SETTINGS_KEY"


def sealed_secrets_environment(identity_secret: str) -> dict[str, str]:
    """Each sealing key a stack started from one identity secret needs (`make run`, test stacks)."""
    return {ROSTERING_SETTINGS_KEY: derived_key(identity_secret, ROSTERING_SETTINGS_KEY)}

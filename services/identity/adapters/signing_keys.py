"""identity's credential signing key: Ed25519, from IDENTITY_SIGNING_KEY (a PEM private key) or, when that is
unset, derived from IDENTITY_TOKEN_SECRET, so every identity replica signs with the same key and a plain
deployment needs no second secret. Other services only ever see the public half (`get_signing_keys`)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from nameko.extensions import DependencyProvider

from shared.callers import SERVICE, USER, key_id, public_key_pem, sign_credential
from shared.contracts.callers import SIGNING_ALGORITHM

from .tokens import SECRET_VARIABLE, TokenConfigurationError, signer_from_environment

SIGNING_KEY_VARIABLE = "IDENTITY_SIGNING_KEY"
# A person's assertion lives as long as one request through the gateway may take, with room to spare.
ASSERTION_TTL = timedelta(minutes=5)
SERVICE_TOKEN_TTL = timedelta(minutes=15)
_DERIVATION_INFO = b"school-platform identity credential signing key v1"


class CredentialSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.kid = key_id(private_key.public_key())

    def assert_user(self, principal: Mapping, now: datetime) -> tuple[str, datetime]:
        return sign_credential(self._private_key, kind=USER, principal=principal, now=now, ttl=ASSERTION_TTL)

    def service_token(self, principal: Mapping, scopes: frozenset[str], now: datetime) -> tuple[str, datetime]:
        return sign_credential(self._private_key, kind=SERVICE, principal=principal, scopes=scopes, now=now,
                               ttl=SERVICE_TOKEN_TTL)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        return {self.kid: self._private_key.public_key()}

    def key_documents(self) -> list[dict]:
        return [{"kid": kid, "algorithm": SIGNING_ALGORITHM, "public_key": public_key_pem(key)}
                for kid, key in self.public_keys().items()]


def credential_signer_from_environment(environ: Mapping[str, str]) -> CredentialSigner:
    pem = environ.get(SIGNING_KEY_VARIABLE, "").strip()
    if pem:
        try:
            key = load_pem_private_key(pem.encode("ascii"), password=None)
        except ValueError as error:
            raise TokenConfigurationError(f"{SIGNING_KEY_VARIABLE} is not a PEM private key: {error}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise TokenConfigurationError(f"{SIGNING_KEY_VARIABLE} must be an Ed25519 private key")
        return CredentialSigner(key)
    # The same checks as the access tokens' secret: a missing or short secret stops identity from starting.
    signer_from_environment(environ)
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO).derive(
        environ[SECRET_VARIABLE].encode("utf-8"))
    return CredentialSigner(Ed25519PrivateKey.from_private_bytes(seed))


class CredentialSigning(DependencyProvider):
    """The signer, read once at start-up like the access tokens' secret."""

    def setup(self) -> None:
        self.signer = credential_signer_from_environment(os.environ)

    def get_dependency(self, worker_ctx) -> CredentialSigner:
        return self.signer


def identity_public_keys() -> dict[str, Ed25519PublicKey]:
    """identity's own public keys, for its CallerVerification (identity does not ask itself over RPC)."""
    return credential_signer_from_environment(os.environ).public_keys()

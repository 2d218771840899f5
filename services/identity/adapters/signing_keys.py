"""identity's credential signing key: Ed25519, from IDENTITY_SIGNING_KEY (a PEM private key) or, when that is
unset, derived from IDENTITY_TOKEN_SECRET, so every identity replica signs with the same key and a plain
deployment needs no second secret. Other services only ever see the public half (`get_signing_keys`)."""
from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from nameko.extensions import DependencyProvider

from shared.callers import SERVICE, USER, key_id, public_key_pem, sign_credential
from shared.contracts.callers import PLATFORM_CLIENT_PREFIX, PLATFORM_SERVICES, SIGNING_ALGORITHM, platform_scope
from shared.platform_identity import platform_secret
from shared.settings import environment, value

from ..domain.service_credentials import platform_principal

from .tokens import SECRET_VARIABLE, TokenConfigurationError, signer_from_environment

SIGNING_KEY_VARIABLE = "IDENTITY_SIGNING_KEY"
# A person's assertion lives as long as one request through the gateway may take, with room to spare.
ASSERTION_TTL = timedelta(minutes=5)
SERVICE_TOKEN_TTL = timedelta(minutes=15)
_DERIVATION_INFO = b"school-platform identity credential signing key v1"


class CredentialSigner:
    def __init__(self, private_key: Ed25519PrivateKey, identity_secret: str) -> None:
        self._private_key = private_key
        self._identity_secret = identity_secret
        self.kid = key_id(private_key.public_key())

    def platform_secret_matches(self, service: str, secret: str) -> bool:
        """Whether `secret` is `service`'s platform secret (derived from identity's: shared/platform_identity.py)."""
        return service in PLATFORM_SERVICES and hmac.compare_digest(
            platform_secret(self._identity_secret, service), secret)

    def platform_token(self, service: str, now: datetime) -> tuple[str, datetime]:
        return self.service_token(platform_principal(service), frozenset({platform_scope(service)}), now)

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
    pem = value(SIGNING_KEY_VARIABLE, environ) or ""
    if pem:
        try:
            key = load_pem_private_key(pem.encode("ascii"), password=None)
        except ValueError as error:
            raise TokenConfigurationError(f"{SIGNING_KEY_VARIABLE} is not a PEM private key: {error}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise TokenConfigurationError(f"{SIGNING_KEY_VARIABLE} must be an Ed25519 private key")
    # The same checks as the access tokens' secret: a missing or short secret stops identity from starting.
    signer_from_environment(environ)
    secret = value(SECRET_VARIABLE, environ)
    if pem:
        return CredentialSigner(key, secret)
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO).derive(
        secret.encode("utf-8"))
    return CredentialSigner(Ed25519PrivateKey.from_private_bytes(seed), secret)


class CredentialSigning(DependencyProvider):
    """The signer, read once at start-up like the access tokens' secret."""

    def setup(self) -> None:
        self.signer = credential_signer_from_environment(environment())

    def get_dependency(self, worker_ctx) -> CredentialSigner:
        return self.signer


def identity_platform_token(client_id: str) -> dict:
    """identity's own platform token (for its calls to notify), signed here rather than asked of itself."""
    service = client_id.removeprefix(PLATFORM_CLIENT_PREFIX)
    token, expires_at = credential_signer_from_environment(environment()).platform_token(
        service, datetime.now(timezone.utc))
    return {"token": token, "expires_at": expires_at}


def identity_public_keys() -> dict[str, Ed25519PublicKey]:
    """identity's own public keys, for its CallerVerification (identity does not ask itself over RPC)."""
    return credential_signer_from_environment(environment()).public_keys()
